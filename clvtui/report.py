"""The run report: what one fit found, typed, versioned, and the same JSON as ``fit --json``.

Why typed: the report is written once (``pipeline.fit_run``) and read by the CLI, the screens
and the services; with a dict every reader guessed keys. Why versioned: reports are stored in
``runs.report`` for ever, so a report written by an older clvtui must still load.
``RunReport.from_json`` reads every shape ever stored (``report_json.upgrade``);
``to_json`` writes the current one, key for key what ``clvtui fit --json`` has always
printed, plus ``version``.

Core module: no Textual, no Typer, no SQL, no model maths — plain data only.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any, Self, TypeVar

from clvtui.report_json import REPORT_VERSION, finite_report, upgrade

_T = TypeVar("_T")


def _pick(cls: type, doc: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``doc`` that are fields of ``cls`` (unknown keys of newer reports ignored)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in doc.items() if k in names}


def _flat(obj: Any, omit_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """A flat dataclass as its JSON object; the fields in ``omit_none`` are left out when None."""
    out = {f.name: getattr(obj, f.name) for f in fields(obj)}
    return {k: v for k, v in out.items() if not (k in omit_none and v is None)}


@dataclass(frozen=True)
class Parameter:
    """One fitted parameter with its standard error (None: held at the edge, not identified)."""

    name: str
    value: float | None
    stderr: float | None


@dataclass
class Histogram:
    """Customers by number of repeat orders (0..6, 7+): actual vs the model's expectation."""

    labels: list[str]
    actual: list[int]
    expected: list[float | None]

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> Histogram | None:
        return None if not isinstance(doc, dict) else cls(**_pick(cls, doc))


@dataclass
class ModelFit:
    """A fitted model as reported: natural-scale parameters, their SEs, fit statistics.

    ``model`` is named only for the holdout's calibration fit (it may be a nested model);
    ``histogram`` is there for purchase models, not the spend model.
    """

    params: dict[str, float | None]
    stderr: dict[str, float | None] = field(default_factory=dict)
    loglik: float | None = None
    n_customers: int | None = None
    aic: float | None = None
    bic: float | None = None
    converged: bool | None = None
    identified: list[str] = field(default_factory=list)
    not_identified: dict[str, str] = field(default_factory=dict)
    boundary: list[str] = field(default_factory=list)
    nested_from: str | None = None
    boundary_fit: dict[str, Any] | None = None
    model: str | None = None
    histogram: Histogram | None = None

    _OPTIONAL = ("boundary_fit", "model", "histogram")

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> Self | None:
        if not isinstance(doc, dict):
            return None
        kwargs = _pick(cls, doc)
        # reports before 1: a parameter could be {"value"/"estimate": v, "stderr": se}
        params, errors = {}, dict(kwargs.get("stderr") or {})
        for name, value in (kwargs.get("params") or {}).items():
            if isinstance(value, dict):
                errors.setdefault(name, value.get("stderr", value.get("se")))
                value = value.get("value", value.get("estimate"))
            params[name] = value
        kwargs |= {"params": params, "stderr": errors}
        kwargs["histogram"] = Histogram.from_json(doc.get("histogram"))
        return cls(**kwargs)

    def parameters(self) -> list[Parameter]:
        return [Parameter(n, v, self.stderr.get(n)) for n, v in self.params.items()]

    def to_json(self) -> dict[str, Any]:
        out = _flat(self, self._OPTIONAL)
        if self.histogram is not None:
            out["histogram"] = _flat(self.histogram)
        return out


@dataclass
class SpendFit(ModelFit):
    """The Gamma-Gamma spend fit, with the checks its assumption asks for."""

    frequency_spend_corr: float | None = None
    population_mean: float | None = None


@dataclass
class Weekly:
    """Repeat orders week by week over the holdout, and their running totals."""

    actual: list[float | None]
    predicted: list[float | None]
    actual_cumulative: list[float | None]
    predicted_cumulative: list[float | None]


@dataclass
class HoldoutCheck:
    """The model fitted on the calibration window, checked on the last ``weeks`` weeks."""

    weeks: int | None
    customers: int | None = None
    actual_repeat_orders: int | None = None
    predicted_repeat_orders: float | None = None
    actual_revenue: float | None = None
    predicted_revenue: float | None = None
    customer_mae: float | None = None
    customer_corr: float | None = None
    weekly: Weekly | None = None
    verdict: str | None = None
    calibration_end: str | None = None
    calibration_fit: ModelFit | None = None
    weekly_note: str | None = None  # why there is no weekly series (a summary run)

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> HoldoutCheck | None:
        if not isinstance(doc, dict):
            return None
        kwargs = _pick(cls, doc)
        weekly = doc.get("weekly")
        kwargs["weekly"] = Weekly(**_pick(Weekly, weekly)) if isinstance(weekly, dict) else None
        kwargs["calibration_fit"] = ModelFit.from_json(doc.get("calibration_fit"))
        return cls(**{"weeks": None} | kwargs)

    def to_json(self) -> dict[str, Any]:
        out = _flat(self, ("calibration_end", "calibration_fit", "weekly_note"))
        out["weekly"] = None if self.weekly is None else _flat(self.weekly)
        if self.calibration_fit is not None:
            out["calibration_fit"] = self.calibration_fit.to_json()
        return out


@dataclass
class ModelChoice:
    """Why this model: the reason, and the candidates' scores on the weeks compared."""

    reason: str
    candidates: dict[str, dict[str, Any]] | None = None
    compared_on: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return _flat(self, ("candidates", "compared_on"))


@dataclass
class Currencies:
    """The currency fitted, how it was chosen, and what the other currencies held."""

    currency: str | None
    chosen_by: str | None = None
    left_out: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CustomerEquity:
    """The sum of every customer's CLV over the horizon, with its 90 % interval."""

    value: float | None
    low: float | None = None
    high: float | None = None
    currency: str | None = None
    value_kind: str = "revenue"  # "net" once a margin is set
    horizon_months: int | None = None


@dataclass
class ValueConcentration:
    """Share of future value held by the top x % of customers (the Overview's curve)."""

    customers_pct: list[float]
    value_pct: list[float]
    top10_share: float


@dataclass
class NextOrder:
    """The chance of an order within 30 / 90 days: mean per customer, expected customers."""

    p_order_30_mean: float | None
    p_order_90_mean: float | None
    expected_customers_30: float | None
    expected_customers_90: float | None


@dataclass
class RiskRule:
    """How risk bands were given: the P(alive) rule, the one-time buyers' rule, who moved."""

    p_alive: str
    one_time: dict[str, Any] | None = None
    one_time_moved: int | None = None


@dataclass
class OutlierOrders:
    """Outlier order days capped for the spend model (counts, share of revenue, the rule)."""

    orders: int
    customers: int = 0
    revenue_share: float | None = 0.0
    rule: str | None = None


def load_section(cls: type[_T], doc: Any) -> _T:
    """A flat section (``CustomerEquity``, ``Currencies``, …) from its JSON object."""
    return cls(**_pick(cls, doc))


def _section(cls: type[_T], doc: Any) -> _T | None:
    return load_section(cls, doc) if isinstance(doc, dict) else None


@dataclass
class RunReport:
    """Everything one fit reports. ``holdout`` is None without a check; ``holdout_requested``
    says whether one was asked for (the JSON then holds ``"holdout": null`` and a warning
    saying why there was nothing to check). ``seasonality``: an optional block written by the
    seasonal model (its own shape, kept as it is); ``summary_file``: where a run fitted from a
    warehouse summary came from and what it cannot show (``summary_fit``)."""

    model: str
    model_label: str
    as_of: str | None = None
    scored_as_of: str | None = None
    calibration_end: str | None = None
    n_customers: int | None = None
    customer_equity: CustomerEquity | None = None
    purchase_model: ModelFit | None = None
    spend_model: SpendFit | None = None
    holdout: HoldoutCheck | None = None
    holdout_requested: bool = False
    model_choice: ModelChoice | None = None
    currencies: Currencies | None = None
    value_concentration: ValueConcentration | None = None
    next_order: NextOrder | None = None
    risk_rule: RiskRule | None = None
    outlier_orders: OutlierOrders | None = None
    warnings: list[str] = field(default_factory=list)
    nulls: list[dict[str, str]] = field(default_factory=list)
    seasonality: dict[str, Any] | None = None
    summary_file: dict[str, Any] | None = None  # a run fitted from a warehouse summary
    run_id: int | None = None
    version: int = REPORT_VERSION

    @property
    def currency(self) -> str | None:
        return self.customer_equity.currency if self.customer_equity else None

    @property
    def value_kind(self) -> str:
        return self.customer_equity.value_kind if self.customer_equity else "revenue"

    @property
    def horizon_months(self) -> int | None:
        return self.customer_equity.horizon_months if self.customer_equity else None

    @property
    def verdict(self) -> str | None:
        return self.holdout.verdict if self.holdout else None

    def boundary_notes(self) -> list[str]:
        """Plain-words notes of fits that ran to the edge of the parameter space, purchase
        model first, each once."""
        notes: list[str] = []
        for fit in (self.purchase_model, self.spend_model):
            for note in fit.boundary if fit else []:
                if note not in notes:
                    notes.append(note)
        return notes

    def to_json(self) -> dict[str, Any]:
        """The ``fit --json`` document (what ``runs.report`` stores, plus ``run_id``)."""

        def section(value: Any) -> Any:
            if value is None or isinstance(value, dict | list | str | int | float):
                return value
            return value.to_json() if hasattr(value, "to_json") else _flat(value)

        out: dict[str, Any] = {"model": self.model, "model_label": self.model_label}
        if self.holdout is not None or self.holdout_requested:
            out["holdout"] = section(self.holdout)
        out |= {"purchase_model": section(self.purchase_model)}
        out |= {"spend_model": section(self.spend_model)}
        if self.model_choice is not None:
            out["model_choice"] = self.model_choice.to_json()
        for name in ("currencies", "customer_equity", "as_of", "scored_as_of", "calibration_end",
                     "n_customers", "value_concentration", "next_order", "risk_rule",
                     "outlier_orders", "warnings"):  # fmt: skip
            out[name] = section(getattr(self, name))
        for name in ("nulls", "seasonality", "summary_file", "run_id"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["version"] = self.version
        return copy.deepcopy(out)  # a document of its own: editing it leaves the report as is

    def finite(self) -> RunReport:
        """This report with every non-finite number a null listed in ``nulls``."""
        return RunReport.from_json(finite_report(self.to_json()))

    @classmethod
    def from_run(cls, run: dict[str, Any]) -> RunReport:
        """A stored run's report (a ``runs`` row, report parsed), the row's own columns filling
        what an older report lacks: the one place the screens get a run's facts from."""
        stored = run.get("report")
        doc: dict[str, Any] = stored if isinstance(stored, dict) else {}
        report = cls.from_json(doc)
        settings = run.get("settings")
        settings = settings if isinstance(settings, dict) else {}
        equity = report.customer_equity or CustomerEquity(
            value=run.get("customer_equity"), low=run.get("equity_low"),
            high=run.get("equity_high"),
        )  # fmt: skip
        equity.currency = equity.currency or run.get("currency")
        # the row's column, else a draft report's top-level key, else the report's own
        equity.value_kind = run.get("value_kind") or doc.get("value_kind") or equity.value_kind
        equity.horizon_months = equity.horizon_months or settings.get("horizon_months")
        report.customer_equity = equity
        if report.model == "?" and run.get("model"):
            report.model, report.model_label = str(run["model"]), str(run["model"]).upper()
        report.as_of = report.as_of or run.get("as_of")
        report.calibration_end = report.calibration_end or run.get("calibration_end")
        report.scored_as_of = report.scored_as_of or report.calibration_end or report.as_of
        report.n_customers = (
            report.n_customers if report.n_customers is not None else run.get("n_customers")
        )
        report.run_id = run.get("id", report.run_id)
        return report

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> RunReport:
        """Any stored report, of any version, as the current typed report."""
        doc = upgrade(dict(doc or {}))
        return cls(
            model=str(doc.get("model") or "?"),
            model_label=str(doc.get("model_label") or str(doc.get("model") or "?").upper()),
            as_of=doc.get("as_of"),
            scored_as_of=doc.get("scored_as_of"),
            calibration_end=doc.get("calibration_end"),
            n_customers=doc.get("n_customers"),
            customer_equity=_section(CustomerEquity, doc.get("customer_equity")),
            purchase_model=ModelFit.from_json(doc.get("purchase_model")),
            spend_model=SpendFit.from_json(doc.get("spend_model")),
            holdout=HoldoutCheck.from_json(doc.get("holdout")),
            holdout_requested="holdout" in doc,
            model_choice=_section(ModelChoice, doc.get("model_choice")),
            currencies=_section(Currencies, doc.get("currencies")),
            value_concentration=_section(ValueConcentration, doc.get("value_concentration")),
            next_order=_section(NextOrder, doc.get("next_order")),
            risk_rule=_section(RiskRule, doc.get("risk_rule")),
            outlier_orders=_section(OutlierOrders, doc.get("outlier_orders")),
            warnings=list(doc.get("warnings") or []),
            nulls=list(doc.get("nulls") or []),
            seasonality=doc.get("seasonality"),
            summary_file=doc.get("summary_file"),
            run_id=doc.get("run_id"),
        )
