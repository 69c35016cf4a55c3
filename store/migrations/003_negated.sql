-- Schema version 3: intake answers that say no ({"has_diabetes": false})
-- are stored as findings marked negated (1); older findings are not.

ALTER TABLE findings ADD COLUMN negated INTEGER NOT NULL DEFAULT 0;

DROP VIEW finding_rows;
CREATE VIEW finding_rows AS
SELECT f.id AS finding_id, f.flow_id, fl.start AS time, fl.method, fl.url, fl.host,
       fl.party, fl.vendor, f.kind, f.term, f.value, f.path, f.category, f.source,
       CASE f.severity WHEN 4 THEN 'critical' WHEN 3 THEN 'high' WHEN 2 THEN 'medium'
                       WHEN 1 THEN 'low' ELSE 'info' END AS severity,
       f.negated
FROM findings f JOIN flows fl ON fl.id = f.flow_id;
