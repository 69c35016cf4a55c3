-- The consent state of the crawl that caused a flow, and whether a
-- finding went to a third party against the visitor's choice.
ALTER TABLE flows ADD COLUMN consent TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN consent_violation INTEGER NOT NULL DEFAULT 0;
