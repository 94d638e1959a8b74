"""``clvtui fit`` (fit and store a run) and ``clvtui rank`` (customers by CLV).

Thin: the work is ``clvtui.services.fit.fit_shop`` and ``clvtui.store.runs``; heavy libraries
are imported inside the commands so ``clvtui --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, emit_json, fail, open_database, user_errors
from clvtui.cli.common import RunOption, TierOption, tier_name
from clvtui.core.memory import polars_frees_at_once
from clvtui.core.timefmt import MAX_HOLDOUT_WEEKS
from clvtui.insights.jsonsafe import json_ready
from clvtui.model.registry import PURCHASE_MODELS
from clvtui.wording import clv_label, plural, printable, value_basis

ORDERS_FIT_DECAY_MS = 100  # see core.memory.polars_frees_at_once

if TYPE_CHECKING:
    from clvtui.report import CustomerEquity, RunReport

MODEL_CHOICES = ("auto", *PURCHASE_MODELS)  # model.models is light: no numpy for ``--help``


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
            help="Check the model on the last N weeks (fitted on the weeks before), then fit "
            "it on all orders: the scores are as of the as-of date either way.",
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            "--model", help=f"auto (chosen by holdout error), {', '.join(PURCHASE_MODELS)}."
        ),
    ] = "auto",
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="Fit the customers' purchases in this currency (e.g. EUR). Default: the "
            "currency with the most purchases; the others are listed as left out.",
        ),
    ] = None,
    seasonality: Annotated[
        str,
        typer.Option(
            "--seasonality",
            help="auto (used when ≥ 15 months of history show a pattern that improves the "
            "validation weeks), on, off.",
        ),
    ] = "auto",
    json_out: JsonOption = False,
    summary: Annotated[  # warehouse hook (issue 16): fit from a per-customer summary file
        Path | None,
        typer.Option(
            "--summary",
            help="Fit from a per-customer summary (Parquet or CSV: customer_id, x, t_x, T, m) "
            "made by a warehouse instead of the stored orders; see docs/warehouse.md.",
            show_default=False,
        ),
    ] = None,
    unit: Annotated[
        str, typer.Option("--unit", help="With --summary: t_x and T are in weeks or days.")
    ] = "weeks",
) -> None:
    """Fit the CLV model on the stored orders and score every customer (the run is kept).

    A run is in one currency: amounts in different currencies are never added up.
    """
    # the read orders' ~0.4 GB go back before the scores are built; a fit from the orders
    # lets freed pages stay 100 ms (faster at the same peak), a 10 M summary none
    polars_frees_at_once(0 if summary is not None else ORDERS_FIT_DECAY_MS)
    if summary is not None and seasonality == "on":
        raise fail(
            "--seasonality on needs the stored orders' dates; a summary file has none "
            "(fit from the orders, or drop --seasonality)"
        )
    if currency is not None:
        with user_errors():
            from clvtui.core.currency import currency_code

            currency = currency_code(currency)
    if summary is not None:  # warehouse hook (issue 16)
        from clvtui.cli.warehouse_cmd import fit_from_summary

        fit_from_summary(db, summary, unit, as_of, holdout_weeks, model, currency, json_out)
        return
    if model not in MODEL_CHOICES:
        raise fail(f"--model must be one of {', '.join(MODEL_CHOICES)} (got {model!r})")
    if seasonality not in ("auto", "on", "off"):
        raise fail(f"--seasonality must be one of auto, on, off (got {seasonality!r})")
    if holdout_weeks is not None and not 1 <= holdout_weeks <= MAX_HOLDOUT_WEEKS:
        raise fail(
            f"--holdout-weeks must be from 1 to {MAX_HOLDOUT_WEEKS} (ten years; "
            f"got {holdout_weeks})"
        )
    with user_errors():
        from clvtui.services.fit import fit_shop

        database = open_database(db, write=True, create=False)
        progress = None if json_out or not sys.stderr.isatty() else _stderr_progress
        result = fit_shop(
            database, as_of=as_of, holdout_weeks=holdout_weeks, model=model, progress=progress,
            currency=currency, seasonality=seasonality,
        )  # fmt: skip
    if json_out:
        emit_json(json_ready(result.report))
    else:
        typer.echo(render_report(result.run_report))


def _stderr_progress(stage: str, fraction: float) -> None:
    sys.stderr.write(f"\r{fraction:4.0%} {stage:<32}")
    if fraction >= 1.0:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _num(v: float | None) -> str:
    if v is None:  # e.g. the standard error of a parameter held at the edge of its range
        return "–"
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def render_report(report: RunReport | dict[str, Any]) -> str:
    """A short, readable report: model, parameters ± SE, equity with its interval, verdict.

    Takes the typed report or its JSON document (as ``fit --json`` prints it)."""
    if isinstance(report, dict):
        from clvtui.report import RunReport

        report = RunReport.from_json(report)
    eq = report.customer_equity
    lines = [
        f"Run {report.run_id}: {report.model_label} on {plural(report.n_customers, 'customer')}, "
        f"scored as of {report.scored_as_of or report.as_of}",
    ]
    pm = report.purchase_model
    if pm:
        params = ", ".join(f"{p.name} {_num(p.value)} ± {_num(p.stderr)}" for p in pm.parameters())
        lines.append(f"  purchases: {params}   log-likelihood {pm.loglik:,.2f}")
    cal = report.holdout.calibration_fit if report.holdout else None
    if cal:
        params = ", ".join(f"{p.name} {_num(p.value)}" for p in cal.parameters())
        lines.append(
            f"  checked:   {params}   (fit on data to {report.calibration_end}, "
            f"checked on the weeks to {report.as_of}, then refitted on all of it)"
        )
    sm = report.spend_model
    if sm:
        params = ", ".join(f"{p.name} {_num(p.value)}" for p in sm.parameters())
        corr = sm.frequency_spend_corr
        corr_text = "n/a" if corr is None else f"{corr:.2f}"
        lines.append(
            f"  spend:     {params}   (frequency–spend correlation "
            f"{corr_text}; the model assumes it is near 0)"
        )
    if report.model_choice:
        lines.append(f"  model chosen: {report.model_choice.reason}")
    if report.seasonality:
        lines.append(f"  {report.seasonality['reason']}")
    if eq is not None:
        lines.append(_equity_line(eq))
    return "\n".join(lines + _notes(report))


def _equity_line(eq: CustomerEquity) -> str:
    kind = value_basis(eq.value_kind)
    return (
        f"Customer equity over {plural(eq.horizon_months, 'month')}, {kind}: {_whole(eq.value)} "
        f"{eq.currency} (90 % interval {_whole(eq.low)} – {_whole(eq.high)})"
    )


def _whole(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def _notes(report: RunReport) -> list[str]:
    """The lines after the equity: currencies left out, verdict, churn rule, outliers, notes."""
    lines = []
    mix = report.currencies
    if mix and mix.left_out:
        lines.append(
            f"  currency: {mix.currency} ({mix.chosen_by}); other currencies are "
            "left out, see the notes below"
        )
    if report.holdout and report.holdout.verdict:
        lines.append(report.holdout.verdict)
    rule = report.risk_rule.one_time if report.risk_rule else None
    if rule:
        lines.append(f"  churn risk: {rule['text']}")
    out = report.outlier_orders
    if out and out.orders:
        lines.append(
            f"  outliers: {out.orders:,} order(s), {out.revenue_share:.1%} of revenue, "
            "capped for the spend model"
        )
    return lines + [f"note: {w}" for w in report.warnings]


@app.command("rank")
def rank_command(
    db: DbOption = None,
    top: Annotated[int, typer.Option("--top", help="How many customers to show.")] = 20,
    tier: TierOption = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table, csv or json (json: the same as --json).")
    ] = "table",
    json_out: JsonOption = False,
    run_id: RunOption = None,
) -> None:
    """Customers of the latest run (or --run N), highest CLV first."""
    if fmt not in ("table", "csv", "json"):
        raise fail(f"--format must be table, csv or json (got {fmt!r})")
    if top < 1:
        raise fail(f"--top must be at least 1 (got {top})")
    name = tier_name(tier) if tier is not None else None
    with user_errors():
        import polars as pl

        from clvtui.errors import NoDataError
        from clvtui.services.tiers import ranked_customers  # tiers by today's rule
        from clvtui.store.run_scores import latest_run_id, run_row

        database = open_database(db, write=False)
        run = run_row(database, latest_run_id(database) if run_id is None else run_id)
        # the stored ranking, re-tiered; only the columns rank prints are decompressed
        scores = ranked_customers(database, run["id"], columns=RANK_COLUMNS)
        if name is not None:
            scores = scores.filter(pl.col("tier") == name)
            if scores.is_empty():
                raise NoDataError(f"no customer in tier {name!r} in run {run['id']}")
        scores = scores.head(top)
    _print_rank(scores, run, "json" if json_out else fmt)


#: rank's columns, in text, CSV and JSON alike: ``expected_orders`` are the orders expected
#: over the horizon, ``orders`` the purchases so far (one word, one meaning everywhere).
RANK_COLUMNS = ["customer_id", "clv", "clv_low", "clv_high", "p_alive", "p_order_30",
                "p_order_90", "expected_orders", "expected_spend", "orders", "spend", "tier",
                "risk"]  # fmt: skip


def _print_rank(scores: Any, run: dict[str, Any], fmt: str) -> None:
    frame = scores.select(RANK_COLUMNS)
    as_of = str(run["scored_as_of"])[:10]  # the date the values refer to, in every format
    if fmt == "json":
        emit_json(
            {
                "run_id": run["id"],
                "as_of": as_of,
                "currency": run["currency"],
                "value_kind": run["value_kind"],
                "customers": json_ready(frame.to_dicts()),
            }
        )
    elif fmt == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        typer.echo(
            f"Run {run['id']} (scored as of {as_of}), {clv_label(run['value_kind'])} "
            f"in {run['currency']}:"
        )
        for line in _rank_lines(frame):
            typer.echo(line)


def _rank_lines(frame: Any) -> list[str]:
    """The text table: the customer column as wide as the longest id (never cut)."""
    ids = [printable(c) for c in frame["customer_id"]]  # a newline in an id would break the row
    width = max([len("customer"), *(len(c) for c in ids)])
    lines = [
        f"{'customer':<{width}} {'CLV':>10} {'90 % interval':>21} {'P(alive)':>8} "
        f"{'P(order 90d)':>12} {'expected_orders':>15} {'orders':>6}  tier / risk"
    ]
    for shown, r in zip(ids, frame.iter_rows(named=True), strict=True):
        lines.append(
            f"{shown:<{width}} {r['clv']:>10,.2f} "
            f"{r['clv_low']:>10,.2f}–{r['clv_high']:<10,.2f} {r['p_alive']:>8.2f} "
            f"{_pct(r['p_order_90']):>12} {r['expected_orders']:>15.2f} {r['orders']:>6,}  "
            f"{r['tier'] or '–'} / {r['risk'] or '–'}"
        )
    return lines
