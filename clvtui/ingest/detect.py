"""Recognise an export by its header names and map its columns to fields.

Detection looks only at normalised header names (never positions): each source has signature
sets of names that must all be present; the best-covered match wins, and a header with
customer/date/amount-like names falls back to the generic format.
"""

from __future__ import annotations

from pathlib import Path

from clvtui.core.currency import currency_code, suggest
from clvtui.errors import InputError, MappingError
from clvtui.ingest.formats import FIELDS, KNOWN_OTHER, SPECS, FormatSpec, normalise_name


def detect_format(columns: list[str], path: Path | str = "") -> FormatSpec:
    """The source whose signature the header matches best; InputError when none does."""
    names = {normalise_name(c) for c in columns}
    best: tuple[int, FormatSpec] | None = None
    for spec in SPECS.values():
        for signature in spec.signatures:
            if signature <= names:
                score = len(signature) * 100 + sum(
                    any(a in names for a in aliases) for aliases in spec.fields.values()
                )
                if best is None or score > best[0]:
                    best = (score, spec)
    if best is not None:
        return best[1]
    for signature, advice in KNOWN_OTHER.items():
        if signature <= names:
            raise InputError(f"{path}: {advice}")
    generic = SPECS["generic"]
    mapping = resolve_mapping(columns, generic, {}, path=path, check=False)
    missing = _missing(generic, mapping)
    if not missing:
        return generic
    problem = _missing_problem(path, columns, generic, missing, mapping)
    raise MappingError(
        f"{path}: could not recognise this export from its header. Expected a Shopify, "
        "WooCommerce, Etsy, Square, Stripe, PayPal or UCI Online Retail export, or a CSV with "
        "a customer (or email), a date and an amount column.\n" + problem.detail,
        problem.fixes,
        problem.cli_fix,
        fmt=generic.name,
        columns=columns,
    )


def resolve_mapping(
    columns: list[str],
    spec: FormatSpec,
    overrides: dict[str, str] | None,
    *,
    path: Path | str = "",
    check: bool = True,
) -> dict[str, str]:
    """field → the file's column for it: ``--map`` overrides first, then the spec's aliases.

    A ``--map currency=EUR`` naming no column but an ISO code is kept as ``=EUR`` (a constant
    currency for files without a currency column).
    """
    overrides = overrides or {}
    by_name: dict[str, str] = {}
    for column in columns:
        by_name.setdefault(normalise_name(column), column)
    mapping: dict[str, str] = {}
    for fld, column in overrides.items():
        if fld not in FIELDS:
            raise InputError(
                f"--map {fld}={column}: unknown field {fld!r}; fields are {', '.join(FIELDS)}"
            )
        if column in columns:
            mapping[fld] = column
        elif normalise_name(column) in by_name:
            mapping[fld] = by_name[normalise_name(column)]
        elif fld == "currency" and ((len(column) == 3 and column.isalpha()) or suggest(column)):
            mapping[fld] = "=" + currency_code(column, f"{path}: --map currency={column}")
        else:
            raise InputError(
                f"{path}: --map {fld}={column}: the file has no column {column!r}. "
                f"Found columns: {', '.join(repr(c) for c in columns[:40])}"
            )
    used = set(mapping.values())
    for fld, aliases in spec.fields.items():
        if fld in mapping:
            continue
        for alias in aliases:
            found = by_name.get(alias)
            if found is not None and found not in used:
                mapping[fld] = found
                used.add(found)
                break
    if check:
        missing = _missing(spec, mapping)
        if missing:
            raise _missing_problem(path, columns, spec, missing, mapping)
    return mapping


def _missing(spec: FormatSpec, mapping: dict[str, str]) -> list[tuple[str, ...]]:
    return [group for group in spec.required if not any(f in mapping for f in group)]


def _missing_problem(
    path: Path | str,
    columns: list[str],
    spec: FormatSpec,
    missing: list[tuple[str, ...]],
    mapping: dict[str, str],
) -> MappingError:
    """Names the columns found, the ones expected, and the mapping that would fix it (worded
    as ``--map`` for the CLI; ``fixes`` for a face with its own mapping control)."""
    lines = [f"{path}: missing required column(s) for the {spec.title} format."]
    fixes: dict[str, str | None] = {}
    unused = [c for c in columns if c not in mapping.values()]
    for group in missing:
        expected = sorted({a for f in group for a in spec.fields.get(f, ())})
        fields = " or ".join(group)
        lines.append(
            f"  {fields} ({FIELDS[group[0]]}): expected a column named "
            f"{', '.join(repr(e) for e in expected[:8]) or 'by --map'}"
        )
        guess = _guess(unused, expected)
        if guess:
            unused.remove(guess)
        fixes[group[0]] = guess
    lines.append(f"  found columns: {', '.join(repr(c) for c in columns[:40])}")
    flags = " ".join(f"--map {f}={_quote(c) if c else 'COLUMN'}" for f, c in fixes.items())
    cli_fix = f"fix: clvtui import {path} --format {spec.name} {flags}"
    return MappingError("\n".join(lines), fixes, cli_fix, fmt=spec.name, columns=columns)


def _guess(candidates: list[str], aliases: list[str]) -> str | None:
    """The unmapped column sharing a word with the field's aliases ('net' ~ 'net sales')."""
    words = {w for a in aliases for w in a.split()}
    for column in candidates:
        if set(normalise_name(column).split()) & words:
            return column
    return None


def _quote(column: str) -> str:
    return f"'{column}'" if any(ch in column for ch in " ()&'\"") else column
