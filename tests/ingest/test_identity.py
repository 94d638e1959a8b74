"""One customer across sources: keys namespaced by source, people linked by e-mail only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from clvtui.ingest import import_file
from clvtui.store import open_db
from clvtui.store.reads import purchases_frame
from clvtui.store.run_scores import purchase_times
from clvtui.store.runs import customer_orders

STRIPE = (
    "id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Status,Customer ID,"
    "Customer Email"
)


def stripe(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """(charge id, date, customer id, e-mail) → a Stripe payments export of 10.00 USD each."""
    lines = [STRIPE] + [
        f"{ch},{day} 10:00:00,10.00,0.00,usd,true,Paid,{cus},{email}"
        for ch, day, cus, email in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def generic(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """(order id, date, customer id, e-mail) → a generic CSV of 10.00 USD orders."""
    lines = ["order_id,customer_id,email,order_date,total,currency"] + [
        f"{o},{cus},{email},{day},10.00,USD" for o, day, cus, email in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def people(db) -> dict[str, str]:
    """customer key → person id, for every key of every order."""
    keys = [r[0] for r in db.conn.execute("SELECT DISTINCT customer_key FROM orders")]
    links = dict(db.conn.execute("SELECT customer_key, customer_id FROM customer_links"))
    return {k: links.get(k, k) for k in keys if k is not None}


def test_equal_ids_of_two_sources_are_two_customers(tmp_path) -> None:
    db = open_db(tmp_path / "c.db")
    import_file(db, generic(tmp_path / "g.csv", [("G1", "2024-01-02", "14", "")]), fmt="generic")
    report = import_file(db, stripe(tmp_path / "s.csv", [("ch_1", "2024-01-03", "14", "")]))
    assert report.customers_linked == 0
    assert people(db) == {"generic:14": "generic:14", "stripe:14": "stripe:14"}
    assert sorted(r[0] for r in db.conn.execute("SELECT customer_id FROM customers")) == [
        "generic:14", "stripe:14"]  # fmt: skip
    frame = purchases_frame(db)
    assert sorted(frame["customer_id"].to_list()) == ["generic:14", "stripe:14"]


def test_same_email_links_sources_into_one_person(tmp_path) -> None:
    db = open_db(tmp_path / "c.db")
    first = import_file(
        db, generic(tmp_path / "g.csv", [("G1", "2024-01-02", "", "Jane@Example.com ")]),
        fmt="generic",
    )  # fmt: skip
    assert first.customers_linked == 0
    rows = [("ch_1", "2024-02-03", "cus_9", "jane@example.com"),
            ("ch_2", "2024-03-03", "cus_5", "other@example.com")]  # fmt: skip
    second = import_file(db, stripe(tmp_path / "s.csv", rows))
    assert (second.customers_linked, second.customers_new) == (1, 1)  # cus_9 → Jane
    assert people(db) == {
        "generic:jane@example.com": "generic:jane@example.com",
        "stripe:cus_9": "generic:jane@example.com",
        "stripe:cus_5": "stripe:cus_5",
    }
    jane = db["customers"].get("generic:jane@example.com")
    assert (jane["sources"], jane["first_order_at"]) == ("generic, stripe", "2024-01-02T00:00:00Z")
    assert db["customers"].get("stripe:cus_5")["sources"] == "stripe"
    # the model sees one person with two purchases; her detail shows both sources' orders
    frame = purchases_frame(db)
    assert frame.group_by("customer_id").len().sort("customer_id").rows() == [
        ("generic:jane@example.com", 2), ("stripe:cus_5", 1)]  # fmt: skip
    assert customer_orders(db, "generic:jane@example.com")["source"].to_list() == [
        "generic", "stripe"]  # fmt: skip
    times = purchase_times(db, ["generic:jane@example.com", "stripe:cus_5"], "2024-12-31")
    assert sorted(times.rows()) == [
        ("generic:jane@example.com", "2024-01-02T00:00:00Z"),
        ("generic:jane@example.com", "2024-02-03T10:00:00Z"),
        ("stripe:cus_5", "2024-03-03T10:00:00Z"),
    ]
    # re-importing (also after another file) links nothing again
    third = import_file(db, generic(tmp_path / "g2.csv", [("G2", "2024-04-02", "77", "")]),
                        fmt="generic")  # fmt: skip
    again = import_file(db, tmp_path / "s.csv")
    assert (third.customers_linked, again.customers_linked, again.orders_new) == (0, 0, 0)
    assert db["customer_links"].count == 1


def test_keys_sharing_an_email_in_one_file_join_the_smallest(tmp_path) -> None:
    db = open_db(tmp_path / "c.db")
    rows = [("ch_1", "2024-01-03", "cus_B", "x@example.com"),
            ("ch_2", "2024-01-04", "cus_A", "X@example.com"),
            ("ch_3", "2024-01-05", "cus_C", "")]  # fmt: skip
    report = import_file(db, stripe(tmp_path / "s.csv", rows))
    assert (report.customers, report.customers_new, report.customers_linked) == (3, 2, 1)
    assert people(db)["stripe:cus_B"] == "stripe:cus_A"
    assert people(db)["stripe:cus_C"] == "stripe:cus_C"  # no e-mail: never merged


emails = st.sampled_from(["a@x.com", "b@x.com", "c@x.com", ""])
customers = st.lists(
    st.tuples(st.sampled_from(["generic", "stripe"]), st.sampled_from(["1", "2", "3", "4"])),
    min_size=1, max_size=8, unique=True,
)  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(customers=customers, data=st.data())
def test_people_are_exactly_the_email_classes(tmp_path_factory, customers, data) -> None:
    """Whatever the ids, sources and import order: keys with the same e-mail are one person,
    keys with different (or no) e-mails are different people, and re-importing changes
    nothing."""
    tmp = tmp_path_factory.mktemp("h")
    email = {c: data.draw(emails) for c in customers}
    split = data.draw(st.integers(0, len(customers)))
    db = open_db(tmp / "c.db")
    files = []
    for part, name in ((customers[:split], "one"), (customers[split:], "two")):
        for source in ("generic", "stripe"):
            rows = [(f"{source}{cid}{name}", "2024-01-02", cid, email[(s, cid)])
                    for s, cid in part if s == source]  # fmt: skip
            if rows:
                maker = generic if source == "generic" else stripe
                files.append((maker(tmp / f"{name}-{source}.csv", rows), source))
    for path, source in files:
        import_file(db, path, fmt=source)
    who = people(db)
    for a in customers:
        for b in customers:
            same = who[f"{a[0]}:{a[1]}"] == who[f"{b[0]}:{b[1]}"]
            assert same == (a == b or (email[a] != "" and email[a] == email[b])), (a, b)
    for path, source in files:
        import_file(db, path, fmt=source)
    assert people(db) == who


def test_imports_in_either_order_give_the_same_people(tmp_path) -> None:
    g = generic(tmp_path / "g.csv", [("G1", "2024-01-02", "", "jane@example.com"),
                                     ("G2", "2024-01-02", "14", "bob@example.com")])  # fmt: skip
    s = stripe(tmp_path / "s.csv", [("ch_1", "2024-01-03", "cus_1", "jane@example.com"),
                                    ("ch_2", "2024-01-03", "14", "")])  # fmt: skip
    partitions = []
    for order in ((g, s), (s, g)):
        db = open_db(tmp_path / f"{order[0].stem}.db")
        for path in order:
            import_file(db, path)
        groups: dict[str, set[str]] = {}
        for key, person in people(db).items():
            groups.setdefault(person, set()).add(key)
        partitions.append(sorted(sorted(g) for g in groups.values()))
    assert partitions[0] == partitions[1] == [
        ["generic:14"], ["generic:jane@example.com", "stripe:cus_1"], ["stripe:14"]]  # fmt: skip


def test_ranking_and_exports_show_the_sources(tmp_path) -> None:
    from clvtui.insights.customer_lists import export_frame
    from clvtui.pipeline import fit_run
    from clvtui.store.runs import ranked_customers

    db = open_db(tmp_path / "c.db")
    import_file(db, generic(tmp_path / "g.csv", [("G1", "2024-01-02", "", "jane@example.com"),
                                                 ("G2", "2024-02-02", "7", "")]),
                fmt="generic")  # fmt: skip
    import_file(db, stripe(tmp_path / "s.csv", [("ch_1", "2024-03-03", "c1", "jane@example.com")]))
    run = fit_run(db)
    ranked = ranked_customers(db, run.run_id)
    got = dict(ranked.select("customer_id", "sources").rows())
    assert got == {"generic:jane@example.com": "generic, stripe", "generic:7": "generic"}
    out = export_frame(ranked, dt.date(2024, 3, 3))
    assert dict(out.select("customer_id", "sources").rows()) == got
