"""A table cell's segments built directly, for the cells a customer table is made of."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text


def fitting_cell_line(
    console: Console, cell: Text, width: int, pre: Style, post: Style
) -> list[Segment] | None:
    """``_cell_line``'s segments, built directly, for the usual cell: one style, no spans,
    justified left, right or not at all, and short enough to fit (None for any other).

    Rich wraps, justifies, renders, pads and re-styles such a cell in ~15 calls; the result is
    always the padded text in ``pre + style + post`` between two spaces in ``pre + post`` (the
    ``default`` justification pads outside the text, unstyled). A sort or a page at a million
    customers draws ~300 new cells: this was two thirds of the key's time.
    """
    plain, justify = cell.plain, cell.justify or "default"
    if cell.spans or not plain or cell.end != "\n" or "\n" in plain or "\t" in plain:
        return None
    if justify == "right":
        plain = plain.rstrip()  # as rich's right justification does
        if not plain:
            return None
    elif justify not in ("default", "left"):
        return None
    gap = width - 2 - cell_len(plain)
    if gap < 0:
        return None  # cut to fit: rich's overflow rules
    blank = pre + post if post else pre
    if cell.style:
        styled = pre + console.get_style(cell.style, default=Style.null())
        styled = styled + post if post else styled
    else:
        styled = blank
    if justify == "right":
        body = [Segment(" " * gap + plain, styled)]
    elif justify == "left":
        body = [Segment(plain + " " * gap, styled)]
    else:  # rich pads an unjustified line after the text, in the padding's style
        body = [Segment(plain, styled)] + ([Segment(" " * gap, blank)] if gap else [])
    return [Segment(" ", blank), *body, Segment(" ", blank)]
