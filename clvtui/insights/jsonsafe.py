"""JSON documents without NaN or infinity (``emit_json`` refuses them, as JSON has none)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any


def json_ready(value: Any) -> Any:
    """NaN/inf → None, dates → ISO text, tuples → lists, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
