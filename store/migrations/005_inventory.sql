-- The inventory: what each run saw a site load and keep, per top-level page
-- and item, aggregated (one row per run, page, type and item, never one per
-- request). type is script, cookie, storage, endpoint or initiator (which
-- script caused a request); item is the identity within the type (a script
-- URL; cookie name, domain, path and setter; storage origin, area and key;
-- endpoint method, host and path template; a request URL). attrs holds the
-- type's attributes as JSON, documented in README.md under "Inventory".
-- Values of cookies and storage entries are never stored here.
CREATE TABLE inventory (
    run_id          INTEGER NOT NULL DEFAULT 0, -- 0: not part of a run
    page            TEXT    NOT NULL DEFAULT '', -- '' when no page is known
    type            TEXT    NOT NULL,
    item            TEXT    NOT NULL,
    host            TEXT    NOT NULL DEFAULT '',
    domain          TEXT    NOT NULL DEFAULT '', -- registrable domain of host
    party           TEXT    NOT NULL DEFAULT 'unknown',
    vendor          TEXT    NOT NULL DEFAULT '',
    vendor_category TEXT    NOT NULL DEFAULT '',
    baa             INTEGER NOT NULL DEFAULT 0,
    attrs           TEXT    NOT NULL DEFAULT '{}',
    count           INTEGER NOT NULL DEFAULT 0,
    first_seen      TEXT    NOT NULL,
    last_seen       TEXT    NOT NULL,
    PRIMARY KEY (run_id, page, type, item)
) WITHOUT ROWID;
CREATE INDEX inventory_vendor ON inventory(vendor);
