-- Schema version 9: no index on flows.host. No read could search it: the
-- host filter keeps a host and its subdomains (host = ? OR host LIKE
-- '%.' || ?), which SQLite and PostgreSQL answer by reading flows in order
-- of id either way, so the index only cost every stored flow an insert
-- into a tree of text keys: about 3 us of the writer's 33-36 us per flow
-- (BenchmarkSaveBatch).
DROP INDEX flows_host;
