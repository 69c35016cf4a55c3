-- Schema version 1. Times are UTC text "YYYY-MM-DDTHH:MM:SS.ffffffZ" so they
-- sort as text; severities are integers 0 info, 1 low, 2 medium, 3 high,
-- 4 critical (the finding_rows view spells them out).

CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    command        TEXT    NOT NULL,          -- run, scan, crawl
    started        TEXT    NOT NULL,
    ended          TEXT,
    listen         TEXT    NOT NULL DEFAULT '',
    ca_fingerprint TEXT    NOT NULL DEFAULT '',
    version        TEXT    NOT NULL DEFAULT '',
    seen           INTEGER NOT NULL DEFAULT 0, -- flows captured
    inspected      INTEGER NOT NULL DEFAULT 0, -- flows classified
    flagged        INTEGER NOT NULL DEFAULT 0, -- flows with findings
    dropped        INTEGER NOT NULL DEFAULT 0  -- flows not inspected: queue full
);

CREATE TABLE flows (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    start           TEXT    NOT NULL,
    source          TEXT    NOT NULL,          -- proxy, har, pcap, crawl
    client_addr     TEXT    NOT NULL DEFAULT '',
    connect_target  TEXT    NOT NULL DEFAULT '',
    server_addr     TEXT    NOT NULL DEFAULT '',
    page            TEXT    NOT NULL DEFAULT '',
    phase           TEXT    NOT NULL DEFAULT '', -- load, interaction
    method          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    host            TEXT    NOT NULL,          -- URL host, lower-case, no port
    host_header     TEXT    NOT NULL DEFAULT '', -- Host header as sent
    proto           TEXT    NOT NULL DEFAULT '',
    req_headers     TEXT    NOT NULL DEFAULT '{}', -- JSON: {"Name": ["value", ...]}
    req_body        BLOB,
    req_body_size   INTEGER NOT NULL DEFAULT -1,
    req_truncated   INTEGER NOT NULL DEFAULT 0,
    status          INTEGER NOT NULL DEFAULT 0, -- 0: no response
    resp_proto      TEXT    NOT NULL DEFAULT '',
    resp_headers    TEXT    NOT NULL DEFAULT '{}',
    resp_body       BLOB,
    resp_body_size  INTEGER NOT NULL DEFAULT -1,
    send_us         INTEGER NOT NULL DEFAULT 0,
    wait_us         INTEGER NOT NULL DEFAULT 0,
    receive_us      INTEGER NOT NULL DEFAULT 0,
    error           TEXT    NOT NULL DEFAULT '',
    domain          TEXT    NOT NULL DEFAULT '',
    party           TEXT    NOT NULL DEFAULT 'unknown', -- first, third, unknown
    vendor          TEXT    NOT NULL DEFAULT '',
    vendor_category TEXT    NOT NULL DEFAULT '',
    baa             INTEGER NOT NULL DEFAULT 0,
    severity        INTEGER NOT NULL DEFAULT 0,  -- highest finding severity
    kinds           TEXT    NOT NULL DEFAULT '', -- distinct finding kinds, comma-separated, sorted
    finding_count   INTEGER NOT NULL DEFAULT 0,
    field_count     INTEGER NOT NULL DEFAULT 0,
    notes           TEXT    NOT NULL DEFAULT ''  -- decode notes, one per line
);
CREATE INDEX flows_host ON flows(host);
CREATE INDEX flows_severity ON flows(severity);

CREATE TABLE ws_messages (
    flow_id     INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    time        TEXT    NOT NULL,
    from_client INTEGER NOT NULL,
    binary      INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    truncated   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (flow_id, seq)
);

CREATE TABLE findings (
    id           INTEGER PRIMARY KEY,
    flow_id      INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    term         TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    field        TEXT    NOT NULL DEFAULT '',
    match_start  INTEGER NOT NULL DEFAULT 0,
    match_end    INTEGER NOT NULL DEFAULT 0,
    category     TEXT    NOT NULL DEFAULT '',
    source       TEXT    NOT NULL,
    score        REAL    NOT NULL DEFAULT 0,
    severity     INTEGER NOT NULL
);
CREATE INDEX findings_flow ON findings(flow_id);
CREATE INDEX findings_severity ON findings(severity);

-- One row per finding with its flow, severities spelled out: the view to
-- query by hand with sqlite3.
CREATE VIEW finding_rows AS
SELECT f.id AS finding_id, f.flow_id, fl.start AS time, fl.method, fl.url, fl.host,
       fl.party, fl.vendor, f.kind, f.term, f.value, f.path, f.category, f.source,
       CASE f.severity WHEN 4 THEN 'critical' WHEN 3 THEN 'high' WHEN 2 THEN 'medium'
                       WHEN 1 THEN 'low' ELSE 'info' END AS severity
FROM findings f JOIN flows fl ON fl.id = f.flow_id;
