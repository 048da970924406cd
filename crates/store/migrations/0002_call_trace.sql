-- The routing trace of a call that went through a scenario: one row per decision, in the
-- order the engine made them ("schedule: lunch (13:05 Europe/Moscow, Mon) → lunch",
-- "menu: digit 2 → support", "dial 104: no answer after 15 s"). A direct call has none.
--
-- A call's trace is written in the same transaction as its `calls` row (Store::insert_call,
-- ::insert_calls), so the two appear together or not at all.
--
-- position: 0, 1, 2, ... within the call, the order of the trace.
-- at: INTEGER milliseconds since the Unix epoch, UTC, like the times of `calls`.
-- step: the scenario step deciding, empty before the first step.
--
-- The primary key is the index by call: `switchboard trace` and the API read one call's trace
-- with one range seek, already in order. WITHOUT ROWID stores the rows in that index itself.
-- Deleting a call (a retention purge) deletes its trace.
CREATE TABLE call_trace (
    call_id  TEXT    NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    at       INTEGER NOT NULL,
    step     TEXT    NOT NULL,
    text     TEXT    NOT NULL,
    PRIMARY KEY (call_id, position)
) WITHOUT ROWID;

-- `switchboard trace CALL-ID` accepts the SIP Call-ID of the caller's leg, as a packet
-- capture or a phone's log shows it.
CREATE INDEX calls_sip_call_id ON calls (sip_call_id);
