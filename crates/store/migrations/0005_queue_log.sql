-- The queue log (issue "Queues and agents"): every record the distributor emits, from which
-- the statistics of any interval are rebuilt (src/queue_log.rs). Times are INTEGER
-- milliseconds since the Unix epoch, UTC, like those of `calls`.

-- One row per queue record. `event` names what happened: joined, offered, offer_failed,
-- callback_requested, callback_started, connected, abandoned, left, callback_failed,
-- completed. The other columns are those the event has, NULL otherwise: `reason` is why an
-- offer failed or why the caller left (src/queue_log_codec.rs spells both).
CREATE TABLE queue_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    queue      TEXT    NOT NULL,
    call_id    TEXT    NOT NULL,
    event      TEXT    NOT NULL,
    agent      TEXT,
    position   INTEGER,
    priority   INTEGER,
    attempt    INTEGER,
    waited_ms  INTEGER,
    talk_ms    INTEGER,
    wrapup_ms  INTEGER,
    reason     TEXT
);

-- An interval's records are one range of this index.
CREATE INDEX queue_events_at ON queue_events (at);

-- One row per change of an agent's state or of how it counts for occupancy (staffed:
-- logged in, reachable and unpaused, or busy; busy: talking or wrapping up on queue calls).
CREATE TABLE agent_events (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    agent   TEXT    NOT NULL,
    state   TEXT    NOT NULL,
    reason  TEXT,
    staffed INTEGER NOT NULL CHECK (staffed IN (0, 1)),
    busy    INTEGER NOT NULL CHECK (busy IN (0, 1))
);

-- An interval's changes are one range of the first; each agent's standing when an interval
-- begins is one seek per agent in the second.
CREATE INDEX agent_events_at ON agent_events (at);
CREATE INDEX agent_events_agent_at ON agent_events (agent, at);
