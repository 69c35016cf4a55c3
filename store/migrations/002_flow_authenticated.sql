-- A flow sent by a signed-in session (a crawl after logging in, or one
-- started from a saved session). Trackers on authenticated pages are the
-- highest-risk exposure, so reports and findings carry it.
ALTER TABLE flows ADD COLUMN authenticated INTEGER NOT NULL DEFAULT 0;
