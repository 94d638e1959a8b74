"""What to do when a maximum-likelihood estimate runs to the edge of the parameter space.

Real shops often sit there: wholesale buyers or a young shop where nobody has visibly left
(BG/NBD a → 0 or b → ∞, Pareto/NBD s → 0 or β → ∞), regulars who all buy at about the same
rate (r, α → ∞ together with r/α finite), a dropout chance that is the same for everyone
(a, b → ∞). The likelihood is then flat along the runaway direction, its Hessian singular, and
the textbook covariance meaningless — which used to crash the draws (Cholesky) and put inf/NaN
in the report.

The check runs after the fit and costs nothing on an ordinary one (the trigger only reads the
fitted values and the covariance). When it fires:

1. No visible dropout: when a dropout parameter is at its edge or barely determined (SE of
   its log > WEAK_SE), the nested NBD model (``nbd.py``: nobody leaves) is fitted on the same
   rows. If the dropout part is not significant — likelihood ratio below NO_DROPOUT_LR, the
   5 % test of "no dropout at all" — the NBD fit is what is used, with a plain-words note, and
   the requested model's own fit kept for reference.
2. Otherwise each parameter at its edge is held there (not identified; no standard error, a
   reason instead). In a shape/scale pair that runs away together (r and α, a and b, s and β)
   only the shape is held: its scale then still carries the identified ratio (the mean rate r/α,
   the mean dropout a/(a+b)). The covariance of the identified parameters is the inverse of
   their block of the information matrix, floored if it is still not positive definite.
"""

from __future__ import annotations

import numpy as np

from clvtui.errors import ModelError
from clvtui.model.base import (
    EDGE_LOG,
    FittedModel,
    LikelihoodBase,
    Rows,
    _nearest_covariance,
)
from clvtui.model.registry import LABELS

EDGE = EDGE_LOG  # |ln θ| beyond which a parameter has run to the edge of its range
TRIGGER = float(np.log(1e3))  # |ln θ| that makes the check look closer
FLAT_SE = 5.0  # SE(ln θ) beyond which the likelihood is flat along θ (95 % spans e^±10)
# 2·Δ log-likelihood of the dropout part below which it is not visible: the 5 % point of the
# ½χ²₀ + ½χ²₁ mixture, the null distribution of a likelihood ratio for a parameter on its bound
NO_DROPOUT_LR = 2.71
WEAK_SE = 1.0  # SE(ln θ) of a dropout parameter above which the dropout part is tested

DROPOUT = {"bgnbd": ("a", "b"), "mbgnbd": ("a", "b"), "paretonbd": ("s", "beta")}
PAIRS = {
    "bgnbd": (("r", "alpha"), ("a", "b")),
    "mbgnbd": (("r", "alpha"), ("a", "b")),
    "paretonbd": (("r", "alpha"), ("s", "beta")),
    "nbd": (("r", "alpha"),),
    "gammagamma": (("q", "gamma"),),
}


def needs_check(fit: FittedModel) -> bool:
    """Cheap: any parameter far out, or a covariance that is flat or was not positive definite."""
    logs = np.log(fit.theta)
    var = np.diag(fit.cov_log)
    return bool(
        np.any(np.abs(logs) > TRIGGER)
        or not np.all(np.isfinite(var))
        or np.any(var > FLAT_SE**2)
        or any("flat" in w for w in fit.warnings)
    )


def _weak_dropout(fit: FittedModel) -> list[str]:
    """Dropout parameters at their edge or barely determined by the data."""
    var = np.diag(fit.cov_log)
    return [
        n
        for n in DROPOUT.get(fit.model, ())
        if abs(np.log(fit.params[n])) > TRIGGER
        or not np.isfinite(var[fit.names.index(n)])
        or var[fit.names.index(n)] > WEAK_SE**2
    ]


def settle(fit: FittedModel, likelihood: LikelihoodBase) -> FittedModel:
    """The fit to use: unchanged when interior; nested (NBD) or with parameters held otherwise."""
    weak = _weak_dropout(fit)
    if not weak and not needs_check(fit):
        return fit
    if weak or (fit.model in DROPOUT and needs_check(fit)):
        nested = _no_dropout(fit, likelihood)
        if nested is not None:
            return nested
    return hold_edges(fit, likelihood)


def _no_dropout(fit: FittedModel, likelihood: LikelihoodBase) -> FittedModel | None:
    """The NBD fit when the dropout part is at its edge and adds nothing to the likelihood."""
    from clvtui.model import nbd
    from clvtui.model.base import fit_likelihood

    flat = _flat_names(fit, likelihood) if needs_check(fit) else []
    at_edge = [n for n in DROPOUT[fit.model] if n in flat or n in _weak_dropout(fit)]
    if not at_edge:
        return None
    rows: Rows = likelihood.rows
    nested_likelihood = nbd.Likelihood(rows)
    try:
        nested = fit_likelihood(nested_likelihood, "nbd", nbd.starts(rows), fit.n_customers)
    except ModelError as err:  # reported; the boundary fit is used instead
        fit.warnings.append(f"the no-dropout (NBD) model could not be fitted either: {err}")
        return None
    lr = 2.0 * (fit.loglik - nested.loglik)
    if lr >= NO_DROPOUT_LR:
        return None
    label = LABELS[fit.model]
    nested = hold_edges(nested, nested_likelihood)
    nested.nested_from = fit.model
    nested.boundary.insert(
        0,
        f"No customer visibly left in the data, so the dropout part of {label} cannot be "
        "estimated; clvtui used the NBD model, in which customers keep buying at their own "
        "rate. Treat long-horizon values as optimistic.",
    )
    nested.boundary_fit = {
        "model": fit.model,
        "params": fit.params,
        "loglik": fit.loglik,
        "likelihood_ratio": max(lr, 0.0),
        "at_edge": at_edge,
        "note": (
            f"{label}'s own fit ({_edge_text(fit, at_edge)}) improves on no dropout at all by a "
            f"likelihood ratio of {max(lr, 0.0):.2f}, below {NO_DROPOUT_LR} (not significant "
            "at 5 %); it is kept here for reference only"
        ),
    }
    nested.warnings = [w for w in fit.warnings if "flat" not in w] + nested.warnings
    return nested


def hold_edges(fit: FittedModel, likelihood: LikelihoodBase) -> FittedModel:
    """Hold every parameter at its edge fixed; covariance over the identified ones only."""
    if not needs_check(fit):
        return fit
    names, logs = fit.names, np.log(fit.theta)
    held: dict[str, str] = {}
    carriers: set[str] = set()  # scales of a runaway pair: they carry the identified ratio
    for shape, scale in PAIRS.get(fit.model, ()):
        i, j = names.index(shape), names.index(scale)
        if logs[i] > EDGE and logs[j] > EDGE:
            held[shape] = _pair_reason(fit, shape, scale)
            carriers.add(scale)
    for i, name in enumerate(names):
        if name not in held and abs(logs[i]) > EDGE and name not in carriers:
            held[name] = (
                f"{name} ran to the edge of its range ({fit.theta[i]:.3g}): the data do not "
                "pin it down, so it is held there and has no standard error"
            )
    for name in _flat_names(fit, likelihood, exclude=held):
        held.setdefault(
            name,
            f"the likelihood is flat along {name}: the data do not pin it down, so it is held "
            "at its estimate and has no standard error",
        )
    idx = [i for i, n in enumerate(names) if n not in held]
    cov = np.zeros_like(fit.cov_log)
    if idx:
        info = -likelihood.hessian_at(np.log(fit.theta))[np.ix_(idx, idx)]
        cov[np.ix_(idx, idx)] = _inverse_information(info)
    fit.cov_log = cov
    fit.not_identified = {**fit.not_identified, **held}
    fit.warnings = [w for w in fit.warnings if "flat in some direction" not in w]
    for reason in held.values():
        note = reason[0].upper() + reason[1:] + "."
        if note not in fit.boundary:
            fit.boundary.append(note)
    return fit


def _pair_reason(fit: FittedModel, shape: str, scale: str) -> str:
    p = fit.params
    ratio = p[shape] / p[scale]
    if shape == "r":
        what = f"customers buy at nearly the same rate (about {ratio:.3g} orders a week each)"
    elif shape == "a":
        what = (
            "every customer has about the same chance of leaving after a purchase "
            f"({p['a'] / (p['a'] + p['b']):.3g})"
        )
    elif shape == "s":
        what = f"every customer has about the same chance of leaving ({ratio:.3g} a week)"
    elif shape == "q":
        what = (
            "spend model: customers' typical order values differ no more than chance would "
            "make them"
        )
    else:
        what = "the spread between customers is too small to estimate"
    return (
        f"{what}, so {shape} is held at a large value ({p[shape]:.3g}) and {scale} carries "
        f"the average; {shape} has no standard error"
    )


def _flat_names(
    fit: FittedModel, likelihood: LikelihoodBase, exclude: dict[str, str] | None = None
) -> list[str]:
    """Parameters that dominate a direction in which the information is (nearly) zero."""
    exclude = exclude or {}
    idx = [i for i, n in enumerate(fit.names) if n not in exclude]
    if not idx:
        return []
    info = -likelihood.hessian_at(np.log(fit.theta))[np.ix_(idx, idx)]
    if not np.all(np.isfinite(info)):
        return [fit.names[i] for i in idx]
    vals, vecs = np.linalg.eigh((info + info.T) / 2.0)
    out: list[str] = []
    for v, vec in zip(vals, vecs.T, strict=True):
        if v < 1.0 / FLAT_SE**2:
            out.append(fit.names[idx[int(np.argmax(np.abs(vec)))]])
    return out


def _inverse_information(info: np.ndarray) -> np.ndarray:
    info = np.where(np.isfinite(info), info, 0.0)
    info = (info + info.T) / 2.0
    vals = np.linalg.eigvalsh(info)
    if np.all(vals > 0):
        return np.linalg.inv(info)
    return _nearest_covariance(np.linalg.pinv(info))


def _edge_text(fit: FittedModel, names: list[str]) -> str:
    return ", ".join(f"{n} = {fit.params[n]:.3g}" for n in names)
