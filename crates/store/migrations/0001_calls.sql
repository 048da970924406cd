-- One row per call, answered or not: the call detail record (CDR).
--
-- Times (started_at, answered_at, ended_at) are INTEGER milliseconds since the Unix epoch, UTC.
-- Why not RFC 3339 text: an integer is 8 bytes against ~30, compares without parsing, and keeps
-- the indexes below small at tens of millions of rows. To read them by eye:
--   SELECT datetime(started_at / 1000, 'unixepoch') FROM calls;
--
-- duration_secs and billable_secs are derived from the times (CallRecord::duration_secs and
-- ::billable_secs) but stored, so billing reports can SUM them without date arithmetic.
-- disposition and hangup_by use the spellings of Disposition::as_str and HangupBy::as_str.
CREATE TABLE calls (
    id              TEXT    NOT NULL PRIMARY KEY,
    sip_call_id     TEXT    NOT NULL,
    caller_number   TEXT    NOT NULL,
    caller_name     TEXT,
    caller_endpoint TEXT,
    callee_number   TEXT    NOT NULL,
    callee_name     TEXT,
    callee_endpoint TEXT,
    started_at      INTEGER NOT NULL,
    answered_at     INTEGER,
    ended_at        INTEGER NOT NULL,
    duration_secs   INTEGER NOT NULL CHECK (duration_secs >= 0),
    billable_secs   INTEGER NOT NULL CHECK (billable_secs >= 0),
    disposition     TEXT    NOT NULL
        CHECK (disposition IN ('ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CANCELLED')),
    hangup_by       TEXT    NOT NULL CHECK (hangup_by IN ('caller', 'callee', 'system')),
    sip_cause       INTEGER NOT NULL CHECK (sip_cause BETWEEN 0 AND 65535),
    reason          TEXT    NOT NULL
);

-- `switchboard calls` and the history pages: the newest calls first.
CREATE INDEX calls_started_at ON calls (started_at);

-- "The last (answered) call with this number": one index seek per side, read newest first.
CREATE INDEX calls_caller_number_started_at ON calls (caller_number, started_at);
CREATE INDEX calls_callee_number_started_at ON calls (callee_number, started_at);
