"""Acting on CLV: whom to treat how, and how much each kind of customer is worth spending on.

Pure functions on polars frames (no SQL here, no UI): ``segments`` (tiers, risk bands, the
slipping-away list), ``acquisition`` (allowable CPA, actual CAC), ``budget`` (water-filling a
budget over win-back and look-alike acquisition), ``profile`` (ideal-customer shares, lifts and
repurchase hazard ratios), ``whatif`` (other economics without refitting), ``trends`` (tiers over
runs, movers), ``customer_lists`` (CSV/XLSX with formula neutralisation), ``spend`` (spend
sheet reader), ``context`` (a stored run with the settings that apply to it).
"""
