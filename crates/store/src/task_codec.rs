//! Callback tasks as the callback engine (`sb_voicemail::tasks`) sees them, kept in rows.
//!
//! The engine's [`Task`] and the store's [`TaskRow`] are the same task; this is the one place
//! that says how one becomes the other, so the task keeper, `switchboard tasks` and the API
//! read a row the same way. The row's text columns hold:
//!
//! - `kinds`: each [`MissedKind`] as `voicemail:<mailbox>/<message id>`, `missed:<target>`,
//!   `abandoned:<queue>/<place>` (`abandoned:<queue>` when the place is unknown), or
//!   `callback:<queue>` (a call back asked of the queue): short
//!   enough for the task list's KINDS column, and read back exactly, since names are written
//!   with `%`, `,`, `/`, `:` and space as `%XX`.
//! - the assignee: kind `extension` (a person), `mailbox` (a shared box) or `queue`, with
//!   the engine's reason; nobody assigned is no assignee.
//! - `closed_by`: `by hand: <who>`, `answered inbound call <call id>: <who>` or
//!   `answered outbound call <call id>: <who>`. A closing written in other words (free text
//!   given to [`Store::close_task`]) reads as closed by hand, by that text.
//!
//! The row keeps two things more briefly than the engine: of the calls merged, only the
//! latest id (the engine uses the list to count a call reported twice once, and the two
//! reports of one call come one after the other), and of the recordings, the newest is the
//! last listed (they are listed in the order the calls came).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sb_voicemail::tasks::{
    close_by_hand, Assignee as EngineAssignee, Assignment, Closing, Direction, MissedKind, Task,
    TaskState,
};

use crate::error::StoreError;
use crate::store::Store;
use crate::tasks::{Assignee, TaskClosed, TaskFilter, TaskRow};

/// The assignee kind of a person, by extension.
const EXTENSION: &str = "extension";
/// The assignee kind of a shared voicemail box.
const MAILBOX: &str = "mailbox";
/// The assignee kind of a queue's agents.
const QUEUE: &str = "queue";

/// Why a task with no assignee has none: the engine's words for it, which the row does not
/// keep (it keeps no assignee at all).
const NOBODY: &str = "nobody known to call back";

const BY_HAND: &str = "by hand: ";
const ANSWERED_INBOUND: &str = "answered inbound call ";
const ANSWERED_OUTBOUND: &str = "answered outbound call ";

/// The bytes a name in a kind or a call id in `closed_by` is written without.
const ESCAPED: &[u8] = b"%,/: ";

/// `text` with every byte of [`ESCAPED`] as `%XX`.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match u8::try_from(c) {
            Ok(byte) if ESCAPED.contains(&byte) => {
                // Writing to a String cannot fail.
                let _ = write!(escaped, "%{byte:02X}");
            }
            _ => escaped.push(c),
        }
    }
    escaped
}

/// The text [`escape`] was given, or `None` if `text` is not something it wrote.
fn unescape(text: &str) -> Option<String> {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            let hex: String = chars.by_ref().take(2).collect();
            let byte = u8::from_str_radix(&hex, 16)
                .ok()
                .filter(|b| ESCAPED.contains(b))?;
            plain.push(char::from(byte));
        } else if u8::try_from(c).is_ok_and(|byte| ESCAPED.contains(&byte)) {
            return None;
        } else {
            plain.push(c);
        }
    }
    Some(plain)
}

/// The `kinds` entry of `kind` (see the module documentation).
pub(crate) fn kind_text(kind: &MissedKind) -> String {
    match kind {
        MissedKind::Voicemail {
            mailbox,
            message_id,
        } => format!("voicemail:{}/{message_id}", escape(mailbox)),
        MissedKind::NoAnswer { target } => format!("missed:{}", escape(target)),
        MissedKind::QueueAbandoned { queue, position } => match position {
            Some(place) => format!("abandoned:{}/{place}", escape(queue)),
            None => format!("abandoned:{}", escape(queue)),
        },
        MissedKind::CallbackRequested { queue } => format!("callback:{}", escape(queue)),
    }
}

/// The kind a `kinds` entry names, or `None` if [`kind_text`] did not write it.
pub(crate) fn parse_kind(text: &str) -> Option<MissedKind> {
    let (tag, rest) = text.split_once(':')?;
    match tag {
        "voicemail" => {
            let (mailbox, id) = rest.split_once('/')?;
            Some(MissedKind::Voicemail {
                mailbox: unescape(mailbox)?,
                message_id: id.parse().ok()?,
            })
        }
        "missed" => Some(MissedKind::NoAnswer {
            target: unescape(rest)?,
        }),
        "callback" => Some(MissedKind::CallbackRequested {
            queue: unescape(rest)?,
        }),
        "abandoned" => {
            let (queue, position) = match rest.split_once('/') {
                Some((queue, place)) => (queue, Some(place.parse().ok()?)),
                None => (rest, None),
            };
            Some(MissedKind::QueueAbandoned {
                queue: unescape(queue)?,
                position,
            })
        }
        _ => None,
    }
}

/// The `closed_by` text of a closing (see the module documentation).
fn closed_by_text(by: &str, how: &Closing) -> String {
    match how {
        Closing::ByHand => format!("{BY_HAND}{by}"),
        Closing::Answered { direction, call_id } => {
            let prefix = match direction {
                Direction::Inbound => ANSWERED_INBOUND,
                Direction::Outbound => ANSWERED_OUTBOUND,
            };
            format!("{prefix}{}: {by}", escape(call_id))
        }
    }
}

/// Who closed a task and how, from its `closed_by` text.
fn parse_closed_by(text: &str) -> (String, Closing) {
    let answered = [
        (ANSWERED_INBOUND, Direction::Inbound),
        (ANSWERED_OUTBOUND, Direction::Outbound),
    ]
    .into_iter()
    .find_map(|(prefix, direction)| {
        let (call_id, by) = text.strip_prefix(prefix)?.split_once(": ")?;
        let call_id = unescape(call_id)?;
        Some((by.to_owned(), Closing::Answered { direction, call_id }))
    });
    answered.unwrap_or_else(|| {
        let by = text.strip_prefix(BY_HAND).unwrap_or(text);
        (by.to_owned(), Closing::ByHand)
    })
}

impl TaskRow {
    /// The row that keeps `task`; a task not stored yet gets id 0, which
    /// [`Store::insert_task`] ignores.
    pub fn from_task(task: &Task) -> TaskRow {
        let assignee = |kind: &str, value: &str| {
            Some(Assignee {
                kind: kind.to_owned(),
                value: value.to_owned(),
                reason: task.assigned.why.clone(),
            })
        };
        let closed = match &task.state {
            TaskState::Open => None,
            TaskState::Closed { at, by, how } => Some(TaskClosed {
                at: *at,
                by: closed_by_text(by, how),
            }),
        };
        TaskRow {
            id: task.id.unwrap_or(0),
            number: task.number.clone(),
            name: task.name.clone(),
            first_at: task.first_at,
            last_at: task.last_at,
            attempts: task.attempts,
            longest_wait: task.longest_wait,
            kinds: task.kinds.iter().map(kind_text).collect(),
            recordings: task.recordings.clone(),
            assignee: match &task.assigned.to {
                EngineAssignee::Person(extension) => assignee(EXTENSION, extension),
                EngineAssignee::Mailbox(mailbox) => assignee(MAILBOX, mailbox),
                EngineAssignee::Queue(queue) => assignee(QUEUE, queue),
                EngineAssignee::Unassigned => None,
            },
            closed,
            last_call_id: task.call_ids.last().cloned(),
        }
    }

    /// The task this row keeps, as the engine works on it; [`StoreError::InvalidRow`] for a
    /// kind or an assignee kind Switchboard does not write.
    pub fn to_task(&self) -> Result<Task, StoreError> {
        let invalid = |column, detail: String| StoreError::InvalidRow {
            table: "callback_tasks",
            id: self.id,
            column,
            detail,
        };
        let kinds = self
            .kinds
            .iter()
            .map(|text| {
                parse_kind(text)
                    .ok_or_else(|| invalid("kinds", format!("{text:?} is not a kind of call")))
            })
            .collect::<Result<_, _>>()?;
        let assigned = match &self.assignee {
            None => Assignment {
                to: EngineAssignee::Unassigned,
                why: NOBODY.to_owned(),
            },
            Some(assignee) => {
                let value = assignee.value.clone();
                let to = match assignee.kind.as_str() {
                    EXTENSION => EngineAssignee::Person(value),
                    MAILBOX => EngineAssignee::Mailbox(value),
                    QUEUE => EngineAssignee::Queue(value),
                    other => {
                        return Err(invalid(
                            "assignee_kind",
                            format!("{other:?} is not {EXTENSION}, {MAILBOX} or {QUEUE}"),
                        ))
                    }
                };
                Assignment {
                    to,
                    why: assignee.reason.clone(),
                }
            }
        };
        let state = match &self.closed {
            None => TaskState::Open,
            Some(closed) => {
                let (by, how) = parse_closed_by(&closed.by);
                TaskState::Closed {
                    at: closed.at,
                    by,
                    how,
                }
            }
        };
        Ok(Task {
            id: Some(self.id),
            number: self.number.clone(),
            name: self.name.clone(),
            first_at: self.first_at,
            last_at: self.last_at,
            attempts: self.attempts,
            longest_wait: self.longest_wait,
            kinds,
            call_ids: self.last_call_id.iter().cloned().collect(),
            recordings: self.recordings.clone(),
            newest_recording: self.recordings.last().copied(),
            assigned,
            state,
        })
    }
}

/// An assignee named on the command line or in the API that is none Switchboard assigns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} names no assignee: give an extension (104), {QUEUE}:NAME or {MAILBOX}:NAME \
     ({EXTENSION}:104 also works)"
)]
pub struct UnknownAssignee(pub String);

impl TaskFilter {
    /// The tasks assigned to `who`, open only or all: `who` is an extension (`104`), or an
    /// assignee as the task list prints it (`queue:sales`, `mailbox:general`,
    /// `extension:104`).
    pub fn assigned(who: &str, open_only: bool) -> Result<TaskFilter, UnknownAssignee> {
        let (kind, value) = match who.split_once(':') {
            Some((kind @ (EXTENSION | MAILBOX | QUEUE), value)) if !value.is_empty() => {
                (kind, value)
            }
            None if !who.is_empty() => (EXTENSION, who),
            _ => return Err(UnknownAssignee(who.to_owned())),
        };
        let (kind, value) = (kind.to_owned(), value.to_owned());
        Ok(if open_only {
            TaskFilter::OpenAssignedTo { kind, value }
        } else {
            TaskFilter::AssignedTo { kind, value }
        })
    }
}

/// What [`Store::close_task_by_hand`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandClosing {
    /// The task was open and is now closed; here as it is now.
    Closed(Task),
    /// The task had been closed already (the first closing counts); here as it is.
    AlreadyClosed(Task),
    /// There is no task with that id.
    Unknown,
}

impl Store {
    /// Writes the engine's closing of task `id` (at `at`, by `by`, `how`) if the task is still
    /// open; `false` if it is not (closed meanwhile by someone else, or unknown), in which
    /// case nothing changes: the first closing counts.
    pub async fn close_task_as(
        &self,
        id: i64,
        at: DateTime<Utc>,
        by: &str,
        how: &Closing,
    ) -> Result<bool, StoreError> {
        self.close_task(id, at, &closed_by_text(by, how)).await
    }

    /// Closes task `id` by hand, by `by` at `at`, as the engine's
    /// [`close_by_hand`](sb_voicemail::tasks::close_by_hand) decides: for `switchboard tasks
    /// close` and the API. The write is conditional on the task still being open, so a call
    /// closing it at the same moment is not overwritten.
    pub async fn close_task_by_hand(
        &self,
        id: i64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<HandClosing, StoreError> {
        let Some(row) = self.task(id).await? else {
            return Ok(HandClosing::Unknown);
        };
        let task = row.to_task()?;
        let Some(closed) = close_by_hand(&task, by, at) else {
            return Ok(HandClosing::AlreadyClosed(task));
        };
        if self.close_task_as(id, at, by, &Closing::ByHand).await? {
            return Ok(HandClosing::Closed(closed));
        }
        match self.task(id).await? {
            Some(now) => Ok(HandClosing::AlreadyClosed(now.to_task()?)),
            None => Ok(HandClosing::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::test_support::at;

    fn kinds() -> Vec<MissedKind> {
        vec![
            MissedKind::Voicemail {
                mailbox: "general".to_owned(),
                message_id: 7,
            },
            MissedKind::NoAnswer {
                target: "101".to_owned(),
            },
            MissedKind::QueueAbandoned {
                queue: "sales".to_owned(),
                position: Some(3),
            },
            MissedKind::QueueAbandoned {
                queue: "support".to_owned(),
                position: None,
            },
            MissedKind::CallbackRequested {
                queue: "sales".to_owned(),
            },
        ]
    }

    /// A task as the engine makes one: three calls merged, the last with a message.
    fn task(state: TaskState, assigned: Assignment) -> Task {
        Task {
            id: Some(12),
            number: "+74951234567".to_owned(),
            name: Some("Ivan".to_owned()),
            first_at: at(0),
            last_at: at(600),
            attempts: 3,
            longest_wait: Duration::from_millis(42_500),
            kinds: kinds(),
            call_ids: vec!["call-600".to_owned()],
            recordings: vec![5, 7],
            newest_recording: Some(7),
            assigned,
            state,
        }
    }

    fn person() -> Assignment {
        Assignment {
            to: EngineAssignee::Person("104".to_owned()),
            why: "responsible manager (from history)".to_owned(),
        }
    }

    #[test]
    fn kinds_are_written_as_the_task_list_shows_them() {
        let texts: Vec<String> = kinds().iter().map(kind_text).collect();
        assert_eq!(
            texts,
            [
                "voicemail:general/7",
                "missed:101",
                "abandoned:sales/3",
                "abandoned:support",
                "callback:sales"
            ]
        );
    }

    #[test]
    fn every_kind_reads_back_exactly_whatever_its_names() {
        let awkward = [
            "",
            "a,b",
            "a/b",
            "a:b",
            "a b",
            "100%",
            "%2C",
            "очередь",
            "a/3",
        ];
        for name in awkward {
            for kind in [
                MissedKind::Voicemail {
                    mailbox: name.to_owned(),
                    message_id: -1,
                },
                MissedKind::NoAnswer {
                    target: name.to_owned(),
                },
                MissedKind::CallbackRequested {
                    queue: name.to_owned(),
                },
                MissedKind::QueueAbandoned {
                    queue: name.to_owned(),
                    position: None,
                },
                MissedKind::QueueAbandoned {
                    queue: name.to_owned(),
                    position: Some(u32::MAX),
                },
            ] {
                let text = kind_text(&kind);
                assert!(!text.is_empty() && !text.contains(','), "{text:?}");
                assert_eq!(parse_kind(&text), Some(kind), "{text:?}");
            }
        }
    }

    #[test]
    fn text_no_kind_was_written_as_is_refused() {
        for text in [
            "missed",
            "voicemail:general",
            "voicemail:general/x",
            "abandoned:sales/-1",
            "abandoned:a/b/3",
            "missed:a%2",
            "missed:a%41",
            "missed:a b",
            "called:101",
        ] {
            assert_eq!(parse_kind(text), None, "{text:?}");
        }
    }

    #[test]
    fn an_open_task_round_trips_through_its_row() {
        let open = task(TaskState::Open, person());
        let row = TaskRow::from_task(&open);
        assert_eq!(
            row.kinds,
            [
                "voicemail:general/7",
                "missed:101",
                "abandoned:sales/3",
                "abandoned:support",
                "callback:sales"
            ]
        );
        assert_eq!(
            row.assignee,
            Some(Assignee {
                kind: "extension".to_owned(),
                value: "104".to_owned(),
                reason: "responsible manager (from history)".to_owned(),
            })
        );
        assert_eq!(row.last_call_id.as_deref(), Some("call-600"));
        assert_eq!(row.closed, None);
        assert_eq!(row.to_task().expect("reads back"), open);
    }

    #[test]
    fn every_assignee_and_closing_round_trips() {
        let assignments = [
            person(),
            Assignment {
                to: EngineAssignee::Mailbox("general".to_owned()),
                why: "message in shared mailbox general".to_owned(),
            },
            Assignment {
                to: EngineAssignee::Queue("sales".to_owned()),
                why: "abandoned in queue sales at place 3".to_owned(),
            },
            Assignment {
                to: EngineAssignee::Unassigned,
                why: NOBODY.to_owned(),
            },
        ];
        let closings = [
            TaskState::Open,
            TaskState::Closed {
                at: at(900),
                by: "Anna: on the mobile".to_owned(),
                how: Closing::ByHand,
            },
            TaskState::Closed {
                at: at(900),
                by: "104".to_owned(),
                how: Closing::Answered {
                    direction: Direction::Inbound,
                    call_id: "0b6c1f2e: x".to_owned(),
                },
            },
            TaskState::Closed {
                at: at(900),
                by: "105".to_owned(),
                how: Closing::Answered {
                    direction: Direction::Outbound,
                    call_id: "c-2".to_owned(),
                },
            },
        ];
        for assigned in &assignments {
            for state in &closings {
                let original = task(state.clone(), assigned.clone());
                let row = TaskRow::from_task(&original);
                assert_eq!(row.to_task().expect("reads back"), original, "{row:?}");
            }
        }
    }

    #[test]
    fn closings_read_as_people_write_them() {
        let closed = |text: &str| parse_closed_by(text);
        assert_eq!(
            closed("answered outbound call c-2: 105"),
            (
                "105".to_owned(),
                Closing::Answered {
                    direction: Direction::Outbound,
                    call_id: "c-2".to_owned()
                }
            )
        );
        assert_eq!(
            closed("by hand: anna"),
            ("anna".to_owned(), Closing::ByHand)
        );
        // Free text another writer gave `close_task`.
        assert_eq!(
            closed("extension:104"),
            ("extension:104".to_owned(), Closing::ByHand)
        );
    }

    #[test]
    fn a_task_not_yet_stored_gets_id_zero_and_the_latest_call() {
        let mut new = task(TaskState::Open, person());
        new.id = None;
        new.call_ids = vec!["call-0".to_owned(), "call-600".to_owned()];
        let row = TaskRow::from_task(&new);
        assert_eq!(row.id, 0);
        assert_eq!(row.last_call_id.as_deref(), Some("call-600"));
        assert_eq!(row.to_task().expect("reads").call_ids, ["call-600"]);
    }

    #[test]
    fn rows_with_words_switchboard_never_writes_are_refused() {
        let mut row = TaskRow::from_task(&task(TaskState::Open, person()));
        row.kinds.push("called".to_owned());
        let err = row.to_task().expect_err("bad kind");
        assert!(
            matches!(
                &err,
                StoreError::InvalidRow {
                    column: "kinds",
                    id: 12,
                    ..
                }
            ),
            "{err:?}"
        );
        let mut row = TaskRow::from_task(&task(TaskState::Open, person()));
        if let Some(assignee) = row.assignee.as_mut() {
            assignee.kind = "group".to_owned();
        }
        let err = row.to_task().expect_err("bad assignee");
        assert!(
            matches!(
                &err,
                StoreError::InvalidRow {
                    column: "assignee_kind",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn assignees_are_named_as_the_list_prints_them() {
        let open = |kind: &str, value: &str| TaskFilter::OpenAssignedTo {
            kind: kind.to_owned(),
            value: value.to_owned(),
        };
        assert_eq!(
            TaskFilter::assigned("104", true),
            Ok(open("extension", "104"))
        );
        assert_eq!(
            TaskFilter::assigned("extension:104", true),
            Ok(open("extension", "104"))
        );
        assert_eq!(
            TaskFilter::assigned("queue:sales", true),
            Ok(open("queue", "sales"))
        );
        assert_eq!(
            TaskFilter::assigned("mailbox:general", false),
            Ok(TaskFilter::AssignedTo {
                kind: "mailbox".to_owned(),
                value: "general".to_owned()
            })
        );
        for bad in ["", "group:sales", "queue:"] {
            let err = TaskFilter::assigned(bad, true).expect_err("refused");
            assert!(err.to_string().contains("queue:NAME"), "{err}");
        }
    }

    #[tokio::test]
    async fn closing_by_hand_counts_once_and_names_who() {
        let store = Store::open_in_memory().await.expect("open");
        let id = store
            .insert_task(&TaskRow::from_task(&task(TaskState::Open, person())))
            .await
            .expect("insert");
        assert_eq!(
            store
                .close_task_by_hand(id + 1, "anna", at(700))
                .await
                .expect("unknown"),
            HandClosing::Unknown
        );
        let HandClosing::Closed(closed) = store
            .close_task_by_hand(id, "anna", at(700))
            .await
            .expect("close")
        else {
            panic!("closed");
        };
        let expected = TaskState::Closed {
            at: at(700),
            by: "anna".to_owned(),
            how: Closing::ByHand,
        };
        assert_eq!(closed.state, expected);
        assert_eq!(
            store
                .task(id)
                .await
                .expect("read")
                .expect("kept")
                .to_task()
                .expect("reads back"),
            closed
        );
        assert_eq!(
            store
                .close_task_by_hand(id, "boris", at(800))
                .await
                .expect("again"),
            HandClosing::AlreadyClosed(closed)
        );
        assert!(!store
            .close_task_as(id, at(900), "104", &Closing::ByHand)
            .await
            .expect("closed already"));
    }
}
