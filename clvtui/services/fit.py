"""The fit job: (optionally) save the economics, fit the shop, store the run, return the typed
report — what ``clvtui fit`` and the Model screen's refit both do.

Why a service over ``pipeline.fit_run``: the faces used to call the pipeline and the settings
store each in their own way; here one function takes plain arguments and returns a typed
result, so both faces run the same job.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlite_utils

from clvtui.model.registry import PURCHASE_MODELS
from clvtui.settings import Settings
from clvtui.shop import read_shop_in_background
from clvtui.store.background import FollowUp
from clvtui.store.costs import has_cost_data
from clvtui.store.saved_settings import save_settings

if TYPE_CHECKING:  # the pipeline's imports (~1 s) run beside the read, in fit_shop
    from clvtui.pipeline import FitResult, Progress

MODEL_CHOICES = ("auto", *PURCHASE_MODELS)  # what a user may ask for ("auto": chosen)


def fit_shop(
    db: sqlite_utils.Database,
    *,
    as_of: date | datetime | str | None = None,
    holdout_weeks: int | None = None,
    model: str = "auto",
    currency: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    seasonality: str = "auto",
) -> FitResult:
    """Fit every customer as of ``as_of`` (default: the last order) and store the run.

    ``settings``: economics to save first, so the run records exactly what it used (the
    Model screen's edited margin and costs); None fits with the stored ones.
    ``holdout_weeks``: check the model on the last N weeks first (the scores are the same).
    ``currency``: fit the purchases in that currency (default: the most used one).
    ``seasonality``: auto | on | off — fit in seasonal time when it earns it (auto).
    Raises ``ModelError`` / ``NoDataError`` with one readable line; no run is stored then (the
    run is written in one transaction), though settings given here stay saved.
    """
    if settings is not None:
        save_settings(db, settings)
    # the orders are read and summarised on the other core while the model code is imported;
    # then, on that core, whether they carry costs (asked at "fitting"): never beside the read
    costed = FollowUp(has_cost_data)
    reading = read_shop_in_background(db, as_of, holdout_weeks, currency, then=costed)
    from clvtui.pipeline import fit_run

    return fit_run(
        db,
        as_of=as_of,
        holdout_weeks=holdout_weeks,
        model=model,
        progress=progress,
        currency=currency,
        seasonality=seasonality,
        reading=reading,
        costed=costed,
    )
