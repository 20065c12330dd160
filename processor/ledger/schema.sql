-- The export ledger: what every night has read, kept across nights (exports arrive months before
-- their returns). Portable SQL: TEXT, INTEGER and plain constraints, so SQLite and PostgreSQL share it.
-- Money and quantities are TEXT holding exact decimals; dates are ISO TEXT (YYYY-MM-DD), times
-- ISO TEXT (YYYY-MM-DDThh:mm:ss[.ffffff]).

CREATE TABLE IF NOT EXISTS ledger_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS batches (
    batch_id         TEXT PRIMARY KEY,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    software_version TEXT NOT NULL,
    parameters       TEXT NOT NULL,
    inbox            TEXT NOT NULL,
    reference_hash   TEXT             -- the reference data's fingerprint (ReferenceData.fingerprint)
);

-- summary.json of each batch as written, so that `processor report --batch` writes it again byte for byte.
CREATE TABLE IF NOT EXISTS batch_summaries (
    batch_id TEXT PRIMARY KEY,
    summary  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS input_files (
    batch_id     TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    records_read INTEGER NOT NULL,
    stored       INTEGER NOT NULL,
    quarantined  INTEGER NOT NULL,
    duplicates   INTEGER NOT NULL,
    complete     INTEGER NOT NULL,
    PRIMARY KEY (batch_id, file_name)
);

-- Every record ever stored, by the key it is kept under and the hash of its content: reading the same record
-- again is a duplicate (the same content has the same key). Keyed so, a night's entries go near one another
-- (keys grow with time), where by the hash alone each went to a page of its own anywhere in the table: a night
-- dirtied more pages the older the ledger (docs/performance.md, session 9).
-- Tables that end WITHOUT ROWID are their primary key's b-tree on SQLite (one copy of each row, not a table and
-- an index holding most of it again); on PostgreSQL the clause is dropped (dialect.py).
CREATE TABLE IF NOT EXISTS journal (
    kind         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    record_key   TEXT NOT NULL,
    batch_id     TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    line         INTEGER,
    outcome      TEXT NOT NULL,  -- when stored: current (it went in force) or superseded (a later version was);
                                 -- the version in force now is the one whose hash its table holds
    PRIMARY KEY (kind, record_key, content_hash)
) WITHOUT ROWID;

-- CEB603 lists in force, keyed by the sender's copNo until (and after) customs gives them an invtNo.
CREATE TABLE IF NOT EXISTS export_lists (
    list_key        TEXT PRIMARY KEY,       -- ebcCode|copNo
    cop_no          TEXT NOT NULL,
    invt_no         TEXT UNIQUE,            -- NULL until a CEB604 receipt fills it in
    pre_no          TEXT,
    ebc_code        TEXT NOT NULL,
    ebp_code        TEXT NOT NULL,
    agent_code      TEXT NOT NULL,
    owner_code      TEXT NOT NULL,
    customs_code    TEXT NOT NULL,
    port_code       TEXT NOT NULL,
    trade_mode      TEXT NOT NULL,
    ie_flag         TEXT NOT NULL,
    ie_date         TEXT NOT NULL,
    app_type        TEXT NOT NULL,
    app_time        TEXT NOT NULL,
    app_status      TEXT NOT NULL,
    statistics_flag TEXT NOT NULL,
    iac_code        TEXT,
    ems_no          TEXT,
    order_no        TEXT NOT NULL,
    logistics_no    TEXT NOT NULL,
    variant         TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    batch_id        TEXT NOT NULL,          -- the batch that stored this version
    invt_batch_id   TEXT,                   -- the batch whose CEB604 filled invt_no
    void_reason     TEXT                    -- set when cancelled (CEB605), refused (CEB604 100) or deleted (appType 3)
);

CREATE INDEX IF NOT EXISTS export_lists_deleted ON export_lists (batch_id) WHERE app_type = '3';

CREATE TABLE IF NOT EXISTS export_items (
    list_key    TEXT NOT NULL,
    gnum        INTEGER NOT NULL,
    item_no     TEXT NOT NULL,
    item_name   TEXT,
    gcode       TEXT NOT NULL,
    gname       TEXT NOT NULL,
    gmodel      TEXT NOT NULL,
    country     TEXT NOT NULL,
    currency    TEXT NOT NULL,
    qty         TEXT NOT NULL,
    qty1        TEXT NOT NULL,
    qty2        TEXT,
    unit        TEXT NOT NULL,
    unit1       TEXT NOT NULL,
    unit2       TEXT,
    price       TEXT NOT NULL,
    total_price TEXT NOT NULL,
    PRIMARY KEY (list_key, gnum)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS list_receipts (
    content_hash  TEXT PRIMARY KEY,
    list_key      TEXT NOT NULL,
    cop_no        TEXT NOT NULL,
    ebc_code      TEXT NOT NULL,
    invt_no       TEXT NOT NULL,
    pre_no        TEXT NOT NULL,
    return_status TEXT NOT NULL,
    return_time   TEXT NOT NULL,
    return_info   TEXT NOT NULL,
    batch_id      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS list_receipts_by_list ON list_receipts (list_key);
-- refusals (CEB604 returnStatus 100) by batch, and the lists deleted by appType 3: rare, and looked up each night
CREATE INDEX IF NOT EXISTS list_receipts_refused ON list_receipts (batch_id) WHERE return_status = '100';

CREATE TABLE IF NOT EXISTS list_cancels (
    content_hash TEXT PRIMARY KEY,
    cop_no       TEXT NOT NULL,
    invt_no      TEXT NOT NULL,
    ebc_code     TEXT NOT NULL,
    app_time     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    batch_id     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS list_cancels_by_invt ON list_cancels (invt_no);
CREATE INDEX IF NOT EXISTS list_cancels_by_batch ON list_cancels (batch_id);

-- CEB213 returns in force (appType 2 replaces, 3 withdraws; CEB214 status 100 withdraws).
CREATE TABLE IF NOT EXISTS return_apps (
    co_el_no     TEXT PRIMARY KEY,
    invt_no      TEXT NOT NULL,
    pre_no       TEXT,
    app_type     TEXT NOT NULL,
    app_time     TEXT NOT NULL,
    app_status   TEXT NOT NULL,
    customs_code TEXT NOT NULL,
    ebp_code     TEXT NOT NULL,
    ebc_code     TEXT NOT NULL,
    agent_code   TEXT NOT NULL,
    logistics_no TEXT NOT NULL,
    trade_mode   TEXT,
    reason       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    batch_id     TEXT NOT NULL,
    withdrawn    TEXT                       -- why the return no longer stands, if it does not
);
CREATE INDEX IF NOT EXISTS return_apps_by_invt ON return_apps (invt_no);

CREATE TABLE IF NOT EXISTS return_lines (
    co_el_no TEXT NOT NULL,
    gnum     INTEGER NOT NULL,
    gcode    TEXT NOT NULL,
    gname    TEXT NOT NULL,
    gmodel   TEXT NOT NULL,
    qty      TEXT NOT NULL,
    qty1     TEXT NOT NULL,
    unit     TEXT NOT NULL,
    unit1    TEXT NOT NULL,
    qty2     TEXT,
    unit2    TEXT,
    PRIMARY KEY (co_el_no, gnum)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS return_receipts (
    content_hash  TEXT PRIMARY KEY,
    co_el_no      TEXT NOT NULL,
    invt_no       TEXT NOT NULL,
    return_status TEXT NOT NULL,
    return_time   TEXT NOT NULL,
    return_info   TEXT NOT NULL,
    batch_id      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS return_receipts_by_return ON return_receipts (co_el_no);

-- Claims in force: a later claim for the same coElNo replaces the earlier one.
CREATE TABLE IF NOT EXISTS claims (
    co_el_no            TEXT PRIMARY KEY,
    invt_no             TEXT NOT NULL,
    return_date         TEXT NOT NULL,
    reason_code         TEXT NOT NULL,
    self_declaration_no TEXT,
    return_record_no    TEXT,
    return_agreement_no TEXT,
    certificate_type    TEXT,
    certificate_no      TEXT,
    zone_exit_date      TEXT,
    content_hash        TEXT NOT NULL,
    batch_id            TEXT NOT NULL
);

-- a certificate presented for more than one return is a warning: found by its number
CREATE INDEX IF NOT EXISTS claims_by_certificate ON claims (certificate_no);

CREATE TABLE IF NOT EXISTS claim_items (
    co_el_no           TEXT NOT NULL,
    gnum               INTEGER NOT NULL,
    accessories_added  INTEGER NOT NULL,
    processed          INTEGER NOT NULL,
    used               INTEGER NOT NULL,
    trial_use_evidence INTEGER NOT NULL,
    export_duty_paid   TEXT NOT NULL,
    refunded_vat       TEXT NOT NULL,
    refunded_ct        TEXT NOT NULL,
    customs_value      TEXT,
    PRIMARY KEY (co_el_no, gnum)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS quarantine (
    batch_id   TEXT NOT NULL,
    seq        INTEGER NOT NULL,            -- order of discovery within the batch
    file_name  TEXT NOT NULL,
    line       INTEGER,
    kind       TEXT NOT NULL,
    record_key TEXT NOT NULL,
    field      TEXT NOT NULL,
    problem    TEXT NOT NULL,
    expected   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS quarantine_by_batch ON quarantine (batch_id);

-- Decisions, one version per decision made. A line's latest version is `current` (it holds its quantity
-- when EXEMPT or PENDING) or `withdrawn` (the return was withdrawn, or a change dropped the line: the row
-- repeats the decision it cancels and holds nothing); older versions are `superseded`.
CREATE TABLE IF NOT EXISTS decisions (
    co_el_no           TEXT NOT NULL,
    gnum               INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    batch_id           TEXT NOT NULL,
    invt_no            TEXT NOT NULL,
    return_date        TEXT NOT NULL,
    gcode              TEXT NOT NULL,
    qty                TEXT NOT NULL,
    qty1               TEXT NOT NULL,
    export_date        TEXT,
    trade_mode         TEXT,
    window_end         TEXT,
    policy             TEXT,
    decision           TEXT NOT NULL,
    reasons            TEXT NOT NULL,
    customs_value_cny  TEXT,
    import_duty        TEXT,
    consumption_tax    TEXT,
    import_vat         TEXT,
    export_duty_refund TEXT NOT NULL,
    backpay_vat        TEXT NOT NULL,
    backpay_ct         TEXT NOT NULL,
    certificate_type   TEXT,
    certificate_no     TEXT,
    fingerprint        TEXT NOT NULL,   -- hash of the return, claim and receipts the decision was made on
    return_hash        TEXT NOT NULL,
    trail              TEXT NOT NULL,   -- JSON: every rule applied with its clause, the window, the taxes
    status             TEXT NOT NULL,   -- current | superseded | withdrawn
    citations          TEXT,            -- JSON: the announcement applied, the basis of an exemption, each reason's clause
    change             TEXT,            -- NEW | REVISED | WITHDRAWN as reported; NULL: decided again, row unchanged, not reported
    supersedes         TEXT,            -- REVISED, WITHDRAWN: the batch that had reported the line last
    reported_in        TEXT,            -- the batch that reported the line last, as of this version
    cause              TEXT,            -- what made the line be decided (again): first decision, new data: claim, ...
    waits              TEXT,            -- 'reference': PENDING for a tariff row, exchange rate or calendar not there yet
    PRIMARY KEY (co_el_no, gnum, version)
);
CREATE INDEX IF NOT EXISTS decisions_by_export ON decisions (invt_no, gnum, status);
CREATE INDEX IF NOT EXISTS decisions_by_line ON decisions (co_el_no, status);
-- Lines waiting for their export (NO_SUCH_EXPORT: no export date) or for reference data: looked up every night.
CREATE INDEX IF NOT EXISTS decisions_orphans ON decisions (invt_no) WHERE status = 'current' AND export_date IS NULL;
CREATE INDEX IF NOT EXISTS decisions_pending ON decisions (window_end) WHERE status = 'current' AND decision = 'PENDING';
CREATE INDEX IF NOT EXISTS decisions_waiting ON decisions (batch_id) WHERE status = 'current' AND waits IS NOT NULL;

-- Which decisions each batch reported in its decisions.csv (made then, or reported again unchanged).
CREATE TABLE IF NOT EXISTS batch_decisions (
    batch_id TEXT NOT NULL,
    co_el_no TEXT NOT NULL,
    gnum     INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    PRIMARY KEY (batch_id, co_el_no, gnum)
) WITHOUT ROWID;

-- The returns a batch read (its CEB213, CEB214 and claims), whose lines come up for a decision.
CREATE TABLE IF NOT EXISTS batch_touched (
    batch_id TEXT NOT NULL,
    co_el_no TEXT NOT NULL,
    PRIMARY KEY (batch_id, co_el_no)
) WITHOUT ROWID;

-- Export lists whose every window has closed, moved here by `processor archive` (archive.py): one row per list,
-- packed (Zstandard, against the dictionary of its export month): the list, its items, receipts and cancellations,
-- the returns in force naming it with their lines, receipts and claims, the journal entries of all of them, and
-- every decision version of those lines (schema 8; in schema 7 decisions stayed in `decisions`). A night that
-- touches an archived list or return puts it back first; `explain`, reports and `check` read it here.
CREATE TABLE IF NOT EXISTS archive_months (
    month       TEXT PRIMARY KEY,   -- YYYY-MM of the lists' export date (ie_date)
    dictionary  BLOB NOT NULL,      -- trained on the month's first lists; empty: packed without one
    lists       INTEGER NOT NULL,   -- lists archived now (a list put back is counted out)
    items       INTEGER NOT NULL,
    archived_at TEXT NOT NULL
);

-- A rowid table, not WITHOUT ROWID: a packed list with its returns' decisions is often above a kilobyte, and a
-- WITHOUT ROWID row that long spills to an overflow page of its own, mostly empty (schema 8).
CREATE TABLE IF NOT EXISTS archived_lists (
    list_key TEXT PRIMARY KEY,
    invt_no  TEXT,
    month    TEXT NOT NULL,
    packed   BLOB NOT NULL      -- about 160 bytes an item (docs/storage.md)
);
CREATE INDEX IF NOT EXISTS archived_lists_by_invt ON archived_lists (invt_no);

-- The archived returns (those in force naming an archived list: packed with it), by coElNo: a night that reads
-- something of one puts its list back.
CREATE TABLE IF NOT EXISTS archived_returns (
    co_el_no    TEXT PRIMARY KEY,
    list_key    TEXT NOT NULL,
    return_date TEXT                -- of its lines in force (`reassess --since` selects by it); NULL: none is
) WITHOUT ROWID;

-- The certificates presented by archived claims: one presented again is a warning (settle.py, waiting), found
-- among the claims in force once their lists are put back.
CREATE TABLE IF NOT EXISTS archived_certificates (
    certificate_no TEXT NOT NULL,
    list_key       TEXT NOT NULL,
    PRIMARY KEY (certificate_no, list_key)
) WITHOUT ROWID;
