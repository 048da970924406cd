//! Callback tasks: no customer is forgotten.
//!
//! Every voicemail, every unanswered call from outside and every call abandoned in a queue
//! is a [`Missed`] call, and each opens or updates the one open [`Task`] for the caller's
//! number, until a person talks to that number or closes the task by hand. These are
//! the rules; the shell stores tasks as it likes and calls:
//!
//! - [`merge`] with the number's open task (if any) for every missed call: a repeated
//!   call updates the task (attempts, times, longest wait, recordings, kinds) instead of
//!   opening another, so a manager sees one line per customer;
//! - [`close_on_answer`] with every answered call, in or out: a call with that number at
//!   or after the first missed call closes the task (the customer has been talked to); an
//!   earlier one does not, it was before the customer was missed;
//! - [`close_by_hand`] when someone closes the task without a call.
//!
//! # Who must call back
//! [`assign`] picks, in order: the caller's responsible manager when known (the best
//! person: the one the customer knows); for a voicemail, the mailbox's owner, else the
//! shared mailbox itself; for a queue, the queue's group; for an unanswered call, whoever
//! it rang; else nobody. A task's assignee only moves up, from nobody to a group or
//! mailbox to a person: a person is never replaced by a group, and never by another
//! person either, so nobody's task is taken away behind their back.
//!
//! One call can be reported more than once (abandoned in a queue, then a voicemail); it
//! counts as one attempt, by its `call_id`.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A call nobody answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missed {
    /// The caller's number, already normalised (E.164 or an internal number): tasks are
    /// per number, compared as they are.
    pub number: String,
    /// The caller's name, if known (caller ID, CRM).
    pub name: Option<String>,
    /// When the call ended unanswered.
    pub at: DateTime<Utc>,
    /// How long the caller waited in all.
    pub waited: Duration,
    /// How it was missed.
    pub kind: MissedKind,
    /// The call's identity, so one call reported twice counts once.
    pub call_id: String,
}

/// How a call was missed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MissedKind {
    /// The caller left a message.
    Voicemail {
        /// The box.
        mailbox: String,
        /// The message.
        message_id: i64,
    },
    /// Nobody answered and the caller left no message.
    NoAnswer {
        /// Who it rang: an extension, or the scenario step's operator.
        target: String,
    },
    /// The caller hung up while waiting in a queue.
    QueueAbandoned {
        /// The queue.
        queue: String,
        /// The caller's place in line when leaving (1 is next), if known.
        position: Option<u32>,
    },
    /// The caller hung up asking a queue to call back. The task stays open until someone
    /// talks with the number (the call back itself, or anyone later), so a call back that
    /// never connects (every attempt unanswered, the PBX restarted) is not forgotten.
    CallbackRequested {
        /// The queue.
        queue: String,
    },
}

/// The responsible manager of a number, as the responsible-manager service found them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Responsible {
    /// The manager's extension.
    pub extension: String,
    /// How they were found, for people reading the task ("from history", "CRM").
    pub why: String,
}

/// What the shell knows about who could call back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidates {
    /// The caller's responsible manager, if any.
    pub responsible: Option<Responsible>,
    /// The owner's extension of the voicemail box of a [`MissedKind::Voicemail`], when it
    /// is a person's box rather than a shared one.
    pub mailbox_owner: Option<String>,
}

/// Who must call back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Assignee {
    /// A person, by extension.
    Person(String),
    /// Whoever reads a shared voicemail box.
    Mailbox(String),
    /// The agents of a queue.
    Queue(String),
    /// Nobody yet: a supervisor must pick someone.
    Unassigned,
}

impl Assignee {
    /// How specific the assignee is: a task only moves to a more specific one.
    fn rank(&self) -> u8 {
        match self {
            Assignee::Person(_) => 2,
            Assignee::Mailbox(_) | Assignee::Queue(_) => 1,
            Assignee::Unassigned => 0,
        }
    }
}

/// An assignee and why, for people reading the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// Who.
    pub to: Assignee,
    /// Why them: "responsible manager (from history)", "owner of mailbox 101".
    pub why: String,
}

/// Which way an answered call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// The customer called again and someone answered.
    Inbound,
    /// Someone called the customer and the customer answered.
    Outbound,
}

/// How a task was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Closing {
    /// By an answered call with the number.
    Answered {
        /// In or out.
        direction: Direction,
        /// The call.
        call_id: String,
    },
    /// By a person, without a call seen by the PBX (an e-mail, a mobile).
    ByHand,
}

/// Whether a task still waits for a call back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskState {
    /// Somebody must call back.
    Open,
    /// Done.
    Closed {
        /// When.
        at: DateTime<Utc>,
        /// Who: the extension that talked to the customer, or who closed it by hand.
        by: String,
        /// How.
        how: Closing,
    },
}

/// "open", or "closed by 104 at 2026-11-23 10:05 UTC (answered outbound call)".
impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskState::Open => f.write_str("open"),
            TaskState::Closed { at, by, how } => {
                let at = at.format("%Y-%m-%d %H:%M UTC");
                let how = match how {
                    Closing::Answered {
                        direction: Direction::Inbound,
                        ..
                    } => "answered inbound call",
                    Closing::Answered {
                        direction: Direction::Outbound,
                        ..
                    } => "answered outbound call",
                    Closing::ByHand => "by hand",
                };
                write!(f, "closed by {by} at {at} ({how})")
            }
        }
    }
}

/// One customer to call back: every missed call of one number since the task opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// The shell's storage key; `None` until stored, and kept as it is by the rules.
    pub id: Option<i64>,
    /// The customer's number.
    pub number: String,
    /// The customer's latest known name.
    pub name: Option<String>,
    /// The earliest missed call.
    pub first_at: DateTime<Utc>,
    /// The latest missed call.
    pub last_at: DateTime<Utc>,
    /// Missed calls, each call counted once.
    pub attempts: u32,
    /// The longest any of them waited.
    pub longest_wait: Duration,
    /// The different ways the calls were missed, in the order first seen.
    pub kinds: Vec<MissedKind>,
    /// The missed calls, in the order seen.
    pub call_ids: Vec<String>,
    /// Messages left, in the order seen.
    pub recordings: Vec<i64>,
    /// The message of the latest missed call that left one: the one to hear first.
    pub newest_recording: Option<i64>,
    /// Who must call back.
    pub assigned: Assignment,
    /// Open or closed.
    pub state: TaskState,
}

impl Task {
    /// Whether somebody must still call back.
    pub fn is_open(&self) -> bool {
        self.state == TaskState::Open
    }
}

/// An answered call with a customer, in or out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    /// The customer's number, normalised like [`Missed::number`].
    pub number: String,
    /// When it was answered.
    pub at: DateTime<Utc>,
    /// The extension that talked to the customer.
    pub by: String,
    /// In or out.
    pub direction: Direction,
    /// The call.
    pub call_id: String,
}

/// Who must call back the caller of `missed` (see the module documentation for the
/// order).
pub fn assign(missed: &Missed, candidates: &Candidates) -> Assignment {
    let assignment = |to, why: String| Assignment { to, why };
    if let Some(responsible) = &candidates.responsible {
        return assignment(
            Assignee::Person(responsible.extension.clone()),
            format!("responsible manager ({})", responsible.why),
        );
    }
    match &missed.kind {
        MissedKind::Voicemail { mailbox, .. } => match &candidates.mailbox_owner {
            Some(owner) => assignment(
                Assignee::Person(owner.clone()),
                format!("owner of mailbox {mailbox}"),
            ),
            None if !mailbox.is_empty() => assignment(
                Assignee::Mailbox(mailbox.clone()),
                format!("message in shared mailbox {mailbox}"),
            ),
            None => unassigned(),
        },
        MissedKind::QueueAbandoned { queue, position } if !queue.is_empty() => {
            let place = position.map_or(String::new(), |p| format!(" at place {p}"));
            assignment(
                Assignee::Queue(queue.clone()),
                format!("abandoned in queue {queue}{place}"),
            )
        }
        MissedKind::CallbackRequested { queue } if !queue.is_empty() => assignment(
            Assignee::Queue(queue.clone()),
            format!("asked queue {queue} to call back"),
        ),
        MissedKind::NoAnswer { target } if !target.is_empty() => assignment(
            Assignee::Person(target.clone()),
            format!("not answered at {target}"),
        ),
        MissedKind::QueueAbandoned { .. }
        | MissedKind::CallbackRequested { .. }
        | MissedKind::NoAnswer { .. } => unassigned(),
    }
}

fn unassigned() -> Assignment {
    Assignment {
        to: Assignee::Unassigned,
        why: "nobody known to call back".to_owned(),
    }
}

/// The task after `missed`: `existing` updated when it is the open task of the same
/// number, else a new open task (a closed task stays closed; the customer is missed
/// anew).
pub fn merge(existing: Option<Task>, missed: &Missed, candidates: &Candidates) -> Task {
    let assignment = assign(missed, candidates);
    let recording = match missed.kind {
        MissedKind::Voicemail { message_id, .. } => Some(message_id),
        _ => None,
    };
    let Some(mut task) = existing.filter(|task| task.is_open() && task.number == missed.number)
    else {
        return Task {
            id: None,
            number: missed.number.clone(),
            name: missed.name.clone(),
            first_at: missed.at,
            last_at: missed.at,
            attempts: 1,
            longest_wait: missed.waited,
            kinds: vec![missed.kind.clone()],
            call_ids: vec![missed.call_id.clone()],
            recordings: recording.into_iter().collect(),
            newest_recording: recording,
            assigned: assignment,
            state: TaskState::Open,
        };
    };
    if !task.call_ids.contains(&missed.call_id) {
        task.call_ids.push(missed.call_id.clone());
        task.attempts = task.attempts.saturating_add(1);
    }
    if let Some(id) = recording {
        if !task.recordings.contains(&id) {
            task.recordings.push(id);
        }
        if task.newest_recording.is_none() || missed.at >= task.last_at {
            task.newest_recording = Some(id);
        }
    }
    task.first_at = task.first_at.min(missed.at);
    task.last_at = task.last_at.max(missed.at);
    task.longest_wait = task.longest_wait.max(missed.waited);
    if missed.name.is_some() {
        task.name = missed.name.clone();
    }
    if !task.kinds.contains(&missed.kind) {
        task.kinds.push(missed.kind.clone());
    }
    if assignment.to.rank() > task.assigned.to.rank() {
        task.assigned = assignment;
    }
    task
}

/// The task closed by `answered`, or `None` when the call does not close it: the task is
/// already closed, the number differs, or the call was answered before the first missed
/// call.
pub fn close_on_answer(task: &Task, answered: &Answered) -> Option<Task> {
    if !task.is_open() || task.number != answered.number || answered.at < task.first_at {
        return None;
    }
    let mut closed = task.clone();
    closed.state = TaskState::Closed {
        at: answered.at,
        by: answered.by.clone(),
        how: Closing::Answered {
            direction: answered.direction,
            call_id: answered.call_id.clone(),
        },
    };
    Some(closed)
}

/// The task closed by `by` at `at`, or `None` when it is already closed (the first
/// closing is the one that counts).
pub fn close_by_hand(task: &Task, by: &str, at: DateTime<Utc>) -> Option<Task> {
    if !task.is_open() {
        return None;
    }
    let mut closed = task.clone();
    closed.state = TaskState::Closed {
        at,
        by: by.to_owned(),
        how: Closing::ByHand,
    };
    Some(closed)
}

#[cfg(test)]
mod tests;
