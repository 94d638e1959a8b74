"""The database schema, as numbered migrations applied through ``PRAGMA user_version``.

Tables are created explicitly (TEXT ids, INTEGER minor units) rather than by sqlite-utils' type
detection, which would turn an id like "01234" into 1234. Add a migration; never edit one that
has shipped. (That is also why this stays SQL text rather than ``db[table].create(...)`` calls:
a shipped migration is frozen, whatever a later sqlite-utils would generate. sqlite-utils'
API serves the small reads, writes and introspection elsewhere in ``store``.)
"""

#: ``run_frames.format`` of a run's ranking stored as one blob (``store.ranking_blob``); here,
#: not there, so reading run sizes needs no polars
RANKING_FORMAT = "parquet-pair"

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
    # customer keys namespaced by source, people linked across sources by e-mail, import
    #    history that can be undone (the pre-image of every row an import changes)
    """
    PRAGMA cache_size = -65536;                         -- this connection: 64 MB for the rewrite
    ALTER TABLE customers ADD COLUMN sources TEXT;      -- 'paypal, shopify': every source seen
    UPDATE customers SET source = coalesce(source, (SELECT o.source FROM orders o
        WHERE o.customer_id = customers.customer_id ORDER BY o.ordered_at LIMIT 1), 'unknown');
    CREATE TABLE customer_links (
        customer_key TEXT PRIMARY KEY,       -- 'paypal:jane@example.com'
        customer_id  TEXT NOT NULL,          -- the person: the key first seen with that e-mail
        import_id    INTEGER REFERENCES imports(id)
    ) WITHOUT ROWID;

    -- An old database merged equal ids of different sources by accident. An e-mail id is the
    -- same person (a link); any other id (WooCommerce 14, Etsy 14) is a person of its own.
    CREATE TEMP TABLE _crossed AS
        SELECT k.source AS source, k.raw AS raw, c.source AS owner,
               k.first_order_at AS first_order_at, k.import_id AS import_id
        FROM (SELECT source, customer_id AS raw,
                     min(CASE WHEN is_purchase = 1 THEN ordered_at END) AS first_order_at,
                     min(import_id) AS import_id
              FROM orders WHERE customer_id IS NOT NULL GROUP BY source, customer_id) k
        JOIN customers c ON c.customer_id = k.raw
        WHERE k.source <> c.source;
    INSERT INTO customer_links (customer_key, customer_id)
        SELECT source || ':' || raw, owner || ':' || raw FROM _crossed WHERE raw LIKE '%@%';

    -- people and scores: 'source:key'
    UPDATE scores SET customer_id = (SELECT c.source || ':' || c.customer_id FROM customers c
        WHERE c.customer_id = scores.customer_id)
        WHERE customer_id IN (SELECT customer_id FROM customers);
    DELETE FROM run_frames;                             -- a cache; rebuilt from scores on read
    UPDATE customers SET customer_id = source || ':' || customer_id, sources = source;
    INSERT INTO customers (customer_id, source, sources, first_order_at, import_id)
        SELECT source || ':' || raw, source, source, first_order_at, import_id FROM _crossed
        WHERE raw NOT LIKE '%@%';
    UPDATE customers SET sources = (SELECT group_concat(s, ', ') FROM (
            SELECT customers.source AS s
            UNION SELECT c.source FROM _crossed c
                WHERE c.owner || ':' || c.raw = customers.customer_id AND c.raw LIKE '%@%'
            ORDER BY 1))
        WHERE customer_id IN (SELECT customer_id FROM customer_links);
    DROP TABLE _crossed;

    -- orders keep their source's key; the person is the key itself unless linked
    -- (the index is rebuilt by one sort: updating it row by row took 10 s at 575k orders)
    DROP INDEX orders_customer;
    ALTER TABLE orders RENAME COLUMN customer_id TO customer_key;
    UPDATE orders SET customer_key = source || ':' || customer_key WHERE customer_key IS NOT NULL;
    CREATE INDEX orders_customer ON orders(customer_key, ordered_at);
    CREATE INDEX customer_links_person ON customer_links(customer_id);
    CREATE INDEX customers_email ON customers(email) WHERE email IS NOT NULL;

    -- import history: what each import changed, so that it can be undone exactly
    ALTER TABLE imports ADD COLUMN customers_new INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE imports ADD COLUMN customers_linked INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE imports ADD COLUMN currencies TEXT;     -- 'EUR,USD': currencies of its orders
    ALTER TABLE imports ADD COLUMN undone_at TEXT;      -- set by `clvtui imports undo`
    UPDATE imports SET currencies = (SELECT group_concat(DISTINCT currency) FROM orders
        WHERE import_id = imports.id);
    CREATE TABLE order_versions (           -- an order as it was before import_id updated it
        import_id         INTEGER NOT NULL REFERENCES imports(id),
        source            TEXT NOT NULL,
        order_id          TEXT NOT NULL,
        customer_key      TEXT,
        ordered_at        TEXT NOT NULL,
        ordered_at_raw    TEXT NOT NULL,
        amount_minor      INTEGER NOT NULL,
        refunded_minor    INTEGER NOT NULL,
        currency          TEXT NOT NULL,
        status            TEXT NOT NULL,
        is_purchase       INTEGER NOT NULL,
        country           TEXT,
        channel           TEXT,
        product           TEXT,
        discount_code     TEXT,
        first_import_id   INTEGER NOT NULL,  -- the order's import_id (never changes)
        updated_import_id INTEGER,
        PRIMARY KEY (import_id, source, order_id)
    ) WITHOUT ROWID;
    CREATE INDEX order_versions_order ON order_versions(source, order_id);
    CREATE TABLE customer_versions (        -- a person as they were before import_id changed them
        import_id       INTEGER NOT NULL REFERENCES imports(id),
        customer_id     TEXT NOT NULL,
        email           TEXT,
        name            TEXT,
        country         TEXT,
        channel         TEXT,
        first_product   TEXT,
        discount_code   TEXT,
        first_order_at  TEXT,
        source          TEXT,
        sources         TEXT,
        first_import_id INTEGER,
        PRIMARY KEY (import_id, customer_id)
    ) WITHOUT ROWID;
    CREATE INDEX customer_versions_person ON customer_versions(customer_id);
    """,
    # leaner runs (issue 16): a run's per-customer scores are one compressed Parquet blob in
    #    run_frames (format 'parquet'), no longer a scores row per customer. No table changes:
    #    the version says that a build reading scores rows only must not open this file.
    #    Runs stored before keep their rows (and Arrow cache) and are read as they were.
    """
    SELECT 1;
    """,
    # campaigns with a control group (issue 12): who was chosen, who was contacted and who
    #    was held back at random; results are measured from the orders imported later
    """
    CREATE TABLE campaigns (
        id               INTEGER PRIMARY KEY,
        name             TEXT NOT NULL UNIQUE,
        action           TEXT NOT NULL,      -- what was done: winback, or the action's name
        segment          TEXT NOT NULL,      -- who was chosen, in words ('tier Profitable')
        created_at       TEXT NOT NULL,      -- UTC ISO-8601
        start_date       TEXT NOT NULL,      -- the fit's as-of day: orders after it count
        run_id           INTEGER,            -- the fit the list came from (may be pruned)
        currency         TEXT,               -- orders in this currency are measured
        holdout_share    REAL NOT NULL,      -- share of the chosen kept as the control group
        seed             INTEGER NOT NULL,   -- of the random split (reproducible)
        cost_per_contact REAL NOT NULL,
        status           TEXT NOT NULL DEFAULT 'open'    -- open | closed
    );
    CREATE TABLE campaign_members (
        campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        customer_id  TEXT NOT NULL,          -- the person, as in scores
        member_group TEXT NOT NULL CHECK (member_group IN ('contacted', 'control')),
        clv          REAL,                   -- at the start, to check the groups are alike
        p_alive      REAL,
        PRIMARY KEY (campaign_id, customer_id)
    ) WITHOUT ROWID;
    """,
    # cost to serve (issue 13): order-level discount, shipping charged and payment fee in minor
    #    units, NULL where the export carries no such column; versioned so an undo restores them
    """
    ALTER TABLE orders ADD COLUMN discount_minor INTEGER;
    ALTER TABLE orders ADD COLUMN shipping_minor INTEGER;
    ALTER TABLE orders ADD COLUMN fee_minor INTEGER;
    ALTER TABLE order_versions ADD COLUMN discount_minor INTEGER;
    ALTER TABLE order_versions ADD COLUMN shipping_minor INTEGER;
    ALTER TABLE order_versions ADD COLUMN fee_minor INTEGER;
    """,
    # order lines (issue 12): the line items of each order, and the lines an import replaced
    #    (so that `clvtui imports undo` restores them exactly, as order_versions does orders)
    """
    CREATE TABLE order_lines (
        source       TEXT NOT NULL,
        order_id     TEXT NOT NULL,
        line_no      INTEGER NOT NULL,   -- 1, 2, ... in the export's row order
        product_id   TEXT,               -- SKU or product id, when the export has one
        product      TEXT,               -- product name as exported
        quantity     REAL,               -- NULL when the export does not say
        amount_minor INTEGER,            -- line amount in minor units of currency (NULL: unknown)
        currency     TEXT NOT NULL,
        import_id    INTEGER NOT NULL REFERENCES imports(id),
        PRIMARY KEY (source, order_id, line_no)
    );                                   -- a rowid table: read in rowid chunks (store.frames)
    CREATE INDEX order_lines_import ON order_lines(import_id);
    -- an order's lines as they were before import_id replaced them
    CREATE TABLE order_line_versions (
        import_id      INTEGER NOT NULL REFERENCES imports(id),
        source         TEXT NOT NULL,
        order_id       TEXT NOT NULL,
        line_no        INTEGER NOT NULL,
        product_id     TEXT,
        product        TEXT,
        quantity       REAL,
        amount_minor   INTEGER,
        currency       TEXT NOT NULL,
        line_import_id INTEGER NOT NULL,  -- the import that had written the replaced line
        PRIMARY KEY (import_id, source, order_id, line_no)
    ) WITHOUT ROWID;
    CREATE INDEX order_line_versions_order ON order_line_versions(source, order_id);
    """,
    # columnar snapshot (store.column_snapshot): the orders and their named lines as compressed
    #    Arrow IPC, one row per part, valid while its stamp equals the database's fingerprint
    """
    CREATE TABLE column_snapshots (
        part      TEXT NOT NULL,         -- orders | lines
        name      TEXT NOT NULL,         -- one column each: a reader fetches only its own
        stamp     TEXT NOT NULL,         -- store.column_snapshot.order_stamp when written
        row_count INTEGER NOT NULL,
        data      BLOB NOT NULL,         -- Arrow IPC file (lz4) of that one column
        PRIMARY KEY (part, name)
    );
    -- any write to the orders or lines outside an import or undo (which lift these and bring
    -- the snapshot up to date themselves) drops it: readers then read the tables
    CREATE TRIGGER column_snapshot_orders_insert AFTER INSERT ON orders
        BEGIN DELETE FROM column_snapshots; END;
    CREATE TRIGGER column_snapshot_orders_update AFTER UPDATE ON orders
        BEGIN DELETE FROM column_snapshots; END;
    CREATE TRIGGER column_snapshot_orders_delete AFTER DELETE ON orders
        BEGIN DELETE FROM column_snapshots; END;
    CREATE TRIGGER column_snapshot_order_lines_insert AFTER INSERT ON order_lines
        BEGIN DELETE FROM column_snapshots; END;
    CREATE TRIGGER column_snapshot_order_lines_update AFTER UPDATE ON order_lines
        BEGIN DELETE FROM column_snapshots; END;
    CREATE TRIGGER column_snapshot_order_lines_delete AFTER DELETE ON order_lines
        BEGIN DELETE FROM column_snapshots; END;
    """,
]
