-- Schema version 8: flows by run. A team's shared database holds the
-- flows of many runs; listing, comparing, exporting and pruning one run,
-- and deleting a run (its flows' run_id is cleared), find its flows
-- through this index instead of reading every flow.
CREATE INDEX flows_run ON flows(run_id);
