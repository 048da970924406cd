-- Voicemail, callback tasks and the e-mail outbox (issue "Voicemail, missed calls and
-- callbacks"). Times are INTEGER milliseconds since the Unix epoch, UTC, like those of `calls`.

-- One row per voicemail message; its audio is the WAV file
-- <data_dir>/voicemail/<mailbox, sanitised>/msg-<id>.wav (src/mailbox.rs).
--
-- state: `recording` from the moment the caller hears the beep until the recorder has renamed
-- the finished file into place; `new` until the box owner listens; `saved` once kept;
-- `deleting` while a deletion removes the file (src/voicemail.rs, Store::delete_message).
-- Only `new` and `saved` rows are messages to the rest of Switchboard: a crash leaves the
-- other two behind, and Store::recover_voicemail settles them before the server serves.
--
-- AUTOINCREMENT: an id is never handed out twice, so a file left behind by a deleted message
-- can never be taken for the audio of a later one.
--
-- call_id is Switchboard's id of the call the message came from (`calls.id`). Not a foreign
-- key: the call's record is written when the call ends, after the message began.
CREATE TABLE voicemail_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox       TEXT    NOT NULL,
    caller_number TEXT    NOT NULL,
    caller_name   TEXT,
    call_id       TEXT    NOT NULL,
    received_at   INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    state         TEXT    NOT NULL CHECK (state IN ('recording', 'new', 'saved', 'deleting'))
);

-- A box's messages oldest first, and its new/saved counts for the message-waiting lamp:
-- one range of this index each.
CREATE INDEX voicemail_messages_mailbox_state
    ON voicemail_messages (mailbox, state, received_at);

-- A PIN the box owner set by phone; it overrides the PIN in the configuration. Stored as
-- typed: a voicemail PIN is a few digits, which no hash protects from a guess, and the
-- configured PIN it replaces is plain text in the configuration file too.
CREATE TABLE voicemail_boxes (
    mailbox TEXT NOT NULL PRIMARY KEY,
    pin     TEXT NOT NULL
) WITHOUT ROWID;

-- One row per notification e-mail of a message, written in the same transaction that makes
-- the message `new`, so a message never exists without its e-mails queued.
--
-- next_attempt_at: when to try (again); NULL once sent (sent_at set) or given up (sent_at
-- NULL, last_error saying why). Deleting a message deletes its e-mails: there is nothing left
-- to attach.
CREATE TABLE email_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      INTEGER NOT NULL REFERENCES voicemail_messages (id) ON DELETE CASCADE,
    address         TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER,
    last_error      TEXT,
    sent_at         INTEGER,
    CHECK (sent_at IS NULL OR next_attempt_at IS NULL)
);

-- The mailer's "what is due now", and the count of what is pending: only unsent rows.
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
-- The cascade from a deleted message.
CREATE INDEX email_outbox_message ON email_outbox (message_id);

-- A number to call back: the missed calls, abandoned calls and voicemail of one outside
-- number, merged while the task is open (the merging rules live in the callback engine).
--
-- kinds: the kinds of event merged, comma-separated (`missed,voicemail`).
-- recordings: ids of the voicemail messages left, comma-separated, oldest first.
-- assignee_kind/assignee/assignee_reason: who should call back (`extension`, `104`,
-- `responsible manager`); all three NULL while nobody is assigned.
-- closed_at/closed_by: NULL exactly while the task is open.
CREATE TABLE callback_tasks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT    NOT NULL,
    name            TEXT,
    first_at        INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    longest_wait_ms INTEGER NOT NULL CHECK (longest_wait_ms >= 0),
    kinds           TEXT    NOT NULL,
    recordings      TEXT    NOT NULL,
    assignee_kind   TEXT,
    assignee        TEXT,
    assignee_reason TEXT,
    state           TEXT    NOT NULL CHECK (state IN ('open', 'closed')),
    closed_at       INTEGER,
    closed_by       TEXT,
    last_call_id    TEXT,
    CHECK ((assignee_kind IS NULL) = (assignee IS NULL)
       AND (assignee_kind IS NULL) = (assignee_reason IS NULL)),
    CHECK ((state = 'open') = (closed_at IS NULL)
       AND (closed_at IS NULL) = (closed_by IS NULL))
);

-- At most one open task per number, and "the open task for this number" is one seek.
CREATE UNIQUE INDEX callback_tasks_open_number ON callback_tasks (number) WHERE state = 'open';
-- "My callbacks": the open tasks of one assignee, most recent activity first.
CREATE INDEX callback_tasks_open_assignee
    ON callback_tasks (assignee_kind, assignee, last_at) WHERE state = 'open';
-- `switchboard tasks`: open tasks, or all of them, most recent activity first.
CREATE INDEX callback_tasks_state_last_at ON callback_tasks (state, last_at);
CREATE INDEX callback_tasks_last_at ON callback_tasks (last_at);
