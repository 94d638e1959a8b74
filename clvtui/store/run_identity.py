"""Who the customers are, as a fit reads them for its run's blob: identities and attributes
with the stamp of the customers table they were read from (``store.stamp``).

Apart from ``store.runs`` because the fit reads them early, in a thread beside the models
(``runs.prefetch_identity``), and the blob puts them beside the scores.
"""

from __future__ import annotations

from concurrent.futures import Future

import polars as pl
import sqlite_utils

#: Who a customer is, as ``RANKED_COLUMNS`` shows them.
IDENTITY_COLUMNS = ("customer_id", "name", "email", "country", "channel", "sources")
#: Customer attributes a blob holds beside ``RANKED_COLUMNS`` (what ``profile`` compares).
ATTRIBUTE_COLUMNS = ("first_product", "discount_code")


class StampedIdentity(Future[pl.DataFrame]):
    """Customers' identities read at fit time, with the file's ``store.stamp.data_stamp`` of
    that same moment: while the file's stamp is unchanged, the blob's names, e-mails and
    attributes are the customers table's (see :func:`blob_identity_current`)."""

    data_stamp: str | None = None


def stamped_identity(db: sqlite_utils.Database, into: StampedIdentity) -> pl.DataFrame:
    """Identities and attributes, and (into ``into``) the stamp of the same read transaction:
    from the column snapshot's ``customers`` part when current (a decompression), else from
    SQL (kept as the part when this connection can write at once)."""
    from clvtui.store.customer_snapshot import read_kept

    # text with few values come as categories (4 bytes a customer): the blob gathers them
    # in ranking order as codes (``store.ranking_blob``)
    who, into.data_stamp = read_kept(db)
    return who


def with_identity(scores: pl.DataFrame, who: pl.DataFrame) -> pl.DataFrame:
    """``scores`` beside each customer's identity (left join by id). When the customers
    table was read in the scores' own order (every customer scored, ids sorted alike, as a
    file imported once is), the columns are put side by side without a join (~0.6 s at a
    million customers)."""
    ids = scores["customer_id"]
    if who.height == scores.height and who["customer_id"].equals(ids):
        return pl.concat([scores, who.drop("customer_id")], how="horizontal")
    joined = scores.select("customer_id").join(
        who, on="customer_id", how="left", maintain_order="left"
    )
    return pl.concat([scores, joined.drop("customer_id")], how="horizontal")
