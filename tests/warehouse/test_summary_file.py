"""A warehouse summary file: read typed, and refused with one line per broken rule."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from clvtui.errors import InputError
from clvtui.ingest.summary_file import read_summary

SUMMARIES = Path(__file__).resolve().parents[2] / "fixtures" / "summary"


def test_csv_and_parquet_read_the_same_customers() -> None:
    csv = read_summary(SUMMARIES / "good_weeks.csv")
    parquet = read_summary(SUMMARIES / "good_weeks.parquet")
    assert csv.currency == parquet.currency == "EUR"
    assert csv.frame.equals(parquet.frame)
    row = csv.frame.row(2, named=True)
    assert row["customer_id"] == "c003" and row["x"] == 1 and row["orders"] == 2
    assert row["t_x"] == pytest.approx(20 / 7, abs=1e-12)
    assert row["email"] is None and row["name"] is None  # blank text is missing, not ''
    # m is 0 for one-time buyers whether the warehouse wrote NULL (c001) or 0 (c005)
    assert csv.frame["m"].to_list() == [0.0, 40.5, 18.25, 60.0, 0.0]
    assert csv.frame["currency"].to_list() == ["EUR"] * 5  # 'eur' on row 6 normalised


def test_days_are_converted_to_weeks() -> None:
    days = read_summary(SUMMARIES / "good_days.csv", unit="days").frame
    weeks = read_summary(SUMMARIES / "good_weeks.csv").frame
    for col in ("x", "t_x", "T", "m"):
        assert days[col].to_list() == pytest.approx(weeks[col].to_list(), abs=1e-12), col
    assert read_summary(SUMMARIES / "good_days.csv").frame["T"][0] == 210.0  # weeks: as given


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_missing_column.csv", "bad_missing_column.csv: missing column(s) T; a summary "
         "needs customer_id, x, t_x, T, m (see docs/warehouse.md)"),
        ("bad_no_rows.csv", "bad_no_rows.csv: no customers (the file has a header but no rows)"),
        ("bad_x_fraction.csv", "bad_x_fraction.csv row 3, column x: must be a whole number ≥ 0, "
         "got '1.5'"),
        ("bad_x_negative.csv", "bad_x_negative.csv row 3, column x: must be a whole number ≥ 0, "
         "got '-1'"),
        ("bad_x_negative.parquet", "bad_x_negative.parquet row 4, column x: must be a whole "
         "number ≥ 0, got '-2'"),
        ("bad_type.csv", "bad_type.csv row 3, column t_x: must be a number of weeks (or days) "
         "≥ 0, got 'ten'"),
        ("bad_t_x_negative.csv", "bad_t_x_negative.csv row 3, column t_x: must be a number of "
         "weeks (or days) ≥ 0, got '-1'"),
        ("bad_t_x_after_T.csv", "bad_t_x_after_T.csv row 4, column t_x: must be at most T "
         "(weeks), got '31'"),
        ("bad_m_negative.csv", "bad_m_negative.csv row 3, column m: must be an amount ≥ 0 when "
         "x > 0, got '-5'"),
        ("bad_m_missing.csv", "bad_m_missing.csv row 3, column m: must be an amount ≥ 0 when "
         "x > 0, empty"),
        ("bad_duplicate.csv", "bad_duplicate.csv rows 2 and 4, column customer_id: 'c001' "
         "appears twice; a summary has one row per customer"),
        ("bad_two_currencies.csv", "bad_two_currencies.csv row 4, column currency: USD where "
         "row 2 has EUR; a run is in one currency — summarise each currency into its own file"),
        ("bad_no_id.csv", "bad_no_id.csv row 3, column customer_id: must be a customer id, "
         "empty"),
        ("bad_date.csv", "bad_date.csv row 3, column first_order: must be a date like "
         "2025-06-30, got '29/01/2025'"),
    ],
)  # fmt: skip
def test_each_broken_rule_is_one_line_naming_file_row_and_column(name: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        read_summary(SUMMARIES / name)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_one_purchase_day_has_no_repeat_time(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("customer_id,x,t_x,T,m\na,0,3,30,0\n", encoding="utf8")
    with pytest.raises(InputError, match=r"s.csv row 2, column t_x: must be 0 when x = 0"):
        read_summary(path)
    path.write_text("customer_id,x,t_x,T,m\na,2,0,30,10\n", encoding="utf8")
    with pytest.raises(InputError, match=r"row 2, column t_x: must be above 0 when x > 0"):
        read_summary(path)


def test_orders_below_x_plus_one_and_unknown_suffix_and_unit(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("customer_id,x,t_x,T,m,orders\na,2,5,30,10,2\n", encoding="utf8")
    with pytest.raises(InputError, match=r"row 2, column orders: must be at least x \+ 1"):
        read_summary(path)
    other = tmp_path / "s.json"
    other.write_text("{}", encoding="utf8")
    with pytest.raises(InputError, match=r"^s.json: a summary must be a .parquet or .csv file$"):
        read_summary(other)
    with pytest.raises(InputError, match=r"^--unit must be weeks or days \(got 'months'\)$"):
        read_summary(path, unit="months")
    with pytest.raises(InputError, match=r"nope.csv: no such file$"):
        read_summary(tmp_path / "nope.csv")


def test_column_names_match_without_case(tmp_path: Path) -> None:
    path = tmp_path / "snowflake.csv"
    path.write_text("CUSTOMER_ID,X,T_X,T,M,EXTRA\na,1,2,5,10,z\n", encoding="utf8")
    frame = read_summary(path, unit="days").frame
    assert frame.columns == ["customer_id", "x", "t_x", "T", "m"]
    assert frame.row(0) == ("a", 1, 2 / 7, 5 / 7, 10.0)
    path.write_text("customer_id,x,t_x,T,t,m\na,1,2,5,5,10\n", encoding="utf8")
    with pytest.raises(InputError, match=r"^snowflake.csv: two columns are named T"):
        read_summary(path)


def test_empty_optional_counts_stay_empty(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("customer_id,x,t_x,T,m,x_holdout,orders\na,1,2,5,10,,\nb,0,0,5,,3,1\n",
                    encoding="utf8")  # fmt: skip
    frame = read_summary(path).frame
    assert frame["x_holdout"].to_list() == [None, 3]
    assert frame["orders"].to_list() == [None, 1]
    assert frame["x"].dtype == pl.Int64 and frame["x"].to_list() == [1, 0]


@pytest.mark.parametrize(
    ("row", "message"),
    [("c2,50,2,10,20.0", "row 3, column x: must be at most one repeat purchase a day"),
     ("c2,3,5,1000000000,20.0", "row 3, column T: must be at most 5,200 weeks"),
     ("c2,3,5,10,1e12", "row 3, column m: must be at most 1,000,000,000")],
)  # fmt: skip
def test_what_no_shop_has_is_refused(tmp_path: Path, row: str, message: str) -> None:
    """Found by a hostile tester: these ran into overflows, a fit that never ended, or a fit
    pulled far off by one impossible row."""
    path = tmp_path / "s.csv"
    path.write_text(f"customer_id,x,t_x,T,m\nc1,1,2,10,5.0\n{row}\n")
    with pytest.raises(InputError, match=message):
        read_summary(path)


def test_a_parquet_list_column_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    pl.DataFrame(
        {"customer_id": ["c1"], "x": [[1, 2]], "t_x": [2.0], "T": [10.0], "m": [5.0]}
    ).write_parquet(path)
    with pytest.raises(InputError, match=r"s\.parquet, column x: must be a whole number"):
        read_summary(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_summary_reads_as_its_utf8_twin(tmp_path: Path, encoding: str) -> None:
    """Excel's "Unicode Text" and SQL Server's bcp -w write UTF-16: detected as the order
    importer detects it, not reported as "missing columns"."""
    text = (SUMMARIES / "good_weeks.csv").read_text(encoding="utf-8")
    path = tmp_path / "wide.csv"
    path.write_bytes(text.encode(encoding))  # "utf-16" writes a BOM; -le/-be none
    assert read_summary(path).frame.equals(read_summary(SUMMARIES / "good_weeks.csv").frame)


def test_every_summary_error_names_the_line_in_the_file(tmp_path: Path) -> None:
    """One numbering everywhere: the line in the CSV (header = 1), in the reader's rules and in
    the request's (first_order + T, x_holdout) alike."""
    from clvtui.summary_request import check_request

    frame = pl.read_csv(SUMMARIES / "good_weeks.csv").with_columns(x_holdout=pl.lit(1))
    frame = frame.with_columns(
        x_holdout=pl.when(pl.col("customer_id") == "c003").then(None).otherwise(pl.col("x_holdout"))
    )
    path = tmp_path / "s.csv"
    frame.write_csv(path)
    summary = read_summary(path)
    assert (
        summary.row_number(0) == 2
        and read_summary(SUMMARIES / "good_weeks.parquet").row_number(0) == 1
    )
    with pytest.raises(InputError, match=r"^s\.csv row 4, column x_holdout: empty$"):
        check_request(summary, None, 4, "auto", None)  # c003: the third customer, line 4


def test_a_summary_read_in_background_is_the_same_file_or_the_same_error() -> None:
    from clvtui.ingest.summary_file import read_summary_in_background

    there = read_summary_in_background(SUMMARIES / "good_days.csv", unit="days").result()
    assert there.frame.equals(read_summary(SUMMARIES / "good_days.csv", unit="days").frame)
    with pytest.raises(InputError) as info:
        read_summary_in_background(SUMMARIES / "bad_duplicate.csv").result()
    assert str(info.value).startswith("bad_duplicate.csv rows 2 and 4, column customer_id:")


def test_the_first_rule_broken_is_named_wherever_its_row_is(tmp_path: Path) -> None:
    """The rules are checked on slices of rows first: a rule that comes first still wins over
    a later one broken in an earlier slice, and a row past the first slice is found."""
    from clvtui.ingest.summary_file import _PASS_ROWS

    n = 2 * _PASS_ROWS + 10
    frame = pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "x": [1.0] * n,
            "t_x": [2.0] * n,
            "T": [5.0] * n,
            "m": [10.0] * n,
        }
    )
    late_null = frame.with_columns(
        x=pl.when(pl.int_range(n) == n - 3).then(None).otherwise(pl.col("x")),
        t_x=pl.when(pl.int_range(n) == 4).then(-1.0).otherwise(pl.col("t_x")),
    )
    late_null.write_parquet(tmp_path / "s.parquet")
    with pytest.raises(InputError) as info:
        read_summary(tmp_path / "s.parquet")
    assert str(info.value) == f"s.parquet row {n - 2}, column x: must be a whole number ≥ 0, empty"
    late_null.with_columns(x=pl.lit(1.0)).write_parquet(tmp_path / "t.parquet")
    with pytest.raises(InputError) as info:
        read_summary(tmp_path / "t.parquet")
    assert str(info.value).startswith("t.parquet row 5, column t_x: must be")
