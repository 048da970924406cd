//! The keeper against a real database in a temporary directory, fed through a channel as
//! the SIP layer feeds it, at fixed instants.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sb_sip::PbxClock;
use sb_store::{CallParty, CallRecord, Disposition, HangupBy, TaskFilter};
use sb_voicemail::tasks::{Assignment, Closing, Direction};
use tempfile::TempDir;

use super::*;

/// 2026-11-23 10:00:00 UTC (a Monday, 13:00 in Moscow) plus `secs`.
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_428_000 + secs, 0).expect("a time in range")
}

/// The demo office's database in a fresh directory.
async fn office() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).await.expect("open store");
    (dir, store)
}

/// A keeper over the demo configuration with no responsible-manager service.
fn keeper(store: &Store) -> TaskKeeper {
    let mut config = sb_config::demo();
    config.icm = None;
    keeper_with(store, config, None)
}

fn keeper_with(store: &Store, config: Config, icm: Option<Arc<Icm>>) -> TaskKeeper {
    let config = Arc::new(config);
    TaskKeeper::new(
        store.clone(),
        Arc::new(move || config.clone()),
        Arc::new(move || icm.clone()),
    )
}

/// A keeper over the demo configuration with its `[icm]`: the PBX's own call history, at a
/// PBX clock an hour after the test's start.
fn keeper_with_history(store: &Store) -> TaskKeeper {
    let config = sb_config::demo();
    let icm = crate::icm::build(&config, store, PbxClock::starting_at(at(3_600)))
        .expect("the demo's [icm]")
        .expect("the demo has [icm]");
    keeper_with(store, config, Some(icm))
}

/// Runs `keeper` over `events` as the server does: through a channel, until it closes.
async fn feed(keeper: TaskKeeper, events: Vec<TaskEvent>) {
    let (sender, receiver) = mpsc::channel(events.len().max(1));
    for event in events {
        sender.send(event).await.expect("keeper listening");
    }
    drop(sender);
    keeper.run(receiver, std::future::pending()).await;
}

fn missed(number: &str, secs: i64, waited: u64, kind: MissedKind, call: &str) -> TaskEvent {
    TaskEvent::Missed(Missed {
        number: number.to_owned(),
        name: None,
        at: at(secs),
        waited: Duration::from_secs(waited),
        kind,
        call_id: call.to_owned(),
    })
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

fn answered(number: &str, secs: i64, by: &str, direction: Direction, call: &str) -> TaskEvent {
    TaskEvent::Answered(Answered {
        number: number.to_owned(),
        at: at(secs),
        by: by.to_owned(),
        direction,
        call_id: call.to_owned(),
    })
}

/// Every task, most recent activity first.
async fn all_tasks(store: &Store) -> Vec<Task> {
    store
        .tasks(&TaskFilter::All, 100)
        .await
        .expect("list")
        .iter()
        .map(|row| row.to_task().expect("a task the keeper wrote"))
        .collect()
}

async fn only_task(store: &Store) -> Task {
    let mut tasks = all_tasks(store).await;
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    tasks.remove(0)
}

fn assigned(to: Assignee, why: &str) -> Assignment {
    Assignment {
        to,
        why: why.to_owned(),
    }
}

fn person(extension: &str) -> Assignee {
    Assignee::Person(extension.to_owned())
}

/// An answered call between an outside `number` and `extension`, `secs` after the start.
async fn talked(store: &Store, id: &str, number: &str, extension: &str, secs: i64) {
    store
        .insert_call(&CallRecord {
            id: id.to_owned(),
            sip_call_id: format!("{id}@192.0.2.10"),
            caller: CallParty {
                number: number.to_owned(),
                name: None,
                endpoint: Some("trunk:carrier".to_owned()),
            },
            callee: CallParty {
                number: extension.to_owned(),
                name: None,
                endpoint: Some(format!("extension:{extension}")),
            },
            started_at: at(secs),
            answered_at: Some(at(secs + 5)),
            ended_at: at(secs + 65),
            disposition: Disposition::Answered,
            hangup_by: HangupBy::Caller,
            sip_cause: 200,
            reason: "bye from caller".to_owned(),
            trace: Vec::new(),
        })
        .await
        .expect("insert call");
}

#[tokio::test]
async fn a_message_in_the_shared_box_opens_a_task_with_its_recording() {
    let (_dir, store) = office().await;
    feed(
        keeper(&store),
        vec![missed("84951234567", 60, 40, voicemail("general", 7), "c1")],
    )
    .await;
    let task = only_task(&store).await;
    assert_eq!(
        task,
        Task {
            id: task.id,
            number: "+74951234567".to_owned(),
            name: None,
            first_at: at(60),
            last_at: at(60),
            attempts: 1,
            longest_wait: Duration::from_secs(40),
            kinds: vec![voicemail("general", 7)],
            call_ids: vec!["c1".to_owned()],
            recordings: vec![7],
            newest_recording: Some(7),
            assigned: assigned(
                Assignee::Mailbox("general".to_owned()),
                "message in shared mailbox general"
            ),
            state: TaskState::Open,
        }
    );
    assert!(task.id.is_some());
}

#[tokio::test]
async fn each_kind_of_missed_call_goes_to_its_own_people() {
    let (_dir, store) = office().await;
    feed(
        keeper(&store),
        vec![
            missed("+74951111111", 0, 10, voicemail("104", 3), "own-box"),
            missed("+74952222222", 10, 30, no_answer("101"), "rang"),
            // The carrier dropped the area code: still Moscow.
            missed("3333333", 20, 95, abandoned("sales", Some(2)), "queue"),
        ],
    )
    .await;
    let tasks = all_tasks(&store).await;
    let by_number: Vec<(&str, &Assignment)> = tasks
        .iter()
        .map(|task| (task.number.as_str(), &task.assigned))
        .collect();
    assert_eq!(
        by_number,
        [
            (
                "+74953333333",
                &assigned(
                    Assignee::Queue("sales".to_owned()),
                    "abandoned in queue sales at place 2"
                )
            ),
            (
                "+74952222222",
                &assigned(person("101"), "not answered at 101")
            ),
            (
                "+74951111111",
                &assigned(person("104"), "owner of mailbox 104")
            ),
        ]
    );
    assert_eq!(tasks[0].longest_wait, Duration::from_secs(95));
    assert_eq!(tasks[2].recordings, [3]);
    assert!(tasks.iter().all(Task::is_open));
}

#[tokio::test]
async fn the_responsible_manager_from_the_call_history_is_assigned() {
    let (_dir, store) = office().await;
    talked(&store, "gleb-talked", "84951234567", "104", 0).await;
    // Boris is excluded from responsible-manager routing; 199 is no extension.
    talked(&store, "boris-talked", "+74957654321", "102", 0).await;
    talked(&store, "gone-talked", "+74955555555", "199", 0).await;
    feed(
        keeper_with_history(&store),
        vec![
            missed("+7 495 123-45-67", 600, 30, abandoned("sales", None), "c1"),
            missed("84957654321", 610, 30, abandoned("sales", None), "c2"),
            missed("74955555555", 620, 30, voicemail("general", 4), "c3"),
        ],
    )
    .await;
    let tasks = all_tasks(&store).await;
    let assignments: Vec<(&str, &Assignee, &str)> = tasks
        .iter()
        .map(|t| (t.number.as_str(), &t.assigned.to, t.assigned.why.as_str()))
        .collect();
    assert_eq!(
        assignments,
        [
            (
                "+74955555555",
                &Assignee::Mailbox("general".to_owned()),
                "message in shared mailbox general"
            ),
            (
                "+74957654321",
                &Assignee::Queue("sales".to_owned()),
                "abandoned in queue sales"
            ),
            (
                "+74951234567",
                &person("104"),
                "responsible manager (from history)"
            ),
        ]
    );
}

#[tokio::test]
async fn repeated_calls_from_one_number_in_any_form_update_one_task() {
    let (_dir, store) = office().await;
    feed(
        keeper(&store),
        vec![
            missed("84951234567", 0, 20, no_answer("101"), "c1"),
            missed("+74951234567", 300, 50, voicemail("general", 9), "c2"),
            // The same call reported again, abandoned in the queue before the message.
            missed("74951234567", 300, 45, abandoned("sales", Some(1)), "c2"),
        ],
    )
    .await;
    let task = only_task(&store).await;
    assert_eq!(task.number, "+74951234567");
    assert_eq!(task.attempts, 2);
    assert_eq!((task.first_at, task.last_at), (at(0), at(300)));
    assert_eq!(task.longest_wait, Duration::from_secs(50));
    assert_eq!(
        task.kinds,
        [
            no_answer("101"),
            voicemail("general", 9),
            abandoned("sales", Some(1))
        ]
    );
    assert_eq!(task.recordings, [9]);
    // A person is never replaced by a shared box or a queue.
    assert_eq!(
        task.assigned,
        assigned(person("101"), "not answered at 101")
    );
}

#[tokio::test]
async fn a_later_answered_call_closes_the_task_an_earlier_one_does_not() {
    let (_dir, store) = office().await;
    let events = vec![
        missed("+74951234567", 600, 20, no_answer("101"), "missed-1"),
        missed("+74957654321", 600, 20, no_answer("103"), "missed-2"),
        // Answered before the customer was missed: it says nothing about the missed call.
        answered("84951234567", 300, "104", Direction::Inbound, "before"),
    ];
    feed(keeper(&store), events).await;
    assert!(all_tasks(&store).await.iter().all(Task::is_open));

    feed(
        keeper(&store),
        vec![
            answered("84951234567", 900, "105", Direction::Outbound, "back"),
            answered("+7 495 765 43 21", 901, "103", Direction::Inbound, "again"),
        ],
    )
    .await;
    let states: Vec<(String, TaskState)> = all_tasks(&store)
        .await
        .into_iter()
        .map(|task| (task.number, task.state))
        .collect();
    assert_eq!(
        states,
        [
            (
                "+74957654321".to_owned(),
                TaskState::Closed {
                    at: at(901),
                    by: "103".to_owned(),
                    how: Closing::Answered {
                        direction: Direction::Inbound,
                        call_id: "again".to_owned()
                    }
                }
            ),
            (
                "+74951234567".to_owned(),
                TaskState::Closed {
                    at: at(900),
                    by: "105".to_owned(),
                    how: Closing::Answered {
                        direction: Direction::Outbound,
                        call_id: "back".to_owned()
                    }
                }
            ),
        ]
    );

    // Missed again after the call back: a new task, the closed one stays as it was.
    feed(
        keeper(&store),
        vec![missed(
            "+74951234567",
            1_000,
            5,
            no_answer("101"),
            "missed-3",
        )],
    )
    .await;
    let open = store
        .open_task_for("+74951234567")
        .await
        .expect("read")
        .expect("a new open task");
    assert_eq!((open.attempts, open.first_at), (1, at(1_000)));
    assert_eq!(all_tasks(&store).await.len(), 3);
}

#[tokio::test]
async fn an_answered_call_without_an_open_task_changes_nothing() {
    let (_dir, store) = office().await;
    let keeper = keeper(&store);
    let event = answered("+74951234567", 0, "104", Direction::Inbound, "c1");
    assert_eq!(keeper.handle(&event).await.expect("handled"), None);
    assert!(all_tasks(&store).await.is_empty());
}

#[tokio::test]
async fn a_task_closed_by_hand_stays_closed_and_counts_once() {
    let (_dir, store) = office().await;
    let keeper = keeper(&store);
    let event = missed("84951234567", 0, 20, voicemail("general", 2), "c1");
    let opened = keeper.handle(&event).await.expect("handled").expect("task");
    let id = opened.id.expect("stored");

    let closed = close_by_hand(&store, id, "anna", at(100))
        .await
        .expect("closed");
    let by_hand = TaskState::Closed {
        at: at(100),
        by: "anna".to_owned(),
        how: Closing::ByHand,
    };
    assert_eq!(closed.state, by_hand);
    let again = close_by_hand(&store, id, "boris", at(200))
        .await
        .expect_err("closed already");
    assert!(
        matches!(&again, TaskError::AlreadyClosed(task) if task.state == by_hand),
        "{again:?}"
    );
    assert!(
        again.to_string().contains("already closed by anna"),
        "{again}"
    );
    let unknown = close_by_hand(&store, id + 1, "anna", at(100))
        .await
        .expect_err("unknown");
    assert!(matches!(unknown, TaskError::Unknown(n) if n == id + 1));

    // A later answered call finds no open task; a later missed call opens a new one.
    let answered = answered("+74951234567", 300, "101", Direction::Outbound, "c2");
    assert_eq!(keeper.handle(&answered).await.expect("handled"), None);
    let event = missed("+74951234567", 400, 20, no_answer("101"), "c3");
    let reopened = keeper.handle(&event).await.expect("handled").expect("task");
    assert_ne!(reopened.id, Some(id));
    assert_eq!(reopened.attempts, 1);
    let kept = store.task(id).await.expect("read").expect("kept");
    assert_eq!(kept.to_task().expect("reads").state, by_hand);
}

#[tokio::test]
async fn a_number_that_cannot_be_read_is_kept_as_sent() {
    let (_dir, store) = office().await;
    feed(
        keeper(&store),
        vec![
            missed("anonymous", 0, 10, no_answer("101"), "c1"),
            missed("anonymous", 60, 10, no_answer("101"), "c2"),
        ],
    )
    .await;
    let task = only_task(&store).await;
    assert_eq!((task.number.as_str(), task.attempts), ("anonymous", 2));
}

#[tokio::test]
async fn a_bad_row_costs_its_own_event_not_the_next() {
    let (_dir, store) = office().await;
    let keeper = keeper(&store);
    let event = missed("+74951234567", 0, 10, no_answer("101"), "c1");
    let task = keeper.handle(&event).await.expect("handled").expect("task");
    let mut broken = TaskRow::from_task(&task);
    broken.kinds = vec!["written by hand".to_owned()];
    assert!(store.update_task(&broken).await.expect("edit"));

    feed(
        keeper,
        vec![
            missed("+74951234567", 60, 10, no_answer("101"), "c2"),
            missed("+74957654321", 61, 10, no_answer("101"), "c3"),
        ],
    )
    .await;
    let next = store
        .open_task_for("+74957654321")
        .await
        .expect("read")
        .expect("the next event was handled");
    assert_eq!(next.attempts, 1);
}

#[tokio::test]
async fn every_event_reads_the_configuration_as_it_is_now() {
    let (_dir, store) = office().await;
    let live = Arc::new(Mutex::new(Arc::new(sb_config::demo())));
    let read = live.clone();
    let keeper = TaskKeeper::new(
        store.clone(),
        Arc::new(move || read.lock().expect("not poisoned").clone()),
        Arc::new(|| None),
    );
    let event = missed("+74951111111", 0, 10, voicemail("104", 1), "c1");
    let before = keeper.handle(&event).await.expect("handled").expect("task");
    assert_eq!(before.assigned.to, person("104"));

    // Gleb leaves: his box is no longer a person's.
    let mut reloaded = sb_config::demo();
    reloaded.extensions.retain(|e| e.number != "104");
    *live.lock().expect("not poisoned") = Arc::new(reloaded);
    let event = missed("+74952222222", 10, 10, voicemail("104", 2), "c2");
    let after = keeper.handle(&event).await.expect("handled").expect("task");
    assert_eq!(after.assigned.to, Assignee::Mailbox("104".to_owned()));
}

#[tokio::test]
async fn on_shutdown_the_events_already_queued_are_handled() {
    let (_dir, store) = office().await;
    // The server keeps a sender for as long as it lives: the channel never closes here.
    let (sender, receiver) = mpsc::channel(8);
    for event in [
        missed("+74951234567", 0, 10, no_answer("101"), "c1"),
        missed("+74957654321", 1, 10, no_answer("101"), "c2"),
    ] {
        sender.send(event).await.expect("keeper listening");
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    stop.send(()).expect("keeper waits for the signal");
    let run = keeper(&store).run(receiver, async {
        stopped.await.ok();
    });
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the keeper returns on shutdown");
    assert_eq!(all_tasks(&store).await.len(), 2);
    let late = missed("+74955555555", 2, 10, no_answer("101"), "c3");
    assert!(
        sender.send(late).await.is_err(),
        "no event is taken in after"
    );
}
