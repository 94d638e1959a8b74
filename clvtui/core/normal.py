"""The one normal quantile every 90 % interval uses, without importing scipy for a constant."""

#: The standard normal's 95th percentile: ±Z90 standard errors is a two-sided 90 % interval.
Z90 = 1.6448536269514722
