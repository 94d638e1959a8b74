"""The CLV engine: summary, BG/NBD · Pareto/NBD · MBG/NBD + Gamma-Gamma, CLV, holdout, retention."""
