"""The one table of screens: modes, number keys, navigation bar, palette and help read it.

Adding a main screen is one ``ScreenSpec`` here (and its module); nothing else lists them.
Classes are named by path and imported on first use, so this module imports no screen (the
screens import ``base``, which reads this table for the navigation bar).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class ScreenSpec:
    """One screen: its key, mode name, title, class (``module:Class``) and what it shows.

    ``summary`` is the one line of the key's tooltip and the palette; ``about`` is the help
    screen's paragraph (its keys are listed from the screen's own bindings, never written here).
    Drill-down screens (opened from another screen, not a mode) have no key and no mode.
    """

    key: str | None
    mode: str | None
    title: str
    path: str
    summary: str
    about: str

    def screen_class(self) -> type[Screen[None]]:
        module, _, name = self.path.partition(":")
        return getattr(import_module(module), name)  # type: ignore[no-any-return]

    def make(self) -> Screen[None]:
        """A new instance (Textual's ``MODES`` takes a factory)."""
        return self.screen_class()()


_SCREENS = "clvtui.tui.screens"

MAIN_SCREENS: tuple[ScreenSpec, ...] = (
    ScreenSpec(
        "1", "overview", "Overview", f"{_SCREENS}.overview:OverviewScreen",
        "Customer equity, tiers, value concentration, verdict",
        "customer equity (the total future value of today's customers) with its interval, "
        "customers by tier and churn risk, how concentrated value is, the trend across fits "
        "and the model's verdict on the holdout period. An empty database shows how to start.",
    ),
    ScreenSpec(
        "2", "customers", "Customers", f"{_SCREENS}.customers:CustomersScreen",
        "Every customer ranked by CLV",
        "everyone ranked by CLV, with P(alive), expected and past orders, spend, tier and "
        "risk. Click a header to sort by it. A customer shows their orders, P(alive) over "
        "time, the CLV interval and when the next order is expected.",
    ),
    ScreenSpec(
        "3", "segments", "Segments", f"{_SCREENS}.segments:SegmentsScreen",
        "Tiers × churn-risk bands, drill into a tier",
        "profitability tiers × churn-risk bands, with the value at risk in each.",
    ),
    ScreenSpec(
        "4", "budget", "Budget", f"{_SCREENS}.budget:BudgetScreen",
        "Allowable acquisition cost and budget split",
        "type a total budget and your assumptions (Tab moves through the form, top to "
        "bottom): the allowable acquisition cost per tier and the split of the budget "
        "update as you type, with payback and return.",
    ),
    ScreenSpec(
        "5", "model", "Model", f"{_SCREENS}.model_check:ModelScreen",
        "Parameters, holdout check, refit",
        "fitted parameters with standard errors, predicted vs actual repeat orders week by "
        "week in the holdout, the calibration histogram and a plain verdict. Edit margin, cost "
        "per order, discount rate and horizon, then refit in the background.",
    ),
    ScreenSpec(
        "6", "import", "Import", f"{_SCREENS}.import_screen:ImportScreen",
        "Import a shop export",
        "pick a shop export (Shopify, WooCommerce, Etsy, Square, Stripe, PayPal, Online "
        "Retail, or a generic CSV) in the tree, or type its path and press Enter: the "
        "detected format, the column mapping and the first orders are previewed without "
        "writing anything. A file whose columns are not recognised: name them in Map columns "
        "(m; e.g. amount=Total, and currency=EUR for a file without one) and set the time "
        "zone of times written without one; Enter in either box previews again, and i "
        "imports exactly what the preview showed. Importing shows a progress bar, then what "
        "was new, updated and rejected, and why.",
    ),
    ScreenSpec(
        "7", "actions", "Actions", f"{_SCREENS}.actions:ActionsScreen",
        "Next-best action per tier × risk, its lists",
        "the next-best action of every tier × churn-risk cell and of recent one-time buyers "
        "(the rule table: clvtui settings --set action_…), with its customers, value at "
        "stake, the most worth spending per customer and when to contact them. Enter opens "
        "the cell's customers (Enter on one opens them, e exports the list, Escape goes back); "
        "c shows the campaigns measured against their control groups.",
    ),
    ScreenSpec(
        "8", "cohorts", "Cohorts", f"{_SCREENS}.cohorts:CohortsScreen",
        "Cohort value heat-map and the revenue-goal plan",
        "each acquisition month's cumulative value per customer, month by month since the "
        "first order: actual orders, then the model's expectation (~ italic) to the horizon, "
        "with cohort size, acquisition cost and payback month. Below, the Plan: type a revenue "
        "goal (g; Escape leaves the box) and see what the existing customers bring, the gap, "
        "the new customers and budget that close it, and a retention uplift.",
    ),
    ScreenSpec(
        "9", "products", "Products", f"{_SCREENS}.products:ProductsScreen",
        "Entry products, product journey, bought together",
        "from the order lines: which first products bring the most valuable customers (mean "
        "CLV against the average, with a 90 % interval, and repeat rate), the most common "
        "first → second order products with the median time to a second order, and products "
        "bought by the same customers more often than chance (lift). [ and ] switch tabs.",
    ),
)  # fmt: skip

DRILL_DOWNS: tuple[ScreenSpec, ...] = (
    ScreenSpec(
        None, None, "Tier", f"{_SCREENS}.tier:TierScreen",
        "One tier (Enter on Segments)",
        "opened with Enter on Segments: the tier's customers, what they have in common "
        "(lift), what speeds up the next order (hazard ratios), its retention curve, its "
        "value across fits and who moved in or out since the last fit.",
    ),
    ScreenSpec(
        None, None, "Customer", f"{_SCREENS}.customer_detail:CustomerScreen",
        "One customer (Enter on Customers)",
        "opened with Enter on Customers (or from the palette): orders, P(alive) over time, "
        "the CLV interval, the chance of an order within 30 and 90 days, the next-order "
        "window.",
    ),
    ScreenSpec(
        None, None, "Campaigns", f"{_SCREENS}.campaigns:CampaignsScreen",
        "Campaigns and their results against the control group",
        "every campaign (clvtui campaign new) with its status; the highlighted one's "
        "contacted vs control since the start: who bought again, orders and net revenue per "
        "customer, the incremental value with its 90 % interval and the return on its cost.",
    ),
    ScreenSpec(
        None, None, "Channels", f"{_SCREENS}.channels:ChannelsScreen",
        "What each channel may pay (c on Budget)",
        "opened with c on Budget: what a customer acquired through each channel is worth, "
        "with its 90 % interval and allowable CPA, and the actual CAC and verdict where "
        "marketing spend was imported; g groups by first product, discount code or country.",
    ),
)  # fmt: skip


def spec_for(mode: str) -> ScreenSpec:
    """The main screen of ``mode`` (KeyError for a mode that is not in the table)."""
    for spec in MAIN_SCREENS:
        if spec.mode == mode:
            return spec
    raise KeyError(mode)


def key_of(mode: str) -> str:
    """The number key of ``mode`` (the words "press 5" are built from this)."""
    return spec_for(mode).key or ""
