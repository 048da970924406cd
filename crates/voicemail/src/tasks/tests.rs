//! The task rules with fixed instants.

use super::*;
use chrono::TimeDelta;

const NUMBER: &str = "+79161234567";

fn t(minutes: i64) -> DateTime<Utc> {
    let base: DateTime<Utc> = "2026-11-23T07:00:00Z".parse().unwrap();
    base + TimeDelta::minutes(minutes)
}

fn missed(minutes: i64, kind: MissedKind, call_id: &str) -> Missed {
    Missed {
        number: NUMBER.to_owned(),
        name: None,
        at: t(minutes),
        waited: Duration::from_secs(30),
        kind,
        call_id: call_id.to_owned(),
    }
}

fn voicemail(mailbox: &str, message_id: i64) -> MissedKind {
    MissedKind::Voicemail {
        mailbox: mailbox.to_owned(),
        message_id,
    }
}

fn no_answer(target: &str) -> MissedKind {
    MissedKind::NoAnswer {
        target: target.to_owned(),
    }
}

fn abandoned(queue: &str, position: Option<u32>) -> MissedKind {
    MissedKind::QueueAbandoned {
        queue: queue.to_owned(),
        position,
    }
}

fn responsible(extension: &str) -> Candidates {
    Candidates {
        responsible: Some(Responsible {
            extension: extension.to_owned(),
            why: "from history".to_owned(),
        }),
        mailbox_owner: None,
    }
}

fn owner(extension: &str) -> Candidates {
    Candidates {
        responsible: None,
        mailbox_owner: Some(extension.to_owned()),
    }
}

fn nobody() -> Candidates {
    Candidates::default()
}

fn answered(minutes: i64, by: &str, direction: Direction) -> Answered {
    Answered {
        number: NUMBER.to_owned(),
        at: t(minutes),
        by: by.to_owned(),
        direction,
        call_id: format!("answered-{minutes}"),
    }
}

fn assignee(missed: &Missed, candidates: &Candidates) -> (Assignee, String) {
    let assignment = assign(missed, candidates);
    (assignment.to, assignment.why)
}

fn person(ext: &str) -> Assignee {
    Assignee::Person(ext.to_owned())
}

#[test]
fn a_first_missed_call_opens_a_task() {
    let mut call = missed(0, voicemail("101", 7), "c1");
    call.name = Some("Ivan".to_owned());
    call.waited = Duration::from_secs(42);
    let task = merge(None, &call, &owner("101"));
    assert_eq!(
        task,
        Task {
            id: None,
            number: NUMBER.to_owned(),
            name: Some("Ivan".to_owned()),
            first_at: t(0),
            last_at: t(0),
            attempts: 1,
            longest_wait: Duration::from_secs(42),
            kinds: vec![voicemail("101", 7)],
            call_ids: vec!["c1".to_owned()],
            recordings: vec![7],
            newest_recording: Some(7),
            assigned: Assignment {
                to: person("101"),
                why: "owner of mailbox 101".to_owned(),
            },
            state: TaskState::Open,
        }
    );
    assert!(task.is_open());
    assert_eq!(task.state.to_string(), "open");
    let task = merge(None, &missed(0, no_answer("102"), "c2"), &nobody());
    assert_eq!(task.recordings, Vec::<i64>::new());
    assert_eq!(task.newest_recording, None);
}

#[test]
fn the_responsible_manager_comes_first() {
    let both = Candidates {
        responsible: Some(Responsible {
            extension: "104".to_owned(),
            why: "from history".to_owned(),
        }),
        mailbox_owner: Some("101".to_owned()),
    };
    for kind in [
        voicemail("101", 1),
        no_answer("102"),
        abandoned("sales", Some(2)),
    ] {
        assert_eq!(
            assignee(&missed(0, kind, "c"), &both),
            (
                person("104"),
                "responsible manager (from history)".to_owned()
            )
        );
    }
}

#[test]
fn without_a_manager_the_call_decides() {
    assert_eq!(
        assignee(&missed(0, voicemail("101", 1), "c"), &owner("101")),
        (person("101"), "owner of mailbox 101".to_owned())
    );
    assert_eq!(
        assignee(&missed(0, voicemail("general", 1), "c"), &nobody()),
        (
            Assignee::Mailbox("general".to_owned()),
            "message in shared mailbox general".to_owned()
        )
    );
    assert_eq!(
        assignee(&missed(0, abandoned("sales", Some(3)), "c"), &nobody()),
        (
            Assignee::Queue("sales".to_owned()),
            "abandoned in queue sales at place 3".to_owned()
        )
    );
    assert_eq!(
        assignee(&missed(0, abandoned("sales", None), "c"), &nobody()).1,
        "abandoned in queue sales"
    );
    assert_eq!(
        assignee(&missed(0, no_answer("102"), "c"), &nobody()),
        (person("102"), "not answered at 102".to_owned())
    );
    let failed = MissedKind::CallbackRequested {
        queue: "sales".to_owned(),
    };
    assert_eq!(
        assignee(&missed(0, failed, "c"), &nobody()),
        (
            Assignee::Queue("sales".to_owned()),
            "asked queue sales to call back".to_owned()
        )
    );
    // The mailbox owner only matters for voicemail.
    assert_eq!(
        assignee(&missed(0, abandoned("sales", None), "c"), &owner("101")).0,
        Assignee::Queue("sales".to_owned())
    );
}

#[test]
fn nameless_targets_leave_the_task_unassigned() {
    let callback = MissedKind::CallbackRequested {
        queue: String::new(),
    };
    for kind in [
        voicemail("", 1),
        no_answer(""),
        abandoned("", None),
        callback,
    ] {
        assert_eq!(
            assignee(&missed(0, kind.clone(), "c"), &nobody()),
            (Assignee::Unassigned, "nobody known to call back".to_owned()),
            "{kind:?}"
        );
    }
}

#[test]
fn repeated_calls_update_the_one_task() {
    let first = merge(
        None,
        &missed(0, abandoned("sales", Some(2)), "c1"),
        &nobody(),
    );
    let mut second_call = missed(10, voicemail("general", 5), "c2");
    second_call.waited = Duration::from_secs(95);
    second_call.name = Some("Ivan Petrov".to_owned());
    let second = merge(Some(first), &second_call, &nobody());
    let mut third_call = missed(20, voicemail("general", 9), "c3");
    third_call.waited = Duration::from_secs(5);
    let mut stored = second.clone();
    stored.id = Some(77);
    let third = merge(Some(stored), &third_call, &nobody());

    assert_eq!(second.attempts, 2);
    assert_eq!(third.id, Some(77), "the storage key is kept");
    assert_eq!(third.attempts, 3);
    assert_eq!((third.first_at, third.last_at), (t(0), t(20)));
    assert_eq!(third.longest_wait, Duration::from_secs(95));
    assert_eq!(
        third.name.as_deref(),
        Some("Ivan Petrov"),
        "a later call without a name keeps it"
    );
    assert_eq!(third.recordings, [5, 9]);
    assert_eq!(third.newest_recording, Some(9));
    assert_eq!(
        third.kinds,
        [
            abandoned("sales", Some(2)),
            voicemail("general", 5),
            voicemail("general", 9)
        ]
    );
    assert_eq!(third.call_ids, ["c1", "c2", "c3"]);
    // The queue came first and a mailbox is no better than a queue: it stays.
    assert_eq!(third.assigned.to, Assignee::Queue("sales".to_owned()));
}

#[test]
fn one_call_reported_twice_counts_once() {
    let task = merge(None, &missed(0, abandoned("sales", None), "c1"), &nobody());
    let task = merge(
        Some(task),
        &missed(2, voicemail("general", 4), "c1"),
        &nobody(),
    );
    assert_eq!(task.attempts, 1);
    assert_eq!(task.call_ids, ["c1"]);
    assert_eq!(task.kinds.len(), 2);
    assert_eq!(task.recordings, [4]);
    // The very same report again changes nothing.
    let again = merge(
        Some(task.clone()),
        &missed(2, voicemail("general", 4), "c1"),
        &nobody(),
    );
    assert_eq!(again, task);
}

#[test]
fn a_late_report_of_an_older_message_is_not_the_newest() {
    let task = merge(None, &missed(10, voicemail("101", 9), "c2"), &nobody());
    let task = merge(Some(task), &missed(0, voicemail("101", 5), "c1"), &nobody());
    assert_eq!(task.recordings, [9, 5]);
    assert_eq!(task.newest_recording, Some(9));
    assert_eq!((task.first_at, task.last_at), (t(0), t(10)));
    // A first recording is the newest, whenever its call was.
    let task = merge(None, &missed(10, no_answer("101"), "c3"), &nobody());
    let task = merge(Some(task), &missed(0, voicemail("101", 2), "c4"), &nobody());
    assert_eq!(task.newest_recording, Some(2));
}

#[test]
fn a_group_assignee_is_upgraded_to_a_person_but_never_back() {
    let task = merge(None, &missed(0, abandoned("sales", None), "c1"), &nobody());
    assert_eq!(task.assigned.to, Assignee::Queue("sales".to_owned()));
    let task = merge(
        Some(task),
        &missed(5, abandoned("sales", None), "c2"),
        &responsible("104"),
    );
    assert_eq!(
        task.assigned,
        Assignment {
            to: person("104"),
            why: "responsible manager (from history)".to_owned()
        }
    );
    // A later shared-mailbox message does not take it away from 104, nor does another
    // person.
    let task = merge(
        Some(task),
        &missed(9, voicemail("general", 3), "c3"),
        &nobody(),
    );
    assert_eq!(task.assigned.to, person("104"));
    let task = merge(Some(task), &missed(12, no_answer("102"), "c4"), &nobody());
    assert_eq!(task.assigned.to, person("104"));
}

#[test]
fn an_unassigned_task_takes_the_first_group() {
    let task = merge(None, &missed(0, no_answer(""), "c1"), &nobody());
    assert_eq!(task.assigned.to, Assignee::Unassigned);
    let task = merge(
        Some(task),
        &missed(1, voicemail("general", 1), "c2"),
        &nobody(),
    );
    assert_eq!(task.assigned.to, Assignee::Mailbox("general".to_owned()));
}

#[test]
fn a_closed_or_foreign_task_is_not_merged_into() {
    let task = merge(None, &missed(0, no_answer("101"), "c1"), &nobody());
    let closed = close_by_hand(&task, "104", t(3)).unwrap();
    let fresh = merge(Some(closed), &missed(10, no_answer("101"), "c2"), &nobody());
    assert_eq!(fresh.attempts, 1);
    assert_eq!(fresh.first_at, t(10));
    assert!(fresh.is_open());

    let mut other = missed(10, no_answer("101"), "c3");
    other.number = "+74950000000".to_owned();
    let fresh = merge(Some(task), &other, &nobody());
    assert_eq!(fresh.number, "+74950000000");
    assert_eq!(fresh.call_ids, ["c3"]);
}

#[test]
fn a_later_answered_call_closes_the_task() {
    let task = merge(None, &missed(0, voicemail("101", 1), "c1"), &nobody());
    let task = merge(Some(task), &missed(10, no_answer("101"), "c2"), &nobody());
    // At the very instant of the first missed call counts as after it.
    for (minutes, direction) in [
        (0, Direction::Inbound),
        (5, Direction::Outbound),
        (60, Direction::Inbound),
    ] {
        let closed = close_on_answer(&task, &answered(minutes, "104", direction)).unwrap();
        assert_eq!(
            closed.state,
            TaskState::Closed {
                at: t(minutes),
                by: "104".to_owned(),
                how: Closing::Answered {
                    direction,
                    call_id: format!("answered-{minutes}"),
                },
            }
        );
        assert!(!closed.is_open());
        assert_eq!(closed.attempts, task.attempts, "only the state changes");
    }
    let closed = close_on_answer(&task, &answered(5, "104", Direction::Outbound)).unwrap();
    assert_eq!(
        closed.state.to_string(),
        "closed by 104 at 2026-11-23 07:05 UTC (answered outbound call)"
    );
    // Once closed, another answered call changes nothing.
    assert_eq!(
        close_on_answer(&closed, &answered(9, "105", Direction::Inbound)),
        None
    );
}

#[test]
fn an_earlier_answered_call_does_not_close_the_task() {
    let task = merge(None, &missed(10, no_answer("101"), "c1"), &nobody());
    assert_eq!(
        close_on_answer(&task, &answered(9, "104", Direction::Inbound)),
        None
    );
    let mut elsewhere = answered(20, "104", Direction::Outbound);
    elsewhere.number = "+74950000000".to_owned();
    assert_eq!(close_on_answer(&task, &elsewhere), None);
}

#[test]
fn closing_by_hand_says_who() {
    let task = merge(None, &missed(0, no_answer("101"), "c1"), &nobody());
    let closed = close_by_hand(&task, "supervisor", t(30)).unwrap();
    assert_eq!(
        closed.state,
        TaskState::Closed {
            at: t(30),
            by: "supervisor".to_owned(),
            how: Closing::ByHand
        }
    );
    assert_eq!(
        closed.state.to_string(),
        "closed by supervisor at 2026-11-23 07:30 UTC (by hand)"
    );
    assert_eq!(
        close_by_hand(&closed, "104", t(31)),
        None,
        "the first closing counts"
    );
    let inbound = close_on_answer(&task, &answered(1, "101", Direction::Inbound)).unwrap();
    assert!(inbound
        .state
        .to_string()
        .ends_with("(answered inbound call)"));
}
