"""The database schema, as numbered migrations applied through ``PRAGMA user_version``.

Tables are created explicitly (TEXT ids, INTEGER minor units) rather than by sqlite-utils' type
detection, which would turn an id like "01234" into 1234. Add a migration; never edit one that
has shipped.
"""

#: How every timestamp is stored (UTC): the generic importer's content keys depend on it too.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

MIGRATIONS: list[str] = [
    # 1: orders, customers, provenance, settings, runs and scores
    """
    CREATE TABLE imports (
        id               INTEGER PRIMARY KEY,
        path             TEXT NOT NULL,
        sha256           TEXT NOT NULL,
        format           TEXT NOT NULL,
        source           TEXT NOT NULL,      -- key namespace of order ids (shopify, stripe, ...)
        started_at       TEXT NOT NULL,      -- UTC ISO-8601
        finished_at      TEXT,
        rows_read        INTEGER NOT NULL DEFAULT 0,
        orders_new       INTEGER NOT NULL DEFAULT 0,
        orders_updated   INTEGER NOT NULL DEFAULT 0,
        orders_unchanged INTEGER NOT NULL DEFAULT 0,
        rows_rejected    INTEGER NOT NULL DEFAULT 0,
        without_identity INTEGER NOT NULL DEFAULT 0,
        mapping          TEXT NOT NULL DEFAULT '{}'   -- JSON: field -> column used
    );

    CREATE TABLE orders (
        source            TEXT NOT NULL,
        order_id          TEXT NOT NULL,
        customer_id       TEXT,              -- NULL: export carried no identity (never merged)
        ordered_at        TEXT NOT NULL,     -- UTC, 'YYYY-MM-DDTHH:MM:SSZ'
        ordered_at_raw    TEXT NOT NULL,     -- the text as exported (with its zone column)
        amount_minor      INTEGER NOT NULL,  -- order total in minor units (cents), as charged
        refunded_minor    INTEGER NOT NULL DEFAULT 0,
        currency          TEXT NOT NULL,     -- ISO 4217, upper case
        status            TEXT NOT NULL,     -- normalised: completed, pending, cancelled, ...
        is_purchase       INTEGER NOT NULL,  -- 1: counts as a purchase; 0: cancelled, failed, ...
        country           TEXT,
        channel           TEXT,
        product           TEXT,              -- first line item / category
        discount_code     TEXT,
        import_id         INTEGER NOT NULL REFERENCES imports(id),
        updated_import_id INTEGER REFERENCES imports(id),
        PRIMARY KEY (source, order_id)
    );
    CREATE INDEX orders_customer ON orders(customer_id, ordered_at);

    CREATE TABLE customers (
        customer_id    TEXT PRIMARY KEY,
        email          TEXT,
        name           TEXT,
        country        TEXT,
        channel        TEXT,
        first_product  TEXT,
        discount_code  TEXT,                 -- on the first order
        first_order_at TEXT,
        source         TEXT,
        import_id      INTEGER REFERENCES imports(id)
    );

    CREATE TABLE rejects (
        import_id INTEGER NOT NULL REFERENCES imports(id),
        row       INTEGER NOT NULL,          -- 1-based line in the file, header = 1
        reason    TEXT NOT NULL,
        raw       TEXT
    );
    CREATE INDEX rejects_import ON rejects(import_id);

    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL                  -- JSON
    );

    CREATE TABLE runs (
        id              INTEGER PRIMARY KEY,
        created_at      TEXT NOT NULL,
        as_of           TEXT NOT NULL,       -- last day of data considered
        calibration_end TEXT NOT NULL,       -- = as_of unless a holdout was used
        holdout_weeks   INTEGER,
        model           TEXT NOT NULL,       -- bgnbd | paretonbd | mbgnbd | empirical
        currency        TEXT,
        value_kind      TEXT NOT NULL,       -- 'net' (margin set) or 'revenue'
        n_customers     INTEGER NOT NULL,
        customer_equity REAL,
        equity_low      REAL,
        equity_high     REAL,
        settings        TEXT NOT NULL,       -- JSON snapshot of the Settings used
        report          TEXT NOT NULL        -- JSON: the `fit --json` document
    );

    CREATE TABLE scores (
        run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        customer_id     TEXT NOT NULL,
        orders          INTEGER NOT NULL,    -- purchase days so far (x + 1)
        spend           REAL NOT NULL,       -- net spend so far
        x               INTEGER NOT NULL,
        t_x             REAL NOT NULL,
        T               REAL NOT NULL,
        monetary        REAL NOT NULL,
        p_alive         REAL NOT NULL,
        expected_orders REAL NOT NULL,       -- over the horizon
        expected_spend  REAL NOT NULL,       -- per order
        clv             REAL NOT NULL,
        clv_low         REAL NOT NULL,
        clv_high        REAL NOT NULL,
        next_order_low  REAL,                -- weeks from as_of; NULL when unlikely alive
        next_order_high REAL,
        tier            TEXT,
        risk            TEXT,
        PRIMARY KEY (run_id, customer_id)
    ) WITHOUT ROWID;

    -- the run's ranking (scores + the identity columns shown) as one Arrow IPC blob, so the
    -- terminal UI reads a million customers in one fetch instead of a million rows
    CREATE TABLE run_frames (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        format TEXT NOT NULL DEFAULT 'arrow-ipc',    -- polars write_ipc, zstd-compressed
        scores BLOB NOT NULL
    );

    CREATE TABLE run_segments (
        run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        tier      TEXT NOT NULL,
        risk      TEXT NOT NULL,
        customers INTEGER NOT NULL,
        clv_total REAL NOT NULL,
        PRIMARY KEY (run_id, tier, risk)
    );

    CREATE TABLE retention (
        run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        cohort   TEXT NOT NULL,              -- acquisition month 'YYYY-MM', or 'all'
        month    INTEGER NOT NULL,           -- months since first purchase
        survival REAL NOT NULL,
        low      REAL,
        high     REAL,
        at_risk  INTEGER,
        PRIMARY KEY (run_id, cohort, month)
    );

    CREATE TABLE marketing_spend (
        month        TEXT NOT NULL,          -- 'YYYY-MM'
        channel      TEXT NOT NULL,
        amount_minor INTEGER NOT NULL,
        currency     TEXT NOT NULL,
        import_path  TEXT,
        PRIMARY KEY (month, channel)
    );
    """,
    # runs prune: a run whose per-customer scores (and ranking cache) were dropped keeps its
    # summary, segments and retention, and says when it was pruned (NULL: scores kept)
    """
    ALTER TABLE runs ADD COLUMN pruned_at TEXT;
    """,
    # P(at least one order in the next 30 / 90 days) per customer (issue 9)
    """
    ALTER TABLE scores ADD COLUMN p_order_30 REAL;
    ALTER TABLE scores ADD COLUMN p_order_90 REAL;
    """,
]
