"""How far off are clvtui's forecasts on real shops? Holdout errors on public transaction data.

    .venv/bin/pip install -e '.[bench]'            # lifetimes 0.11.3, the reference tool
    .venv/bin/python bench/accuracy_bench.py                       # every data set in bench/data
    .venv/bin/python bench/accuracy_bench.py --datasets cdnow-sample --no-lifetimes
    .venv/bin/python bench/accuracy_bench.py --data online_retail_II.xlsx --holdout-weeks 13

For each data set and each purchase model, the orders are imported into a fresh SQLite file the
way ``clvtui import`` does (a generic CSV through ``clvtui.ingest.import_file``) and fitted the
way ``clvtui fit --holdout-weeks N --model M`` does (``pipeline.fit_run``): fitted on the
calibration window, checked on the last N weeks. The table reports the report's own holdout
figures: repeat orders predicted vs actual in the holdout (aggregate % error), the per-customer
Pearson correlation of predicted vs actual holdout repeat orders, and the per-customer mean
absolute error. ``auto`` is clvtui's default model choice (made inside the calibration window,
never on the holdout). NBD is not a ``fit --model`` choice (a fit falls back to it when nobody
visibly leaves), so it is measured through the model API on the same split.

Reference columns: the published figures for the same split where the literature has them, and
``lifetimes`` fitted on its own calibration/holdout split of the same orders (an independent
implementation of both the split and the models).

"With and without seasonality": when ``fit_run`` accepts ``seasonality=`` every model is run
with ``off`` and ``on`` (and ``auto`` with the default ``auto``); otherwise those rows say
"n/a (not in this build)". See docs/accuracy.md for measured figures and what they mean.
"""

from __future__ import annotations

import argparse
import inspect
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from accuracy_data import DATASETS, Dataset, user_dataset  # beside this file
from sqlite_utils import Database

from clvtui.demo.load import load_orders as import_orders
from clvtui.errors import ClvError
from clvtui.ingest import import_file
from clvtui.model import choose, validate
from clvtui.model.registry import fit_purchase
from clvtui.model.summary import summarise
from clvtui.pipeline import fit_run
from clvtui.store import open_db
from clvtui.store.reads import purchases_frame

MODELS = ("bgnbd", "paretonbd", "mbgnbd", "nbd", "auto")
SEASONAL = "seasonality" in inspect.signature(fit_run).parameters
NOT_IN_BUILD = "n/a (not in this build)"


@dataclass
class Row:
    """One line of the table: a model (and seasonality mode) on one data set."""

    dataset: str
    model: str
    seasonality: str
    actual: int | None = None
    predicted: float | None = None
    corr: float | None = None
    mae: float | None = None
    note: str = ""
    seconds: float = 0.0

    @property
    def error(self) -> float | None:
        """Aggregate error of the holdout forecast: predicted / actual − 1."""
        if self.actual is None or self.predicted is None or self.actual == 0:
            return None
        return self.predicted / self.actual - 1.0


def holdout_metrics(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """The bench's three figures from per-customer predicted and actual holdout counts
    (used for the lifetimes reference; clvtui's own figures come from its report)."""
    predicted, actual = np.asarray(predicted, float), np.asarray(actual, float)
    ok = np.isfinite(predicted)
    p, a = predicted[ok], actual[ok]
    corr = float(np.corrcoef(p, a)[0, 1]) if p.std() > 0 and a.std() > 0 else float("nan")
    return {
        "actual": float(a.sum()),
        "predicted": float(p.sum()),
        "error": float(p.sum() / a.sum() - 1.0) if a.sum() > 0 else float("nan"),
        "corr": corr,
        "mae": float(np.mean(np.abs(p - a))),
        "dropped": float((~ok).sum()),
    }


# ---------------------------------------------------------------- measuring


def measure_fit(db: Database, ds: Dataset, model: str, seasonality: str | None) -> Row:
    """``clvtui fit --as-of A --holdout-weeks N --model M [--seasonality S]``, its holdout."""
    row = Row(ds.name, model, seasonality or "off")
    kwargs: dict[str, Any] = {"as_of": ds.as_of, "holdout_weeks": ds.holdout_weeks}
    kwargs["model"] = None if model == "auto" else model
    if seasonality is not None:
        kwargs["seasonality"] = seasonality
    t0 = time.perf_counter()
    try:
        report = fit_run(db, **kwargs).report
    except ClvError as err:
        row.note = f"refused: {err}"
        return row
    finally:
        row.seconds = time.perf_counter() - t0
    hold = report.get("holdout")
    if not hold:
        row.note = "no holdout check: " + "; ".join(report.get("warnings", []))[:120]
        return row
    row.actual, row.predicted = hold["actual_repeat_orders"], hold["predicted_repeat_orders"]
    row.corr, row.mae = hold["customer_corr"], hold["customer_mae"]
    checked = hold.get("calibration_fit", {}).get("model", report["model"])
    notes = []
    if model == "auto":
        compared = report.get("model_choice", {}).get("compared_on", {})
        notes.append(
            f"chose {checked}" + (f" on {compared['from']}…{compared['to']}" if compared else "")
        )
    elif checked != model:
        notes.append(f"fitted as {checked}")
    season = report.get("seasonality")
    if seasonality is not None and isinstance(season, dict):
        used = bool(season.get("used"))
        notes.append("seasonal: " + ("used" if used else "not used"))
        if seasonality == "auto" and season.get("reason"):
            notes[-1] += f" ({str(season['reason'])[:90]})"
    row.note = "; ".join(notes)
    return row


def measure_nbd(db: Database, ds: Dataset) -> Row:
    """NBD through the model API on the same orders and split (not a ``fit --model`` choice)."""
    row = Row(ds.name, "nbd", "off")
    t0 = time.perf_counter()
    orders = purchases_frame(db, until=ds.as_of)
    summary = summarise(orders, ds.as_of, ds.holdout_weeks)
    x, t_x, T = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
    too_little = choose.enough_data(x)
    if too_little:  # as fit_run: no model on too little data
        row.note = f"no holdout check: {too_little}"
        return row
    fit = fit_purchase("nbd", x, t_x, T)
    doc = validate.holdout_check(fit, summary, orders, ds.holdout_weeks)
    row.actual, row.predicted = doc["actual_repeat_orders"], doc["predicted_repeat_orders"]
    row.corr, row.mae = doc["customer_corr"], doc["customer_mae"]
    row.note = "model API (no dropout process)"
    row.seconds = time.perf_counter() - t0
    return row


def open_dataset(ds: Dataset, folder: Path) -> tuple[Dataset, Database, pl.DataFrame]:
    """A fresh database holding the data set's orders, the orders as clvtui reads them back,
    and the data set with its holdout end settled (a user's file: its last order day)."""
    db_path = folder / f"{ds.name}.db"
    if ds.source is not None:
        db = open_db(db_path)
        import_file(db, ds.source)
    else:
        assert ds.load is not None
        db = import_orders(db_path, ds.load())
    orders = purchases_frame(db).select("customer_id", "ordered_at", "amount")
    if not ds.as_of:
        last = str(orders.select(pl.col("ordered_at").max().dt.date()).item())
        ds = replace(ds, as_of=last)
    return ds, db, orders


def measure_dataset(
    ds: Dataset, models: tuple[str, ...], folder: Path
) -> tuple[Dataset, list[Row], pl.DataFrame]:
    """Every requested model (× seasonality mode, when this build has it) on one data set."""
    ds, db, orders = open_dataset(ds, folder)
    rows: list[Row] = []
    for model in models:
        if model == "nbd":
            rows.append(measure_nbd(db, ds))
            continue
        if not SEASONAL:
            rows.append(measure_fit(db, ds, model, None))
            rows.append(Row(ds.name, model, "on", note=NOT_IN_BUILD))
            continue
        for mode in ("off", "on", *(("auto",) if model == "auto" else ())):
            rows.append(measure_fit(db, ds, model, mode))
    return ds, rows, orders


# ---------------------------------------------------------------- the reference tool


def lifetimes_reference(
    ds: Dataset, orders: pl.DataFrame, models: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """lifetimes 0.11.3 on its own calibration/holdout split of the same orders (days → weeks);
    fitted on unique (x, t_x, T) rows with weights, as it allows, to keep CDNOW master quick."""
    import warnings

    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
    from lifetimes.utils import ConvergenceError, calibration_and_holdout_data

    fitters = {
        "bgnbd": BetaGeoFitter,
        "paretonbd": ParetoNBDFitter,
        "mbgnbd": ModifiedBetaGeoFitter,
    }
    failures = (ConvergenceError, ValueError, ZeroDivisionError, np.linalg.LinAlgError)
    wanted = [m for m in models if m in fitters]
    end = date.fromisoformat(ds.as_of)
    cal_end = end - timedelta(weeks=ds.holdout_weeks)
    # with only id and date columns lifetimes' holdout count is empty under pandas 2: the
    # amount column keeps its group-by non-empty (monetary values are not used here)
    pdf = orders.select(
        "customer_id", "amount", date=pl.col("ordered_at").dt.replace_time_zone(None)
    ).to_pandas()
    try:
        split = calibration_and_holdout_data(
            pdf, "customer_id", "date", calibration_period_end=str(cal_end),
            observation_period_end=str(end), freq="D", monetary_value_col="amount",
        )  # fmt: skip
    except failures as err:
        return {name: {"failed": f"lifetimes could not split: {err}"} for name in wanted}
    f = split["frequency_cal"].to_numpy(float)
    r, T = split["recency_cal"].to_numpy(float) / 7, split["T_cal"].to_numpy(float) / 7
    actual = split["frequency_holdout"].to_numpy(float)
    horizon = float(split["duration_holdout"].iloc[0]) / 7
    keys, inverse, weights = np.unique(
        np.c_[f, r, T], axis=0, return_inverse=True, return_counts=True
    )
    out: dict[str, dict[str, Any]] = {}
    for name in wanted:
        fitter = fitters[name]()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitter.fit(keys[:, 0], keys[:, 1], keys[:, 2], weights=weights)
                per_row = np.asarray(
                    fitter.conditional_expected_number_of_purchases_up_to_time(
                        horizon, keys[:, 0], keys[:, 1], keys[:, 2]
                    ),
                    float,
                )
        except failures as err:
            out[name] = {"failed": f"lifetimes failed: {type(err).__name__}"}
            continue
        out[name] = holdout_metrics(per_row[inverse.ravel()], actual)
    return out


# ---------------------------------------------------------------- the table


def _pct(value: float | None) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:+.1%}"


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None or not np.isfinite(value) else format(value, fmt)


def table(rows: list[Row], ds: Dataset, reference: dict[str, dict[str, Any]]) -> str:
    """Markdown table: ours, then the published and the lifetimes figures for the same model."""
    head = ("| model | seasonality | actual | predicted | error | corr | MAE | published "
            "(pred / error / corr) | lifetimes (pred / error / corr) | note |")  # fmt: skip
    lines = [f"### {ds.name}: {ds.about}; holdout {ds.holdout_weeks} weeks to {ds.as_of}", "",
             head, "|" + "---|" * 10]  # fmt: skip
    for row in rows:
        plain = row.seasonality == "off"
        pub = ds.published.get(row.model) if plain else None
        pub_s = (f"{pub.predicted:,.0f} / {_pct(pub.predicted / pub.actual - 1)} / "
                 f"{_num(pub.corr, '.3f')}" if pub else "—")  # fmt: skip
        ref = reference.get(row.model)
        ref_s = (
            "—"
            if not (ref and plain)
            else ref.get("failed")
            or (f"{ref['predicted']:,.0f} / {_pct(ref['error'])} / {_num(ref['corr'], '.3f')}")
        )
        actual = "—" if row.actual is None else f"{row.actual:,}"
        lines.append(
            f"| {row.model} | {row.seasonality} | {actual} | {_num(row.predicted, ',.0f')} | "
            f"{_pct(row.error)} | {_num(row.corr, '.3f')} | {_num(row.mae, '.3f')} | {pub_s} | "
            f"{ref_s} | {row.note} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help=f"comma-separated, from {', '.join(DATASETS)}")  # fmt: skip
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument(
        "--data", type=Path, help="also measure this export (any clvtui import format)"
    )
    parser.add_argument("--holdout-weeks", type=int, default=13, help="for --data")
    parser.add_argument("--as-of", help="for --data: end of the holdout (default: last order day)")
    parser.add_argument("--no-lifetimes", action="store_true", help="skip the reference tool")
    args = parser.parse_args(argv)
    models = tuple(m for m in args.models.split(",") if m)
    chosen = [DATASETS[n] for n in args.datasets.split(",") if n]
    if args.data:
        chosen.append(user_dataset(args.data, args.holdout_weeks, args.as_of))
    seasonal = "yes" if SEASONAL else "no"
    print(
        f"clvtui accuracy bench — {date.today()} — Python {platform.python_version()} on "
        f"{platform.machine()}, seasonality in this build: {seasonal}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for ds in chosen:
            t0 = time.perf_counter()
            ds, rows, orders = measure_dataset(ds, models, Path(tmp))
            reference = {} if args.no_lifetimes else lifetimes_reference(ds, orders, models)
            print(table(rows, ds, reference))
            print(f"\n({time.perf_counter() - t0:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
