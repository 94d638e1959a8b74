"""Every purchase model satisfies ``PurchaseModel``; the per-customer paths of ``model.paths``
agree with the model functions at the points where they must."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from clvtui.model import bgnbd
from clvtui.model.paths import alive_path, expected_orders_path
from clvtui.model.protocol import PurchaseModel
from clvtui.model.registry import NESTED_MODELS, PURCHASE_MODELS, module_for, theta_of

# BG/NBD on CDNOW weeks 1–39 (Fader, Hardie & Lee 2005, table 1)
CDNOW = {"r": 0.2426, "alpha": 4.4136, "a": 0.7930, "b": 2.4259}


@pytest.mark.parametrize("name", PURCHASE_MODELS + NESTED_MODELS)
def test_every_model_module_satisfies_the_protocol(name: str) -> None:
    mod = module_for(name)
    assert isinstance(mod, PurchaseModel)
    assert name == mod.NAME and len(mod.NAMES) >= 2
    for member in ("p_alive", "alive_expected", "expected", "unconditional", "pmf", "starts"):
        wanted = list(inspect.signature(getattr(PurchaseModel, member)).parameters)[1:]
        got = list(inspect.signature(getattr(mod, member)).parameters)[: len(wanted)]
        assert got == wanted, (name, member)


def test_theta_of_needs_a_model_formula_and_every_parameter() -> None:
    assert theta_of("bgnbd", CDNOW) == pytest.approx([0.2426, 4.4136, 0.7930, 2.4259])
    assert theta_of("empirical", {"rate": 0.1}) is None
    assert theta_of("bgnbd", CDNOW | {"b": None}) is None
    assert theta_of("bgnbd", CDNOW | {"b": float("nan")}) is None


def test_alive_path_ends_at_the_customers_p_alive_as_of() -> None:
    """Purchases on days 0, 70 and 213 (x = 2, t_x = 30.43 weeks), as-of day 272 (T = 38.86):
    the path starts at 1 (a new customer is alive) and ends at P(alive | 2, 30.43, 38.86)."""
    path = alive_path("bgnbd", CDNOW, [10_000.0, 10_070.0, 10_213.0], 10_272.0)
    assert path is not None and len(path.weeks) == 39
    assert path.weeks[0] == 0.0 and path.weeks[-1] == pytest.approx(272 / 7)
    assert path.values[0] == 1.0
    theta = np.array(list(CDNOW.values()))
    want = bgnbd.p_alive(theta, np.array([2.0]), np.array([213 / 7]), np.array([272 / 7]))[0]
    assert path.values[-1] == pytest.approx(want, rel=1e-12)
    assert 0.0 < path.values[-1] < 1.0
    assert alive_path("empirical", {}, [10_000.0], 10_272.0) is None
    assert alive_path("bgnbd", CDNOW, [], 10_272.0) is None


@pytest.mark.parametrize("name", ["bgnbd", "paretonbd", "nbd"])
def test_expected_orders_path_is_the_models_conditional_expectation(name: str) -> None:
    params = {
        "bgnbd": CDNOW,
        "paretonbd": {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67},
        "nbd": {"r": 0.385, "alpha": 12.07},
    }[name]
    path = expected_orders_path(name, params, 2.0, 30.43, 38.86, 52)
    assert path is not None and path.weeks == [float(k) for k in range(1, 53)]
    theta = theta_of(name, params)
    one = (np.array([2.0]), np.array([30.43]), np.array([38.86]))
    want = module_for(name).expected(theta, *one, 52.0)[0]
    assert path.values[-1] == pytest.approx(want, rel=1e-12)
    assert np.all(np.diff(path.values) > 0)  # cumulative: more weeks, more orders
    assert expected_orders_path("empirical", {}, 2.0, 30.43, 38.86, 52) is None
