-- The protocol each side of an exchange spoke: the browser to the proxy
-- ("HTTP/2.0", "HTTP/1.1") and the proxy to the origin (empty when no
-- answer came). They differ when only one side offers HTTP/2; both are
-- empty for flows read from recordings, which saw one side only.
ALTER TABLE flows ADD COLUMN client_proto TEXT NOT NULL DEFAULT '';
ALTER TABLE flows ADD COLUMN upstream_proto TEXT NOT NULL DEFAULT '';
