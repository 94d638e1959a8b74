"""`clvtui imports` and `imports undo`: exact undo, refused when a later import depends on it."""

from __future__ import annotations

import json

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.errors import ClvError
from clvtui.ingest import import_file
from clvtui.store import open_db
from clvtui.store.history import list_imports, undo_import
from tests.ingest.conftest import dump, fixture
from tests.ingest.test_identity import generic, stripe

runner = CliRunner()


def state(db) -> dict[str, list[tuple]]:
    """Every table but the imports log (undo keeps its row, marked undone)."""
    return {t: rows for t, rows in dump(db).items() if t != "imports"}


def test_undo_overlapping_export_restores_the_exact_state(db, tmp_path) -> None:
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    after_first = state(db)
    second = import_file(db, fixture("stripe_payments_apr_sep.csv"))
    assert (second.orders_new, second.orders_updated) == (2, 1)  # ch_05 refunded later
    assert state(db) != after_first
    with pytest.raises(ClvError, match=r"cannot undo import 1: .*import 2 .*imports undo 2"):
        undo_import(db, 1)
    result = undo_import(db, second.import_id)
    assert (result["orders_removed"], result["orders_restored"]) == (2, 1)
    assert state(db) == after_first
    log = list_imports(db)
    assert [(r["id"], r["undone_at"] is not None) for r in log] == [(1, False), (2, True)]
    with pytest.raises(ClvError, match="already undone"):
        undo_import(db, 2)
    # importing the undone file again really imports it (not skipped as a repeat)
    again = import_file(db, fixture("stripe_payments_apr_sep.csv"))
    assert (again.orders_new, again.orders_updated, again.import_id) == (2, 1, 3)
    # and undoing everything, newest first, leaves the tables of a fresh database
    undo_import(db, 3)
    undo_import(db, 1)
    assert state(db) == state(open_db(tmp_path / "fresh.db"))


def test_undo_removes_links_and_restores_the_person(tmp_path) -> None:
    db = open_db(tmp_path / "c.db")
    import_file(db, generic(tmp_path / "g.csv", [("G1", "2024-01-02", "", "jane@example.com")]),
                fmt="generic")  # fmt: skip
    before = state(db)
    rows = [("ch_1", "2023-12-01", "cus_9", "jane@example.com")]  # earlier: new first order
    linked = import_file(db, stripe(tmp_path / "s.csv", rows))
    jane = db["customers"].get("generic:jane@example.com")
    assert (linked.customers_linked, jane["sources"], jane["first_order_at"]) == (
        1, "generic, stripe", "2023-12-01T10:00:00Z")  # fmt: skip
    with pytest.raises(ClvError, match=r"import 2 .*linked customers to people this import added"):
        undo_import(db, 1)
    result = undo_import(db, linked.import_id)
    assert (result["links_removed"], result["customers_restored"]) == (1, 1)
    assert state(db) == before


def test_undo_restores_a_refund_applied_to_an_earlier_import(db, tmp_path) -> None:
    """PayPal: a refund row whose payment came in an earlier file updates that order; undoing
    the refund's import puts the order back as it was."""
    header = fixture("paypal_activity_us.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    names = [c.strip('"') for c in header.split(",")]

    def line(values: dict[str, str]) -> str:
        return ",".join(f'"{values.get(n, "")}"' for n in names)

    pay = {"Date": "01/15/2024", "Time": "10:00:00", "TimeZone": "PST", "Type": "Website Payment",
           "Status": "Completed", "Currency": "USD", "Gross": "80.00",
           "From Email Address": "kim@example.com", "Transaction ID": "P1",
           "Balance Impact": "Credit"}  # fmt: skip
    refund = pay | {
        "Date": "02/01/2024",
        "Type": "Payment Refund",
        "Gross": "-30.00",
        "Transaction ID": "R1",
        "Reference Txn ID": "P1",
        "Balance Impact": "Debit",
    }
    (tmp_path / "a.csv").write_text(header + "\n" + line(pay) + "\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(header + "\n" + line(refund) + "\n", encoding="utf-8")
    import_file(db, tmp_path / "a.csv")
    before = state(db)
    report = import_file(db, tmp_path / "b.csv")
    assert report.refunds_applied == 1
    assert db["orders"].get(("paypal", "P1"))["refunded_minor"] == 3000
    undo_import(db, report.import_id)
    assert state(db) == before


def test_cli_imports_list_and_undo(tmp_path) -> None:
    db = tmp_path / "c.db"
    for name in ("stripe_payments_jan_jun.csv", "stripe_payments_apr_sep.csv"):
        assert runner.invoke(app, ["import", str(fixture(name)), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["imports", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)["imports"]
    assert [(r["id"], r["file"], r["format"], r["orders_new"], r["orders_updated"],
             r["rows_rejected"]) for r in doc] == [
        (1, "stripe_payments_jan_jun.csv", "stripe", 7, 0, 0),
        (2, "stripe_payments_apr_sep.csv", "stripe", 2, 1, 0)]  # fmt: skip
    table = runner.invoke(app, ["imports", "--db", str(db)], env={"COLUMNS": "150"})
    assert table.exit_code == 0 and "stripe_payments_jan" in table.stdout
    assert runner.invoke(app, ["fit", "--db", str(db)]).exit_code == 0
    snapshot = dump(open_db(db))
    refused = runner.invoke(app, ["imports", "undo", "1", "--db", str(db)])
    assert refused.exit_code == 1
    assert "cannot undo import 1" in refused.output and "imports undo 2" in refused.output
    assert dump(open_db(db)) == snapshot  # nothing changed
    done = runner.invoke(app, ["imports", "undo", "2", "--db", str(db)])
    assert done.exit_code == 0, done.output
    assert "2 orders removed, 1 order restored" in done.stdout
    assert "1 fitted run (1) used this import's data" in done.stdout
    assert open_db(db).conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # kept
    missing = runner.invoke(app, ["imports", "undo", "9", "--db", str(db), "--json"])
    assert missing.exit_code == 1 and "there is no import 9" in missing.output


def test_undo_is_atomic(tmp_path, monkeypatch) -> None:
    """A failure half-way through an undo leaves the database exactly as it was."""
    import clvtui.store.history as history

    path = tmp_path / "c.db"
    db = open_db(path)
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    import_file(db, fixture("stripe_payments_apr_sep.csv"))
    before = dump(db)

    def broken(conn, import_id):
        raise OSError("disk full")

    monkeypatch.setattr(history, "_restore_customers", broken)
    with pytest.raises(OSError):
        undo_import(db, 2)
    assert dump(open_db(path)) == before


order_row = st.tuples(
    st.sampled_from(["o1", "o2", "o3", "o4"]),  # the same order may come again, changed
    st.sampled_from(["2024-01-02", "2024-02-03"]),
    st.sampled_from(["c1", "c2", "c3", ""]),
    st.sampled_from(["a@x.com", "B@x.com", "b@x.com", ""]),
)
an_import = st.tuples(
    st.sampled_from(["generic", "stripe"]),
    st.lists(order_row, min_size=1, max_size=4, unique_by=lambda r: r[0]),
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(imports=st.lists(an_import, min_size=1, max_size=4))
def test_undo_newest_first_walks_back_through_every_state(tmp_path_factory, imports) -> None:
    """Any sequence of overlapping imports (orders changing customer, e-mails linking people
    across sources): undoing them newest first restores each earlier state exactly."""
    tmp = tmp_path_factory.mktemp("u")
    db = open_db(tmp / "c.db")
    states = [state(db)]
    ids = []
    for n, (source, rows) in enumerate(imports):
        maker = generic if source == "generic" else stripe
        rows = [r for r in rows if r[2] or r[3]]  # an order needs an identity or is refused
        if not rows:
            continue
        path = maker(tmp / f"{n}.csv", rows)
        ids.append(import_file(db, path, fmt=source).import_id)
        states.append(state(db))
    for import_id in reversed(ids):
        states.pop()
        undo_import(db, import_id)
        assert state(db) == states[-1], import_id
