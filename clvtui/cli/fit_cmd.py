"""``clvtui fit`` (fit and store a run) and ``clvtui rank`` (customers by CLV).

Thin: the work is ``clvtui.pipeline.fit_run`` and ``clvtui.store.runs``; heavy libraries are
imported inside the commands so ``clvtui --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, emit_json, fail, resolve_db, user_errors
from clvtui.insights.jsonsafe import json_ready

MODEL_CHOICES = ("auto", "bgnbd", "paretonbd", "mbgnbd")


@app.command("fit")
def fit_command(
    db: DbOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Last day of data to use (YYYY-MM-DD). Default: last order."),
    ] = None,
    holdout_weeks: Annotated[
        int | None,
        typer.Option(
            "--holdout-weeks",
            help="Backtest: fit up to as-of minus N weeks and check the model on the last N.",
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option("--model", help="auto (chosen by holdout error), bgnbd, paretonbd, mbgnbd."),
    ] = "auto",
    json_out: JsonOption = False,
) -> None:
    """Fit the CLV model on the stored orders and score every customer (the run is kept)."""
    if model not in MODEL_CHOICES:
        raise fail(f"--model must be one of {', '.join(MODEL_CHOICES)} (got {model!r})")
    if holdout_weeks is not None and holdout_weeks < 1:
        raise fail(f"--holdout-weeks must be at least 1 (got {holdout_weeks})")
    with user_errors():
        from clvtui.pipeline import fit_run
        from clvtui.store import open_db

        database = open_db(resolve_db(db), create=False)
        progress = None if json_out or not sys.stderr.isatty() else _stderr_progress
        result = fit_run(
            database, as_of=as_of, holdout_weeks=holdout_weeks, model=model, progress=progress
        )
    if json_out:
        emit_json(json_ready(result.report))
    else:
        typer.echo(render_report(result.report))


def _stderr_progress(stage: str, fraction: float) -> None:
    sys.stderr.write(f"\r{fraction:4.0%} {stage:<32}")
    if fraction >= 1.0:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _num(v: float | None) -> str:
    if v is None:  # e.g. the standard error of a parameter held at the edge of its range
        return "–"
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def render_report(report: dict[str, Any]) -> str:
    """A short, readable report: model, parameters ± SE, equity with its interval, verdict."""
    eq = report["customer_equity"]
    kind = "net profit" if eq["value_kind"] == "net" else "revenue (no margin set)"
    lines = [
        f"Run {report['run_id']}: {report['model_label']} on {report['n_customers']:,} customers, "
        f"data to {report['calibration_end']}"
        + (f" (checked on the weeks to {report['as_of']})" if report.get("holdout") else ""),
    ]
    pm = report.get("purchase_model")
    if pm:
        params = ", ".join(
            f"{k} {_num(v)} ± {_num(pm['stderr'][k])}" for k, v in pm["params"].items()
        )
        lines.append(f"  purchases: {params}   log-likelihood {pm['loglik']:,.2f}")
    sm = report.get("spend_model")
    if sm:
        params = ", ".join(f"{k} {_num(v)}" for k, v in sm["params"].items())
        lines.append(
            f"  spend:     {params}   (frequency–spend correlation "
            f"{sm['frequency_spend_corr']:.2f}; the model assumes it is near 0)"
        )
    choice = report.get("model_choice")
    if choice:
        lines.append(f"  model chosen: {choice['reason']}")
    lines.append(
        f"Customer equity over {eq['horizon_months']} months, {kind}: "
        f"{eq['value']:,.0f} {eq['currency']} (90 % interval {eq['low']:,.0f} – {eq['high']:,.0f})"
    )
    hold = report.get("holdout")
    if hold:
        lines.append(hold["verdict"])
    for w in report.get("warnings", []):
        lines.append(f"note: {w}")
    return "\n".join(lines)


@app.command("rank")
def rank_command(
    db: DbOption = None,
    top: Annotated[int, typer.Option("--top", help="How many customers to show.")] = 20,
    tier: Annotated[
        str | None,
        typer.Option("--tier", help="Only this tier ('Highly profitable', 'Profitable', …)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Customers of the latest run, highest CLV first."""
    if fmt not in ("table", "csv", "json"):
        raise fail(f"--format must be table, csv or json (got {fmt!r})")
    if top < 1:
        raise fail(f"--top must be at least 1 (got {top})")
    with user_errors():
        import polars as pl

        from clvtui.errors import NoDataError
        from clvtui.store import open_db
        from clvtui.store.runs import latest_run, ranked_customers

        database = open_db(resolve_db(db), create=False)
        run = latest_run(database)
        if run is None:
            raise NoDataError("no fitted run yet; run clvtui fit first")
        scores = ranked_customers(database, run["id"])  # the cached ranking: one blob
        if tier is not None:
            tiers = sorted(t for t in scores["tier"].unique().to_list() if t)
            match = [t for t in tiers if t.lower() == tier.lower()]
            if not match:
                raise NoDataError(f"no tier {tier!r}; tiers in this run: {', '.join(tiers)}")
            scores = scores.filter(pl.col("tier") == match[0])
        scores = scores.head(top)
    _print_rank(scores, run, fmt)


def _print_rank(scores: Any, run: dict[str, Any], fmt: str) -> None:
    cols = ["customer_id", "clv", "clv_low", "clv_high", "p_alive", "expected_orders",
            "expected_spend", "orders", "spend", "tier", "risk"]  # fmt: skip
    frame = scores.select(cols)
    if fmt == "json":
        emit_json(
            {
                "run_id": run["id"],
                "as_of": run["as_of"],
                "currency": run["currency"],
                "value_kind": run["value_kind"],
                "customers": json_ready(frame.to_dicts()),
            }
        )
    elif fmt == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        kind = "net CLV" if run["value_kind"] == "net" else "revenue CLV"
        typer.echo(
            f"Run {run['id']} (scored as of {run['calibration_end']}), {kind} in {run['currency']}:"
        )
        typer.echo(
            f"{'customer':<16} {'CLV':>10} {'90 % interval':>21} {'P(alive)':>8} "
            f"{'orders':>6}  tier / risk"
        )
        for r in frame.iter_rows(named=True):
            typer.echo(
                f"{r['customer_id']:<16} {r['clv']:>10,.2f} "
                f"{r['clv_low']:>10,.2f}–{r['clv_high']:<10,.2f} {r['p_alive']:>8.2f} "
                f"{r['expected_orders']:>6.2f}  {r['tier'] or '–'} / {r['risk'] or '–'}"
            )
