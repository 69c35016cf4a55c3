-- Schema version 6: a run can be named ("staging nightly") and records the
-- site it was about (a crawl's seeds, or --site), so that `phiproxy runs`
-- and comparisons between runs say which is which.
ALTER TABLE runs ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN site TEXT NOT NULL DEFAULT '';
