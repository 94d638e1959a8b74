"""The demo shop: simulated orders written as a real export, imported and fitted.

Used by ``clvtui demo``, the TUI tests and the benchmarks, so it lives here and not in a face:
it raises ``ClvError`` (never ``typer.Exit``) and returns its summary as lines.

The demo never touches the user's own database: by default it lives in ``demo.db`` beside it
(same folder), and it is rebuilt from scratch on each run, so what you see is always the
simulation with its known parameters. The fit keeps the last 26 weeks as a holdout, so the
Model screen has a tracking chart to show. The demo assumes a 40 % margin, 3.00 per order
(net CLV) and 25.00 to acquire a customer (so the Budget screen has acquisition to weigh
against win-back); change them on the Model and Budget screens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clvtui.errors import ClvError
from clvtui.wording import plural

if TYPE_CHECKING:
    from clvtui.pipeline import FitResult

DEMO_MARGIN = 0.40
DEMO_COST_PER_ORDER = 3.0
DEMO_ACQUISITION_COST = 25.0
DEMO_HOLDOUT_WEEKS = 26


def demo_db_path() -> Path:
    """``demo.db`` beside the user's default database (never the database itself)."""
    from clvtui.paths import default_db_path

    default = default_db_path()
    demo = default.with_name("demo.db")
    return demo if demo != default else default.with_name("clvtui-demo.db")


def check_shape(shape: str) -> str:
    """A known demo shape (refused with the list before anything is built)."""
    from clvtui.demo import SHAPES

    if shape not in SHAPES:
        raise ClvError(f"--shape must be one of {', '.join(SHAPES)} (got {shape!r})")
    return shape


@dataclass(frozen=True)
class DemoShop:
    """What was built: where, how big, and the fit's headline."""

    path: Path
    export: Path
    customers: int
    fmt: str
    shape: str
    period: str  # when the simulated shop opened and how long it traded
    orders_imported: int
    run_id: int
    equity: float
    currency: str
    holdout_checked: bool

    def summary(self) -> list[str]:
        """What ``clvtui demo --no-tui`` prints."""
        checked = (
            f"{DEMO_HOLDOUT_WEEKS}-week holdout check"
            if self.holdout_checked
            else "no holdout check possible"
        )
        shape = f", {self.shape} shape)" if self.shape != "standard" else ")"
        return [
            f"demo shop: {self.customers:,} simulated customers, {self.period} "
            f"({self.fmt} export{shape}",
            f"imported {plural(self.orders_imported, 'order')} from {self.export.name}",
            f"fit #{self.run_id}: customer equity {self.equity:,.0f} "
            f"{self.currency} (net CLV, {DEMO_MARGIN:.0%} margin), {checked}",
        ]


def _import_and_fit(path: Path, export: Path, fmt: str) -> tuple[dict[str, Any], FitResult]:
    """The demo's economics, its export imported and fitted into ``path``.

    The connection is closed here, not left to the garbage collector (it sits in a reference
    cycle): `clvtui demo` opens the terminal UI next in the same process, and an open
    connection kept the -wal/-shm beside the database after the UI was left.
    """
    from clvtui.ingest import import_file
    from clvtui.pipeline import fit_run
    from clvtui.store import open_db
    from clvtui.store.saved_settings import load_settings, save_settings

    conn = open_db(path)
    try:
        economics = load_settings(conn).with_changes(
            margin=DEMO_MARGIN,
            cost_per_order=DEMO_COST_PER_ORDER,
            acquisition_cost=DEMO_ACQUISITION_COST,
        )
        save_settings(conn, economics)
        report = import_file(conn, export, fmt=fmt).to_json()
        return report, fit_run(conn, holdout_weeks=DEMO_HOLDOUT_WEEKS)
    finally:
        conn.close()


def build_demo(
    path: Path, *, customers: int, fmt: str, seed: int, fresh: bool, shape: str = "standard"
) -> DemoShop:
    """Simulate, export, import and fit into ``path``. A ``path`` holding orders is refused
    unless ``fresh`` (our own demo file, rebuilt from scratch)."""
    from clvtui.demo import DemoParams, demo_start_text, write_demo_export
    from clvtui.ingest import FORMATS
    from clvtui.store import open_db
    from clvtui.store.status import database_status

    if fmt not in FORMATS:
        raise ClvError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    if path.exists():
        if not fresh:
            given = open_db(path)
            try:
                status = database_status(given)
            finally:
                given.close()
            if status.orders:
                raise ClvError(
                    f"{path} already holds {plural(status.orders, 'order')}; "
                    "give the demo a new file with --db"
                )
        else:  # our own demo.db: rebuild it from scratch
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    params = DemoParams(n_customers=customers)
    if shape == "seasonal":  # three years, so the seasonal fit has enough history
        from clvtui.demo.seasonal import SEASONAL_PARAMS

        params = replace(SEASONAL_PARAMS, n_customers=customers)
    suffix = ".xlsx" if fmt == "online-retail" else ".csv"
    export = path.with_name(f"{path.stem}-{fmt}-export{suffix}")
    write_demo_export(export, fmt, params, seed, shape)  # whole, 0600 (see its docstring)
    report, result = _import_and_fit(path, export, fmt)
    equity = result.report["customer_equity"]  # the run just stored: no need to read it back
    return DemoShop(
        path=path,
        export=export,
        customers=customers,
        fmt=fmt,
        shape=shape,
        period=demo_start_text(params),
        orders_imported=int(report.get("orders_new", 0)),
        run_id=result.run_id,
        equity=float(equity["value"]),
        currency=equity["currency"] or "",
        holdout_checked=bool(result.report.get("holdout")),
    )
