"""Per-customer arrays evaluated on their distinct (x, t_x, T) rows, kept while the arrays live.

Why: at a large shop a model's per-customer quantity (Pareto/NBD's P(alive): a ₂F₁ per
distinct pair and a dozen transcendental functions per row) is asked for every customer more
than once with the same arrays — P(order in 30 days) and in 90 days each want P(alive) — and a
million customers hold ~290 k distinct rows. Collapsing once, evaluating per row and gathering
gives the same values bit for bit (the rows' arithmetic is element-wise).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from clvtui.model.base import row_key

Rows3 = tuple[np.ndarray, np.ndarray, np.ndarray]


class KeptRows:
    """The distinct rows of the last per-customer arrays, while those arrays are alive.

    ``evaluate(theta, x, t_x, T, prepared)`` on the rows; ``prepare(x, t_x, T)`` once per set
    of rows (e.g. their distinct pairs). Keyed by the arrays' identity (weak references:
    nothing is kept once the caller drops them); the values at the last parameters are kept
    beside. Arrays changed in place between two calls would go unnoticed — the models' inputs
    are read-only. One caller at a time (a lock: the fit's threads, the TUI's).
    """

    def __init__(self, evaluate: Callable[..., np.ndarray], prepare: Callable[..., Any]) -> None:
        self._evaluate, self._prepare = evaluate, prepare
        self._lock = threading.RLock()
        self._refs: tuple[weakref.ref, ...] = ()
        self._rows: Rows3 | None = None
        self._inverse = np.empty(0, dtype=np.int64)
        self._prepared: Any = None
        self._values: tuple[bytes, np.ndarray] | None = None

    def values(
        self, theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """``evaluate`` per customer, from the rows (collapsed again only for new arrays)."""
        with self._lock:
            rows = self._rows_of(x, t_x, T)
            key = theta.tobytes()
            if self._values is None or self._values[0] != key:
                if self._prepared is None:
                    self._prepared = self._prepare(*rows)
                self._values = (key, self._evaluate(theta, *rows, self._prepared))
            return self._values[1][self._inverse]

    def _rows_of(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Rows3:
        arrays = (x, t_x, T)
        same = len(self._refs) == 3 and all(
            r() is a for r, a in zip(self._refs, arrays, strict=True)
        )
        if same and self._rows is not None:
            return self._rows
        key = row_key(x.astype(np.int64), t_x, T)
        # not return_index (a stable sort): any customer of a row stands for it
        uniq, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.ravel()
        first = np.empty(len(uniq), dtype=np.int64)
        first[inverse] = np.arange(len(key))
        self._rows = (x[first], t_x[first], T[first])
        self._inverse, self._values, self._prepared = inverse, None, None
        self._refs = tuple(weakref.ref(a, self._forget) for a in arrays)
        return self._rows

    def _forget(self, ref: weakref.ref) -> None:
        """One of the arrays is gone: drop the rows (~15 MB at a million customers)."""
        with self._lock:
            if any(r is ref for r in self._refs):
                self._refs, self._rows, self._values, self._prepared = (), None, None, None
                self._inverse = np.empty(0, dtype=np.int64)
