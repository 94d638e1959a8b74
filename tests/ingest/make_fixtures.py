"""Write the hand-crafted ingest fixtures into fixtures/ (run once; the files are committed).

Each fixture is small and written row by row here so the expected numbers in the tests can be
read off this script: ``python tests/ingest/make_fixtures.py``.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from clvtui.demo.shop_exports import HEADERS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _csv(header: list[str], rows: list[dict], *, delimiter: str = ",", quote_all: bool = False):
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, header, delimiter=delimiter, lineterminator="\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )  # fmt: skip
    writer.writeheader()
    for row in rows:
        unknown = set(row) - set(header)
        assert not unknown, unknown
        writer.writerow(row)
    return buf.getvalue()


def write(name: str, text: str, encoding: str = "utf-8") -> None:
    (FIXTURES / name).write_bytes(text.encode(encoding))


def shopify() -> None:
    """Line items (order fields on the first row only), refunds, cancel, phone, guest, bad rows."""
    s = "Financial Status"
    rows = [
        # row 2-3: #1001 two line items, totals only on the first row
        {"Name": "#1001", "Email": "alice@example.com", s: "paid", "Currency": "USD",
         "Total": "54.00", "Discount Code": "WELCOME10", "Created at": "2024-01-15 10:30:00 -0500",
         "Lineitem name": "Coffee beans", "Billing Country": "US", "Id": "5001", "Source": "web",
         "Refunded Amount": "0.00", "Billing Name": "Alice Adams"},
        {"Name": "#1001", "Lineitem name": "Mug", "Lineitem quantity": "2"},
        # row 4: upper-case e-mail, partial refund, +0100 offset
        {"Name": "#1002", "Email": "Bob@Example.com ", s: "partially_refunded", "Currency": "USD",
         "Total": "1149.00", "Created at": "2024-02-01 09:00:00 +0100", "Id": "5002",
         "Refunded Amount": "149.00", "Lineitem name": "Grinder", "Billing Country": "DE"},
        # row 5: fully refunded
        {"Name": "#1003", "Email": "alice@example.com", s: "refunded", "Currency": "USD",
         "Total": "20.00", "Refunded Amount": "20.00", "Created at": "2024-03-01 12:00:00 +0000",
         "Id": "5003", "Lineitem name": "Tea"},
        # row 6: cancelled
        {"Name": "#1004", "Email": "carol@example.com", s: "paid", "Currency": "USD",
         "Total": "35.50", "Created at": "2024-03-05 08:00:00 +0000",
         "Cancelled at": "2024-03-05 09:00:00 +0000", "Id": "5004", "Lineitem name": "Tea"},
        # row 7: no e-mail, phone with Shopify's apostrophe
        {"Name": "#1005", s: "paid", "Currency": "USD", "Total": "18.00",
         "Created at": "2024-04-10 23:30:00 -0700", "Phone": "'+31 6 1234 5678",
         "Id": "'5005", "Lineitem name": "Tea", "Source": "pos"},
        # row 8: POS guest with no identity at all
        {"Name": "#1006", s: "paid", "Currency": "USD", "Total": "12.50",
         "Created at": "2024-04-11 10:00:00 +0000", "Id": "5006", "Lineitem name": "Tea",
         "Source": "pos"},
        # row 9: bad total
        {"Name": "#1007", "Email": "dave@example.com", s: "paid", "Currency": "USD",
         "Total": "abc", "Created at": "2024-04-12 10:00:00 +0000", "Id": "5007"},
        # row 10: bad date
        {"Name": "#1008", "Email": "dave@example.com", s: "paid", "Currency": "USD",
         "Total": "10.00", "Created at": "yesterday", "Id": "5008"},
        # row 11: voided
        {"Name": "#1009", "Email": "erin@example.com", s: "voided", "Currency": "USD",
         "Total": "22.00", "Created at": "2024-05-01 10:00:00 +0000", "Id": "5009"},
        # rows 12-14: three line items
        {"Name": "#1010", "Email": "dave@example.com", s: "paid", "Currency": "USD",
         "Total": "89.97", "Created at": "2024-05-02 15:45:10 +0200", "Id": "5010",
         "Lineitem name": "Brewing gear", "Discount Code": "SPRING"},
        {"Name": "#1010", "Lineitem name": "Filter papers"},
        {"Name": "#1010", "Lineitem name": "Scale"},
        # row 15: pending (not a purchase)
        {"Name": "#1011", "Email": "erin@example.com", s: "pending", "Currency": "USD",
         "Total": "15.00", "Created at": "2024-05-03 10:00:00 +0000", "Id": "5011"},
    ]  # fmt: skip
    write("shopify_orders.csv", _csv(HEADERS["shopify"], rows))


def stripe() -> None:
    """Two overlapping exports (Jan–Jun, Apr–Sep); ch_05 is refunded in the later one."""
    h = HEADERS["stripe"]

    def row(i, when, amount, refunded, cur, status, cust, email, captured="true"):
        return {"id": i, "Created date (UTC)": when, "Amount": amount,
                "Amount Refunded": refunded, "Currency": cur, "Captured": captured,
                "Status": status, "Customer ID": cust, "Customer Email": email}  # fmt: skip

    first = [
        row("ch_01", "2024-01-05 12:00:00", "25.00", "0.00", "usd", "Paid", "cus_A", "a@x.com"),
        row("ch_02", "2024-02-10 08:30", "100.00", "30.00", "usd", "Paid", "cus_B", "b@x.com"),
        row(
            "ch_03",
            "2024-03-01 10:00:00",
            "15.00",
            "0.00",
            "usd",
            "Paid",
            "cus_A",
            "a@x.com",
            "false",
        ),
        row("ch_04", "2024-04-02 09:15:00", "40.00", "0.00", "usd", "Failed", "cus_A", "a@x.com"),
        row("ch_05", "2024-05-20 14:00:00", "60.00", "0.00", "usd", "Paid", "cus_C", ""),
        row("ch_06", "2024-06-15 18:45:00", "1000", "0", "jpy", "Paid", "cus_D", "d@x.com"),
        row("ch_07", "2024-06-28 23:59:59", "19.99", "0.00", "eur", "Paid", "", "Guest@X.com"),
    ]
    later = [
        first[3],
        row("ch_05", "2024-05-20 14:00:00", "60.00", "60.00", "usd", "Refunded", "cus_C", ""),
        first[5],
        first[6],
        row("ch_08", "2024-07-04 07:00:00", "33.00", "0.00", "usd", "Paid", "cus_A", "a@x.com"),
        row("ch_09", "2024-09-30 22:00:00", "12.00", "0.00", "usd", "Paid", "cus_B", "b@x.com"),
    ]
    write("stripe_payments_jan_jun.csv", _csv(h, first))
    write("stripe_payments_apr_sep.csv", _csv(h, later))


def woocommerce() -> None:
    """WebToffee keys, cp1252, semicolons, decimal commas, wc- statuses, guests (id 0)."""
    rows = [
        {"order_id": "201", "order_date": "3/5/2024 14:22:10", "status": "wc-completed",
         "order_total": "1.234,56", "order_currency": "EUR", "customer_id": "17",
         "customer_email": "jose@example.es", "billing_first_name": "José",
         "billing_last_name": "Müller", "billing_country": "ES",
         "line_item_1": "name:Café Crème|product_id:9|quantity:2", "order_refund": "0,00",
         "coupon_items": "code:BIENVENUE|amount:5,00"},
        {"order_id": "202", "order_date": "3/6/2024 09:00:00", "status": "processing",
         "order_total": "45,00", "order_currency": "EUR", "customer_id": "0",
         "customer_email": "Guest@Example.fr", "billing_first_name": "Zoë",
         "billing_country": "FR", "order_refund": "10,00"},
        {"order_id": "203", "order_date": "3/7/2024 10:00:00", "status": "wc-cancelled",
         "order_total": "19,90", "order_currency": "EUR", "customer_id": "17"},
        {"order_id": "204", "order_date": "3/8/2024 11:00:00", "status": "wc-refunded",
         "order_total": "30,00", "order_currency": "EUR", "customer_id": "18",
         "order_refund": "30,00"},
        {"order_id": "205", "order_date": "3/9/2024 12:00:00", "status": "wc-on-hold",
         "order_total": "5,00", "order_currency": "EUR", "customer_id": "18"},
        {"order_id": "206", "order_date": "3/10/2024 13:00:00", "status": "wc-failed",
         "order_total": "7,50", "order_currency": "EUR", "customer_id": "0"},
        {"order_id": "207", "order_date": "3/11/2024 14:00:00", "status": "wc-completed",
         "order_total": "12,5", "order_currency": "EUR", "customer_id": "19",
         "customer_email": "x@example.de"},
    ]  # fmt: skip
    write("woocommerce_orders.csv", _csv(HEADERS["woocommerce"], rows, delimiter=";"), "cp1252")


def etsy() -> None:
    """MM/DD/YY dates, a duplicate order from overlapping downloads, adjustments, SKU lists."""
    rows = [
        {"Sale Date": "03/01/24", "Order ID": "3001", "Buyer User ID": "111",
         "Full Name": "Ann Lee", "Ship Country": "United States", "Currency": "USD",
         "Order Value": "20.00", "Order Total": "24.50", "Status": "Completed",
         "Buyer": "annlee", "SKU": "sku-a,sku-b"},
        {"Sale Date": "03/15/24", "Order ID": "3002", "Buyer User ID": "222",
         "Full Name": "Ben Ode", "Currency": "USD", "Order Total": "40.00",
         "Adjusted Order Total": "30.00", "Status": "Completed", "SKU": "sku-c"},
        {"Sale Date": "03/01/24", "Order ID": "3001", "Buyer User ID": "111",
         "Full Name": "Ann Lee", "Ship Country": "United States", "Currency": "USD",
         "Order Value": "20.00", "Order Total": "24.50", "Status": "Completed",
         "Buyer": "annlee", "SKU": "sku-a,sku-b"},
        {"Sale Date": "04/02/24", "Order ID": "3003", "Buyer User ID": "111",
         "Currency": "USD", "Order Total": "15.00", "Adjusted Order Total": "0.00",
         "Status": "Completed"},
        {"Sale Date": "04/30/24", "Order ID": "3004", "Buyer User ID": "333",
         "Currency": "GBP", "Order Total": "9.99", "Status": "Canceled"},
    ]  # fmt: skip
    write("EtsySoldOrders2024-3.csv", _csv(HEADERS["etsy"], rows))


def square() -> None:
    """Items: $ strings with spaces and parentheses, Rails zones, 12-hour times, refunds."""
    base = {"Time Zone": "Eastern Time (US & Canada)", "Event Type": "Payment"}
    rows = [
        {**base, "Date": "07/18/2026", "Time": "2:30:00 PM", "Item": "Latte", "Qty": "1.0",
         "Net Sales": "$1,149.00 ", "Tax": "$0.95", "Transaction ID": "T1",
         "Customer ID": "SQC1", "Customer Name": "Kim"},
        {**base, "Date": "07/18/2026", "Time": "2:30:00 PM", "Item": "Bagel", "Qty": "1.0",
         "Net Sales": "$3.00", "Tax": "$0.00", "Transaction ID": "T1", "Customer ID": "SQC1"},
        {**base, "Date": "07/19/2026", "Time": "9:05:00 AM", "Item": "Tea", "Qty": "2.0",
         "Net Sales": "$33.62", "Tax": "$0.00", "Transaction ID": "T2"},
        {**base, "Date": "07/19/2026", "Time": "11:00:00 AM", "Item": "Tea", "Qty": "1.0",
         "Net Sales": "$10.00", "Tax": "$0.00", "Transaction ID": "T3",
         "Time Zone": "Pacific Time (US & Canada)"},
        {**base, "Date": "07/20/2026", "Time": "10:00:00 AM", "Item": "Tea",
         "Net Sales": "($33.62)", "Tax": "$0.00", "Transaction ID": "T2", "Event Type": "Refund"},
        {**base, "Date": "07/20/2026", "Time": "", "Item": "Cake", "Net Sales": "-$0.95",
         "Tax": "$0.00", "Transaction ID": "T9", "Event Type": "Refund"},
        {**base, "Date": "07/21/2026", "Time": "10:00:00 AM", "Item": "Tea",
         "Net Sales": "$4.00", "Tax": "$0.00", "Transaction ID": "T4",
         "Time Zone": "Atlantis Standard"},
    ]  # fmt: skip
    write("square_items.csv", _csv(HEADERS["square"], rows))


# Square's Transactions export (55 columns, from ../shared/FORMATS.md): one row per payment.
_SQUARE_TRANSACTIONS_HEADER = (
    "Date,Time,Time Zone,Gross Sales,Discounts,Service Charges,Net Sales,Gift Card Sales,Tax,Tip,"
    "Partial Refunds,Total Collected,Source,Card,Card Entry Methods,Cash,Square Gift Card,"
    "Other Tender,Other Tender Type,Tender Note,Fees,Net Total,Transaction ID,Payment ID,"
    "Card Brand,PAN Suffix,Device Name,Staff Name,Staff ID,Details,Description,Event Type,"
    "Location,Dining Option,Customer ID,Customer Name,Customer Reference ID,Device Nickname,"
    "Third Party Fees,Deposit ID,Deposit Date,Deposit Details,Fee Percentage Rate,"
    "Fee Fixed Rate,Refund Reason,Discount Name,Transaction Status,Cash App,"
    "Order Reference ID,Fulfillment Note,Free Processing Applied,Channel,Unattributed Tips,"
    "Table Info,International Fee"
)
SQUARE_TRANSACTIONS = _SQUARE_TRANSACTIONS_HEADER.split(",")


# PayPal's German activity download (41 columns; the header as published by several independent
# importers of real files): DD.MM.YYYY, German amounts, MEZ/MESZ zones, German statuses, BOM.
PAYPAL_DE = (
    "Datum,Uhrzeit,Zeitzone,Name,Typ,Status,Währung,Brutto,Gebühr,Netto,Absender E-Mail-Adresse,"
    "Empfänger E-Mail-Adresse,Transaktionscode,Lieferadresse,Adress-Status,Artikelbezeichnung,"
    "Artikelnummer,Versand- und Bearbeitungsgebühr,Versicherungsbetrag,Umsatzsteuer,"
    "Option 1 Name,Option 1 Wert,Option 2 Name,Option 2 Wert,Zugehöriger Transaktionscode,"
    "Rechnungsnummer,Zollnummer,Anzahl,Empfangsnummer,Guthaben,Adresszeile 1,Adresszusatz,Ort,"
    "Bundesland,PLZ,Land,Telefon,Betreff,Hinweis,Ländervorwahl,Auswirkung auf Guthaben"
)


def paypal_de() -> None:
    """German locale: a summer (MESZ) and a winter (MEZ) sale, one pending payment."""
    base = {
        "Währung": "EUR",
        "Empfänger E-Mail-Adresse": "shop@example.de",
        "Auswirkung auf Guthaben": "Haben",
        "Status": "Abgeschlossen",
    }
    rows = [
        {**base, "Datum": "01.06.2026", "Uhrzeit": "10:15:00", "Zeitzone": "MESZ",
         "Name": "Max Muster", "Typ": "Web Accept-Zahlung", "Brutto": "1.594,36",
         "Gebühr": "-31,90", "Netto": "1.562,46", "Absender E-Mail-Adresse": "Max@Example.com",
         "Transaktionscode": "DE1", "Artikelbezeichnung": "Espressomaschine",
         "Land": "Deutschland", "Ländervorwahl": "DE"},
        {**base, "Datum": "02.06.2026", "Uhrzeit": "11:00:00", "Zeitzone": "MESZ",
         "Name": "Erika Beispiel", "Typ": "PayPal Express-Zahlung", "Status": "Ausstehend",
         "Brutto": "12,50", "Gebühr": "-0,55", "Netto": "11,95",
         "Absender E-Mail-Adresse": "erika@example.com", "Transaktionscode": "DE2"},
        {**base, "Datum": "15.01.2026", "Uhrzeit": "09:30:00", "Zeitzone": "MEZ",
         "Name": "Max Muster", "Typ": "Allgemeine Zahlung", "Brutto": "20,00",
         "Gebühr": "-0,68", "Netto": "19,32", "Absender E-Mail-Adresse": "max@example.com",
         "Transaktionscode": "DE3"},
    ]  # fmt: skip
    text = _csv(PAYPAL_DE.split(","), rows, quote_all=True)
    write("paypal_activity_de.csv", "\ufeff" + text)


def square_transactions() -> None:
    """Transactions: one row per payment, ISO and US dates, an empty time, a partial refund."""
    base = {"Event Type": "Payment", "Transaction Status": "Complete", "Source": "Register"}
    pacific, eastern = "Pacific Time (US & Canada)", "Eastern Time (US & Canada)"
    rows = [
        {**base, "Date": "2026-07-18", "Time": "12:59:30", "Time Zone": pacific,
         "Gross Sales": "$25.50", "Net Sales": "$25.50", "Total Collected": "$25.50",
         "Partial Refunds": "$0.00", "Transaction ID": "TX1", "Customer ID": "SQC7",
         "Customer Name": "Noor Haddad"},
        {**base, "Date": "2026-07-19", "Time": "08:15:00", "Time Zone": eastern,
         "Gross Sales": "$40.00", "Net Sales": "$40.00", "Total Collected": "$40.00",
         "Partial Refunds": "($10.00)", "Transaction ID": "TX2"},
        {**base, "Date": "12/27/2025", "Time": "", "Time Zone": eastern,
         "Gross Sales": "$12.00", "Net Sales": "$12.00", "Total Collected": "$12.00",
         "Partial Refunds": "$0.00", "Transaction ID": "TX3", "Customer ID": "SQC7",
         "Customer Name": "Noor Haddad"},
    ]  # fmt: skip
    write("square_transactions.csv", _csv(SQUARE_TRANSACTIONS, rows))


def paypal() -> None:
    """US file: BOM, all quoted, PST/PDT, sales, refund, memo, withdrawal, pending, orphan."""

    def row(date, time, tz, typ, status, gross, email, txn, ref="", impact="Credit", cur="USD"):
        return {"Date": date, "Time": time, "TimeZone": tz, "Name": email.split("@")[0],
                "Type": typ, "Status": status, "Currency": cur, "Gross": gross,
                "From Email Address": email, "Transaction ID": txn, "Reference Txn ID": ref,
                "Balance Impact": impact}  # fmt: skip

    rows = [
        row(
            "01/15/2024",
            "10:00:00",
            "PST",
            "Express Checkout Payment",
            "Completed",
            "1,250.00",
            "pat@example.com",
            "TXA",
        ),
        row(
            "07/04/2024",
            "18:30:00",
            "PDT",
            "Website Payment",
            "Completed",
            "80.00",
            "Quinn@Example.com",
            "TXB",
        ),
        row(
            "07/10/2024",
            "09:00:00",
            "PDT",
            "Payment Refund",
            "Completed",
            "-30.00",
            "Quinn@Example.com",
            "TXR1",
            "TXB",
            "Debit",
        ),
        row(
            "07/11/2024",
            "09:00:00",
            "PDT",
            "Account Hold for Open Authorization",
            "Completed",
            "-80.00",
            "",
            "TXH",
            "TXB",
            "Memo",
        ),
        row(
            "07/12/2024",
            "12:00:00",
            "PDT",
            "General Withdrawal",
            "Completed",
            "-500.00",
            "",
            "TXW",
            "",
            "Debit",
        ),
        row(
            "07/13/2024",
            "12:00:00",
            "PDT",
            "Express Checkout Payment",
            "Pending",
            "20.00",
            "rae@example.com",
            "TXC",
        ),
        row(
            "07/14/2024",
            "12:00:00",
            "PDT",
            "Payment Refund",
            "Completed",
            "-15.00",
            "old@example.com",
            "TXR2",
            "TXOLD",
            "Debit",
        ),
    ]
    write("paypal_activity_us.csv", "\ufeff" + _csv(HEADERS["paypal"], rows, quote_all=True))
    eu = [
        row(
            "25/03/2024",
            "21:15:00",
            "CET",
            "Express Checkout Payment",
            "Completed",
            "1.234,56",
            "lena@example.de",
            "EU1",
            cur="EUR",
        ),
        row(
            "02/04/2024",
            "08:00:00",
            "CEST",
            "Website Payment",
            "Completed",
            "99,90",
            "jürgen@example.de",
            "EU2",
            cur="EUR",
        ),
    ]
    write("paypal_activity_eu.csv", _csv(HEADERS["paypal"], eu, quote_all=True), "cp1252")


def online_retail() -> None:
    """UCI I as .xlsx (two sheets) and II as CSV (latin-1 '£'-free, US dates, 17850.0 ids)."""
    import xlsxwriter

    header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
              "CustomerID", "Country"]  # fmt: skip
    sheets = {
        "Year 2010": [
            [
                "536365",
                "85123A",
                "WHITE HANGING HEART",
                6,
                datetime(2010, 12, 1, 8, 26),
                2.55,
                17850,
                "United Kingdom",
            ],
            [
                "536365",
                "71053",
                "WHITE METAL LANTERN",
                6,
                datetime(2010, 12, 1, 8, 26),
                3.39,
                17850,
                "United Kingdom",
            ],
            [
                "536366",
                "22633",
                "HAND WARMER",
                6,
                datetime(2010, 12, 1, 8, 28),
                1.85,
                None,
                "United Kingdom",
            ],
            [
                "C536379",
                "D",
                "Discount",
                -1,
                datetime(2010, 12, 1, 9, 41),
                27.5,
                14527,
                "United Kingdom",
            ],
        ],
        "Year 2011": [
            ["581001", "POST", "POSTAGE", 1, datetime(2011, 7, 1, 10, 0), 18.0, 12583, "France"],
            [
                "581001",
                "22726",
                "ALARM CLOCK",
                4,
                datetime(2011, 7, 1, 10, 0),
                3.75,
                12583,
                "France",
            ],
            [
                "581002",
                "BANK CHARGES",
                "Bank Charges",
                1,
                datetime(2011, 7, 2, 11, 0),
                15.0,
                12583,
                "France",
            ],
        ],
    }
    wb = xlsxwriter.Workbook(str(FIXTURES / "online_retail.xlsx"))
    when = wb.add_format({"num_format": "m/d/yyyy h:mm"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, header)
        for i, r in enumerate(rows, start=1):
            for j, v in enumerate(r):
                if isinstance(v, datetime):
                    ws.write_datetime(i, j, v, when)
                elif v is not None:
                    ws.write(i, j, v)
    wb.close()
    h2 = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price",
          "Customer ID", "Country"]  # fmt: skip
    rows2 = [
        ["489434", "85048", "CRÈME CANDLE", "12", "12/1/2009 7:45", "6.95", "13085.0",
         "United Kingdom"],
        ["489434", "79323P", "PINK CHERRY LIGHTS", "12", "12/1/2009 7:45", "6.75", "13085.0",
         "United Kingdom"],
        ["c489449", "22087", "PAPER BUNTING", "-12", "12/1/2009 10:33", "0.85", "16321.0",
         "Australia"],
        ["489450", "PADS", "PADS TO MATCH", "1", "12/1/2009 11:00", "0.001", "13085.0",
         "United Kingdom"],
        ["489451", "21232", "STRAWBERRY MUG", "x", "12/1/2009 11:05", "1.25", "13085.0",
         "United Kingdom"],
        ["489451", "21233", "MUG", "2", "12/1/2009 11:05", "1.25", "13085.0", "United Kingdom"],
    ]  # fmt: skip
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(h2)
    w.writerows(rows2)
    write("online_retail_ii.csv", buf.getvalue(), "latin-1")


def generic() -> None:
    """No order ids (content keys, identical rows twice); line items by id; broken files."""
    write(
        "generic_orders.csv",
        "customer,date,amount\n"
        "c1,2024-01-02,10.00\n"
        "c1,2024-01-02,10.00\n"
        "C2 ,2024-01-03 14:00,5.5\n"
        "c1,2024-02-01,7.25\n"
        ",2024-02-02,3.00\n",
    )
    write(
        "generic_with_ids.csv",
        "Invoice,Email,Order Date,Revenue,Currency\n"
        "A-1,x@example.com,15/01/2024,10.00,EUR\n"
        "A-1,x@example.com,15/01/2024,2.50,EUR\n"
        "A-2,y@example.com,16/01/2024,8.00,EUR\n",
    )
    write(
        "mixed_currencies.csv",
        "customer_id,order_date,total,currency\n"
        "u1,2024-01-01,10.00,USD\n"
        "u2,2024-01-02,20.00,EUR\n"
        "u1,2024-01-03,1500,JPY\n",
    )
    write(
        "broken_bad_rows.csv",
        "customer,date,amount\n"
        "c1,2024-01-02,10.00\n"
        "c2,not a date,5.00\n"
        'c3,2024-01-04,"12,34,56"\n'
        "c4,2024-02-30,1.00\n"
        "c5,2024-01-05,\n"
        "c6,2024-01-06,9.999\n"
        "c7,2024-01-07,4.00\n",
    )
    write("broken_missing_amount.csv", "customer,order_date,net\nc1,2024-01-02,10.00\n")
    write("broken_all_bad.csv", "customer,date,amount\nc1,soon,1.00\nc2,later,2.00\n")
    write("broken_empty.csv", "")
    write("broken_header_only.csv", "customer,date,amount\n")
    (FIXTURES / "broken_binary.csv").write_bytes(bytes(range(256)) * 8)


def woocommerce_guests() -> None:
    """Guest checkouts: customer_id 0 and an empty customer_email, the address in
    billing_email; one guest orders twice with different letter case and spaces."""
    rows = [
        {"order_id": "301", "order_date": "2024-04-01 10:00:00", "status": "wc-completed",
         "order_total": "20.00", "order_currency": "USD", "customer_id": "17",
         "customer_email": "ana@example.com", "billing_email": "ana@example.com"},
        {"order_id": "302", "order_date": "2024-04-02 10:00:00", "status": "wc-completed",
         "order_total": "30.00", "order_currency": "USD", "customer_id": "0",
         "billing_email": "Guest.One@Example.com ", "billing_first_name": "Gus"},
        {"order_id": "303", "order_date": "2024-04-20 11:30:00", "status": "wc-processing",
         "order_total": "15.00", "order_currency": "USD", "customer_id": "0",
         "billing_email": " guest.one@example.com", "billing_first_name": "Gus"},
        {"order_id": "304", "order_date": "2024-04-03 09:00:00", "status": "wc-completed",
         "order_total": "12.00", "order_currency": "USD", "customer_id": "0",
         "billing_email": "bob@example.org"},
        {"order_id": "305", "order_date": "2024-05-01 08:00:00", "status": "wc-completed",
         "order_total": "8.00", "order_currency": "USD", "customer_id": "17",
         "customer_email": "ana@example.com", "billing_email": "ana@example.com"},
        {"order_id": "306", "order_date": "2024-05-02 08:00:00", "status": "wc-completed",
         "order_total": "9.00", "order_currency": "USD", "customer_id": "0"},
        {"order_id": "307", "order_date": "2024-05-03 08:00:00", "status": "wc-completed",
         "order_total": "11.00", "order_currency": "USD", "customer_id": "0",
         "customer_email": "Bob@Example.ORG", "billing_email": "bob@example.org"},
        {"order_id": "308", "order_date": "2024-05-04 08:00:00", "status": "wc-completed",
         "order_total": "40.00", "order_currency": "USD",
         "billing_email": "carol@example.net"},
    ]  # fmt: skip
    write("woocommerce_guests.csv", _csv(HEADERS["woocommerce"], rows))


#: One small order file saved three ways, as Excel does: the UTF-8 twin, "Unicode Text"
#: (UTF-16 LE with BOM, tab-delimited) and a UTF-16 BE CSV without BOM.
UNICODE_ROWS = [
    ["Order ID", "Customer Email", "Customer Name", "Order Date", "Total", "Currency"],
    ["A-1", "zoe@example.fr", "Zoë Lefèvre", "2024-03-01 10:00", "45.50", "EUR"],
    ["A-2", "jose@example.es", "José Müller", "2024-03-02 11:15", "1,234.56", "EUR"],
    ["A-3", "zoe@example.fr", "Zoë Lefèvre", "2024-03-09 09:05", "12.00", "EUR"],
    ["A-4", "ji@example.jp", "李 小龍", "2024-03-10 18:40", "7.25", "EUR"],
]


def unicode_text() -> None:
    """The UTF-8 twin and its two UTF-16 saves (same rows)."""

    def text(delimiter: str) -> str:
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(UNICODE_ROWS)
        return buf.getvalue()

    write("unicode_orders_utf8.csv", text(","))
    write("unicode_orders_utf16le.txt", "\ufeff" + text("\t"), "utf-16-le")
    write("unicode_orders_utf16be.csv", text(","), "utf-16-be")


def excel_saved() -> None:
    """What Excel leaves in a CSV: rows of bare commas, M/D/YYYY H:MM times (no seconds),
    and a totals row at the end; plus implausible dates (2099, 0001, 9999)."""
    write(
        "excel_saved_orders.csv",
        "customer,date,amount\r\n"
        "c1,3/5/2024 14:22,10.00\r\n"
        ",,\r\n"
        "c2,3/6/2024 9:05,20.50\r\n"
        "c1,4/1/2024 16:00,5.00\r\n"
        ",,\r\n"
        ",,\r\n"
        "Total,,35.50\r\n",
    )
    write(
        "excel_saved_dmy.csv",
        "customer;date;amount\r\n"
        "k1;5.3.2024 14:22;10,00\r\n"
        "k2;13.3.2024 9:05;20,50\r\n"
        ";;\r\n"
        ";;30,50\r\n",
    )
    write(
        "implausible_dates.csv",
        "customer,date,amount\n"
        "c1,2024-01-02,10.00\n"
        "c2,2099-01-01,11.00\n"
        "c3,0001-01-01,12.00\n"
        "c4,9999-12-31,13.00\n"
        "c5,1989-12-31,14.00\n"
        "c6,1990-01-01,15.00\n",
    )


if __name__ == "__main__":
    for make in (
        shopify, stripe, woocommerce, etsy, square, square_transactions, paypal, paypal_de,
        online_retail, generic, woocommerce_guests, unicode_text, excel_saved,
    ):  # fmt: skip
        make()
    print(f"fixtures written to {FIXTURES}")
