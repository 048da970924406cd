//! Any sequence of missed and answered calls for a few numbers, kept in a store as a shell
//! would: at most one open task per number, every missed call counted exactly once, every
//! message in exactly one task, and a task closed only by a call at or after its first
//! missed call.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use sb_voicemail::tasks::{
    close_on_answer, merge, Answered, Candidates, Closing, Direction, Missed, MissedKind,
    Responsible, Task, TaskState,
};

const NUMBERS: [&str; 3] = ["+74950000001", "+74950000002", "101"];

#[derive(Debug, Clone)]
enum Step {
    Missed {
        number: usize,
        after: i64,
        kind: usize,
        /// The same call is reported again as a voicemail (abandoned, then a message).
        then_voicemail: bool,
        responsible: bool,
    },
    Answered {
        number: usize,
        /// Minutes before the latest missed call (0: right now).
        earlier: i64,
        outbound: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..NUMBERS.len(), 0..30i64, 0..3usize, any::<bool>(), any::<bool>()).prop_map(
            |(number, after, kind, then_voicemail, responsible)| Step::Missed {
                number,
                after,
                kind,
                then_voicemail,
                responsible,
            }
        ),
        2 => (0..NUMBERS.len(), 0..60i64, any::<bool>()).prop_map(|(number, earlier, outbound)| {
            Step::Answered { number, earlier, outbound }
        }),
    ]
}

fn start() -> DateTime<Utc> {
    "2026-11-23T07:00:00Z".parse().unwrap()
}

/// Sends `missed` to the number's open task, or opens one.
fn report(store: &mut Vec<Task>, missed: &Missed, candidates: &Candidates) {
    let open = store
        .iter()
        .position(|task| task.is_open() && task.number == missed.number);
    match open {
        Some(i) => store[i] = merge(Some(store[i].clone()), missed, candidates),
        None => store.push(merge(None, missed, candidates)),
    }
}

proptest! {
    #[test]
    fn nobody_is_forgotten_or_counted_twice(steps in prop::collection::vec(step(), 0..60)) {
        let mut store: Vec<Task> = Vec::new();
        let mut now = start();
        let mut calls = 0u32;
        let mut messages = 0i64;
        let mut reported = BTreeSet::new();
        let mut left = BTreeSet::new();
        for step in steps {
            match step {
                Step::Missed { number, after, kind, then_voicemail, responsible } => {
                    now += TimeDelta::minutes(after);
                    calls += 1;
                    let call_id = format!("call-{calls}");
                    messages += 1;
                    let kind = match kind {
                        0 => MissedKind::NoAnswer { target: "102".into() },
                        1 => MissedKind::QueueAbandoned { queue: "sales".into(), position: Some(2) },
                        _ => MissedKind::Voicemail { mailbox: "general".into(), message_id: messages },
                    };
                    if matches!(kind, MissedKind::Voicemail { .. }) {
                        left.insert(messages);
                    }
                    let candidates = Candidates {
                        responsible: responsible.then(|| Responsible {
                            extension: "104".into(),
                            why: "from history".into(),
                        }),
                        mailbox_owner: None,
                    };
                    let missed = Missed {
                        number: NUMBERS[number].into(),
                        name: None,
                        at: now,
                        waited: Duration::from_secs(u64::try_from(after).unwrap()),
                        kind,
                        call_id: call_id.clone(),
                    };
                    reported.insert(call_id.clone());
                    report(&mut store, &missed, &candidates);
                    if then_voicemail {
                        messages += 1;
                        left.insert(messages);
                        let again = Missed {
                            at: now + TimeDelta::seconds(40),
                            kind: MissedKind::Voicemail { mailbox: "general".into(), message_id: messages },
                            ..missed
                        };
                        report(&mut store, &again, &candidates);
                    }
                }
                Step::Answered { number, earlier, outbound } => {
                    let answered = Answered {
                        number: NUMBERS[number].into(),
                        at: now - TimeDelta::minutes(earlier),
                        by: "104".into(),
                        direction: if outbound { Direction::Outbound } else { Direction::Inbound },
                        call_id: "answered".into(),
                    };
                    for task in store.iter_mut() {
                        let closes = task.is_open()
                            && task.number == answered.number
                            && answered.at >= task.first_at;
                        let closed = close_on_answer(task, &answered);
                        prop_assert_eq!(closed.is_some(), closes);
                        if let Some(closed) = closed {
                            *task = closed;
                        }
                    }
                }
            }
            let mut open = BTreeSet::new();
            for task in store.iter().filter(|task| task.is_open()) {
                prop_assert!(open.insert(task.number.clone()), "two open tasks for {}", task.number);
            }
        }
        let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
        let mut recorded = BTreeSet::new();
        let mut attempts = 0;
        for task in &store {
            prop_assert_eq!(task.attempts as usize, task.call_ids.len());
            attempts += task.attempts as usize;
            for id in &task.call_ids {
                *counted.entry(id.as_str()).or_default() += 1;
            }
            for &message in &task.recordings {
                prop_assert!(recorded.insert(message), "message {} in two tasks", message);
            }
            prop_assert!(task.first_at <= task.last_at);
            if let TaskState::Closed { at, how: Closing::Answered { .. }, .. } = &task.state {
                prop_assert!(*at >= task.first_at);
            }
        }
        prop_assert_eq!(attempts, reported.len());
        prop_assert!(counted.values().all(|&n| n == 1), "{:?}", counted);
        prop_assert_eq!(counted.len(), reported.len());
        prop_assert_eq!(recorded, left);
    }
}
