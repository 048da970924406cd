-- "Who last had an answered call with this number" (the responsible manager's history
-- source) reads only the disposition and the other side's endpoint of each call of the
-- number: with them in the index, the lookup never touches the table, which at tens of
-- millions of calls no longer fits the page cache of a small server.
DROP INDEX calls_caller_number_started_at;
DROP INDEX calls_callee_number_started_at;
CREATE INDEX calls_caller_number_started_at
    ON calls (caller_number, started_at, disposition, callee_endpoint);
CREATE INDEX calls_callee_number_started_at
    ON calls (callee_number, started_at, disposition, caller_endpoint);
