//! Calls that must leave a trace for someone to act on.
//!
//! Every finished call is looked at once, as its record is handed to the writer: an
//! unanswered call from outside is a [`Missed`] call (with how it was missed, when the
//! scenario knows: a message left, a queue abandoned), and an answered call between a
//! person and an outside number is an [`Answered`] one, which closes what was missed.
//! The events go to whoever keeps the callback tasks (the binary's task keeper), over a
//! bounded channel: the SIP layer never waits on it.

use sb_store::{CallRecord, Disposition};
use sb_voicemail::tasks::{Answered, Direction, Missed, MissedKind};
use tokio::sync::mpsc;
use tracing::warn;

/// How many events may wait for the task keeper: minutes of a busy office's calls.
pub const TASK_EVENT_CAPACITY: usize = 10_000;

/// A call that matters to callback tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskEvent {
    /// A caller from outside reached nobody. The number is as the trunk sent it: the task
    /// keeper normalises it.
    Missed(Missed),
    /// A person talked with an outside number, in or out.
    Answered(Answered),
}

/// Where the SIP layer drops [`TaskEvent`]s.
#[derive(Debug, Clone)]
pub struct TaskEvents {
    sender: mpsc::Sender<TaskEvent>,
}

impl TaskEvents {
    /// A sender and the receiver the task keeper reads.
    pub fn channel() -> (TaskEvents, mpsc::Receiver<TaskEvent>) {
        let (sender, receiver) = mpsc::channel(TASK_EVENT_CAPACITY);
        (TaskEvents { sender }, receiver)
    }

    /// Queues `event` without waiting; a full or closed channel is logged with the number,
    /// so the missed caller can still be found in the log and the call records.
    pub(crate) fn send(&self, event: TaskEvent) {
        if let Err(e) = self.sender.try_send(event) {
            let (why, event) = match e {
                mpsc::error::TrySendError::Full(event) => ("full", event),
                mpsc::error::TrySendError::Closed(event) => ("closed", event),
            };
            warn!(?event, why, "callback task event not delivered");
        }
    }
}

/// Whether a call party's endpoint is a trunk, i.e. the number is outside.
fn is_trunk(endpoint: Option<&str>) -> bool {
    endpoint.is_some_and(|e| e.starts_with("trunk:"))
}

fn extension_of(endpoint: Option<&str>) -> Option<&str> {
    endpoint.and_then(|e| e.strip_prefix("extension:"))
}

/// What `record` means for callback tasks, if anything. `missed` is how the scenario saw
/// the call missed (a message, a queue left), when it knows.
pub(crate) fn task_event(record: &CallRecord, missed: Option<MissedKind>) -> Option<TaskEvent> {
    let caller_endpoint = record.caller.endpoint.as_deref();
    let callee_endpoint = record.callee.endpoint.as_deref();
    // A call that led nowhere (an unknown number) is a misdial, not a customer.
    callee_endpoint?;
    let answered = record.disposition == Disposition::Answered;
    if answered {
        if let (true, Some(person)) = (is_trunk(caller_endpoint), extension_of(callee_endpoint)) {
            return Some(TaskEvent::Answered(Answered {
                number: record.caller.number.clone(),
                at: record.answered_at.unwrap_or(record.ended_at),
                by: person.to_owned(),
                direction: Direction::Inbound,
                call_id: record.id.clone(),
            }));
        }
        if let (Some(person), true) = (extension_of(caller_endpoint), is_trunk(callee_endpoint)) {
            return Some(TaskEvent::Answered(Answered {
                number: record.callee.number.clone(),
                at: record.answered_at.unwrap_or(record.ended_at),
                by: person.to_owned(),
                direction: Direction::Outbound,
                call_id: record.id.clone(),
            }));
        }
        if is_trunk(callee_endpoint) {
            // Forwarded out to someone's mobile, who answered: talked to, though by whom the
            // record cannot say.
            return None;
        }
    }
    if !is_trunk(caller_endpoint) {
        return None;
    }
    // From outside and no person answered; the PBX itself may have answered (a scenario
    // playing a greeting, taking a message), which is not a person.
    let kind = missed.unwrap_or_else(|| MissedKind::NoAnswer {
        // The person rung, if one was; a scenario's number (a caller who hung up in the
        // menu) is nobody to assign the task to.
        target: extension_of(callee_endpoint).unwrap_or_default().to_owned(),
    });
    Some(TaskEvent::Missed(Missed {
        number: record.caller.number.clone(),
        name: record.caller.name.clone(),
        at: record.ended_at,
        waited: (record.ended_at - record.started_at)
            .to_std()
            .unwrap_or_default(),
        kind,
        call_id: record.id.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use sb_store::{CallParty, HangupBy};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn party(number: &str, endpoint: &str) -> CallParty {
        CallParty {
            number: number.into(),
            name: None,
            endpoint: Some(endpoint.into()),
        }
    }

    fn record(caller: CallParty, callee: CallParty, disposition: Disposition) -> CallRecord {
        let answered = disposition == Disposition::Answered;
        CallRecord {
            id: "c1".into(),
            sip_call_id: "s1".into(),
            caller,
            callee,
            started_at: at("2026-11-23T10:00:00Z"),
            answered_at: answered.then(|| at("2026-11-23T10:00:05Z")),
            ended_at: at("2026-11-23T10:01:00Z"),
            disposition,
            hangup_by: HangupBy::Caller,
            sip_cause: 200,
            reason: String::new(),
            trace: Vec::new(),
        }
    }

    #[test]
    fn an_unanswered_call_from_outside_is_missed_with_its_wait() {
        let call = record(
            party("84951234567", "trunk:carrier"),
            party("101", "extension:101"),
            Disposition::NoAnswer,
        );
        let Some(TaskEvent::Missed(missed)) = task_event(&call, None) else {
            panic!("a missed call");
        };
        assert_eq!(missed.number, "84951234567");
        assert_eq!(missed.waited, std::time::Duration::from_secs(60));
        assert_eq!(
            missed.kind,
            MissedKind::NoAnswer {
                target: "101".into()
            }
        );
    }

    #[test]
    fn a_caller_who_hung_up_in_a_menu_is_missed_by_nobody_in_particular() {
        let call = record(
            party("84951234567", "trunk:carrier"),
            party("74950000000", "scenario:main"),
            Disposition::Answered,
        );
        let Some(TaskEvent::Missed(missed)) = task_event(&call, None) else {
            panic!("a missed call");
        };
        assert_eq!(
            missed.kind,
            MissedKind::NoAnswer {
                target: String::new()
            },
            "the main number is no person to assign the task to"
        );
    }

    #[test]
    fn a_message_left_with_the_pbx_is_missed_as_a_voicemail() {
        let call = record(
            party("+74951234567", "trunk:carrier"),
            party("74950000000", "scenario:main"),
            Disposition::Answered,
        );
        let kind = MissedKind::Voicemail {
            mailbox: "general".into(),
            message_id: 7,
        };
        let Some(TaskEvent::Missed(missed)) = task_event(&call, Some(kind.clone())) else {
            panic!("a missed call");
        };
        assert_eq!(missed.kind, kind);
    }

    #[test]
    fn a_person_answering_an_outside_caller_closes_in_both_directions() {
        let inbound = record(
            party("+74951234567", "trunk:carrier"),
            party("104", "extension:104"),
            Disposition::Answered,
        );
        let Some(TaskEvent::Answered(answered)) = task_event(&inbound, None) else {
            panic!("answered");
        };
        assert_eq!(
            (answered.by.as_str(), answered.direction),
            ("104", Direction::Inbound)
        );
        let outbound = record(
            party("105", "extension:105"),
            party("84951234567", "trunk:carrier"),
            Disposition::Answered,
        );
        let Some(TaskEvent::Answered(answered)) = task_event(&outbound, None) else {
            panic!("answered");
        };
        assert_eq!(answered.number, "84951234567");
        assert_eq!(
            (answered.by.as_str(), answered.direction),
            ("105", Direction::Outbound)
        );
        assert_eq!(answered.at, at("2026-11-23T10:00:05Z"));
    }

    #[test]
    fn internal_calls_and_misdials_leave_nothing() {
        let internal = record(
            party("101", "extension:101"),
            party("102", "extension:102"),
            Disposition::NoAnswer,
        );
        assert_eq!(task_event(&internal, None), None);
        let mut misdial = record(
            party("84951234567", "trunk:carrier"),
            party("74959999999", "x"),
            Disposition::Failed,
        );
        misdial.callee.endpoint = None;
        assert_eq!(task_event(&misdial, None), None);
        let unanswered_outbound = record(
            party("101", "extension:101"),
            party("84951234567", "trunk:carrier"),
            Disposition::NoAnswer,
        );
        assert_eq!(task_event(&unanswered_outbound, None), None);
    }
}
