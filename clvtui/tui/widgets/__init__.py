"""Self-contained widgets: charts, KPI cards, the big ranking table."""
