"""The fit's read of the purchases with their customer codes (``reads.coded_purchases``).

Codes stand for ids only when a person is their key: with linked keys the fit must sort the
people's ids as before (no codes), and the coded frame's ``ids[code]`` must be each row's id.
"""

from __future__ import annotations

from clvtui.ingest import import_file
from clvtui.store import open_db
from clvtui.store.reads import coded_purchases, purchases_frame
from tests.ingest.test_identity import generic, stripe


def test_codes_name_each_purchase_s_customer_when_nobody_is_linked(tmp_path) -> None:
    db = open_db(tmp_path / "c.db")
    rows = [("G1", "2024-01-02", "b", ""), ("G2", "2024-01-05", "a", ""),
            ("G3", "2024-02-01", "b", ""), ("G4", "2024-03-01", "B", "")]  # fmt: skip
    import_file(db, generic(tmp_path / "g.csv", rows), fmt="generic")
    frame, ids = coded_purchases(db)
    assert ids is not None and ids.to_list() == ["generic:B", "generic:a", "generic:b"]
    assert ids.gather(frame["customer_code"]).to_list() == frame["customer_id"].to_list()
    assert frame.drop("customer_code").equals(purchases_frame(db))


def test_no_codes_when_keys_are_linked_into_people(tmp_path) -> None:
    db = open_db(tmp_path / "c.db")
    import_file(db, generic(tmp_path / "g.csv", [("G1", "2024-01-02", "", "jane@example.com")]),
                fmt="generic")  # fmt: skip
    import_file(
        db, stripe(tmp_path / "s.csv", [("ch_1", "2024-02-03", "cus_9", "jane@example.com")])
    )
    frame, ids = coded_purchases(db)
    assert ids is None and "customer_code" not in frame.columns
    assert frame["customer_id"].to_list() == ["generic:jane@example.com"] * 2
