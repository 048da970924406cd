//! The distributor's records ([`sb_acd::QueueEvent`]) in `queue_events` rows and back.
//!
//! A record's kind is the `event` column; an ended caller's outcome is its own event
//! (`connected`, `abandoned`, `left`, `callback_failed`), so a report can count them with a
//! plain `GROUP BY`. `reason` spells why an offer failed (`no_answer`, `timeout`, `busy`,
//! `rejected`, `gone`, `cancelled`) or why the caller left (`timeout`, `full`,
//! `join_empty`, `leave_empty`, `callback`, `no_such_queue`, `exit_key:<digit>:<step>`).

use std::time::Duration;

use sb_acd::{LeaveReason, Outcome, QueueEventKind, RingFailure};

use crate::voicemail::duration_millis;

/// A record's columns besides its time, queue and call.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct EventColumns {
    pub event: String,
    pub agent: Option<String>,
    pub position: Option<i64>,
    pub priority: Option<i64>,
    pub attempt: Option<i64>,
    pub waited_ms: Option<i64>,
    pub talk_ms: Option<i64>,
    pub wrapup_ms: Option<i64>,
    pub reason: Option<String>,
}

impl EventColumns {
    fn named(event: &str) -> EventColumns {
        EventColumns {
            event: event.to_owned(),
            ..EventColumns::default()
        }
    }
}

/// The columns of `kind`.
pub(crate) fn encode(kind: &QueueEventKind) -> EventColumns {
    match kind {
        QueueEventKind::Joined { priority, position } => EventColumns {
            priority: Some(i64::from(*priority)),
            position: Some(i64::try_from(*position).unwrap_or(i64::MAX)),
            ..EventColumns::named("joined")
        },
        QueueEventKind::Offered { agent } => EventColumns {
            agent: Some(agent.clone()),
            ..EventColumns::named("offered")
        },
        QueueEventKind::OfferFailed { agent, why } => EventColumns {
            agent: Some(agent.clone()),
            reason: Some(ring_failure_name(*why).to_owned()),
            ..EventColumns::named("offer_failed")
        },
        QueueEventKind::CallbackRequested => EventColumns::named("callback_requested"),
        QueueEventKind::CallbackStarted { agent, attempt } => EventColumns {
            agent: Some(agent.clone()),
            attempt: Some(i64::from(*attempt)),
            ..EventColumns::named("callback_started")
        },
        QueueEventKind::Ended { outcome, waited } => {
            let waited_ms = Some(duration_millis(*waited));
            match outcome {
                Outcome::Connected { agent } => EventColumns {
                    agent: Some(agent.clone()),
                    waited_ms,
                    ..EventColumns::named("connected")
                },
                Outcome::Abandoned => EventColumns {
                    waited_ms,
                    ..EventColumns::named("abandoned")
                },
                Outcome::Left(reason) => EventColumns {
                    waited_ms,
                    reason: Some(leave_reason_text(reason)),
                    ..EventColumns::named("left")
                },
                Outcome::CallbackFailed => EventColumns {
                    waited_ms,
                    ..EventColumns::named("callback_failed")
                },
            }
        }
        QueueEventKind::Completed {
            agent,
            talk,
            wrapup,
        } => EventColumns {
            agent: Some(agent.clone()),
            talk_ms: Some(duration_millis(*talk)),
            wrapup_ms: Some(duration_millis(*wrapup)),
            ..EventColumns::named("completed")
        },
    }
}

/// The record the columns hold; `Err` names what is wrong with them.
pub(crate) fn decode(columns: &EventColumns) -> Result<QueueEventKind, String> {
    let agent = || {
        columns
            .agent
            .clone()
            .ok_or_else(|| format!("{} without an agent", columns.event))
    };
    let millis = |value: Option<i64>, what: &str| {
        value
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Duration::from_millis)
            .ok_or_else(|| format!("{} without a valid {what}", columns.event))
    };
    let reason = || {
        columns
            .reason
            .as_deref()
            .ok_or_else(|| format!("{} without a reason", columns.event))
    };
    let ended = |outcome| {
        Ok(QueueEventKind::Ended {
            outcome,
            waited: millis(columns.waited_ms, "wait")?,
        })
    };
    match columns.event.as_str() {
        "joined" => Ok(QueueEventKind::Joined {
            priority: columns
                .priority
                .and_then(|p| i32::try_from(p).ok())
                .ok_or("joined without a valid priority")?,
            position: columns
                .position
                .and_then(|p| usize::try_from(p).ok())
                .ok_or("joined without a valid position")?,
        }),
        "offered" => Ok(QueueEventKind::Offered { agent: agent()? }),
        "offer_failed" => Ok(QueueEventKind::OfferFailed {
            agent: agent()?,
            why: parse_ring_failure(reason()?)
                .ok_or_else(|| format!("unknown offer failure {:?}", reason().unwrap_or("")))?,
        }),
        "callback_requested" => Ok(QueueEventKind::CallbackRequested),
        "callback_started" => Ok(QueueEventKind::CallbackStarted {
            agent: agent()?,
            attempt: columns
                .attempt
                .and_then(|a| u32::try_from(a).ok())
                .ok_or("callback_started without a valid attempt")?,
        }),
        "connected" => ended(Outcome::Connected { agent: agent()? }),
        "abandoned" => ended(Outcome::Abandoned),
        "left" => {
            let text = reason()?;
            let why =
                parse_leave_reason(text).ok_or_else(|| format!("unknown leave reason {text:?}"))?;
            ended(Outcome::Left(why))
        }
        "callback_failed" => ended(Outcome::CallbackFailed),
        "completed" => Ok(QueueEventKind::Completed {
            agent: agent()?,
            talk: millis(columns.talk_ms, "talk time")?,
            wrapup: millis(columns.wrapup_ms, "wrap-up")?,
        }),
        other => Err(format!("unknown event {other:?}")),
    }
}

fn ring_failure_name(why: RingFailure) -> &'static str {
    match why {
        RingFailure::NoAnswer => "no_answer",
        RingFailure::Timeout => "timeout",
        RingFailure::Busy => "busy",
        RingFailure::Rejected => "rejected",
        RingFailure::Gone => "gone",
        RingFailure::Cancelled => "cancelled",
    }
}

fn parse_ring_failure(text: &str) -> Option<RingFailure> {
    Some(match text {
        "no_answer" => RingFailure::NoAnswer,
        "timeout" => RingFailure::Timeout,
        "busy" => RingFailure::Busy,
        "rejected" => RingFailure::Rejected,
        "gone" => RingFailure::Gone,
        "cancelled" => RingFailure::Cancelled,
        _ => return None,
    })
}

/// [`LeaveReason`]'s own spelling, except the exit key, which keeps its digit too.
fn leave_reason_text(reason: &LeaveReason) -> String {
    match reason {
        LeaveReason::ExitKey { digit, step } => format!("exit_key:{digit}:{step}"),
        other => other.to_string(),
    }
}

fn parse_leave_reason(text: &str) -> Option<LeaveReason> {
    Some(match text {
        "timeout" => LeaveReason::Timeout,
        "full" => LeaveReason::Full,
        "join_empty" => LeaveReason::JoinEmpty,
        "leave_empty" => LeaveReason::LeaveEmpty,
        "callback" => LeaveReason::Callback,
        "no_such_queue" => LeaveReason::NoSuchQueue,
        _ => {
            let rest = text.strip_prefix("exit_key:")?;
            let mut chars = rest.chars();
            let digit = chars.next()?;
            let step = chars.as_str().strip_prefix(':')?;
            LeaveReason::ExitKey {
                digit,
                step: step.to_owned(),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<QueueEventKind> {
        let ended = |outcome| QueueEventKind::Ended {
            outcome,
            waited: Duration::from_millis(12_345),
        };
        let mut kinds = vec![
            QueueEventKind::Joined {
                priority: -3,
                position: 7,
            },
            QueueEventKind::Offered {
                agent: "101".into(),
            },
            QueueEventKind::CallbackRequested,
            QueueEventKind::CallbackStarted {
                agent: "102".into(),
                attempt: 2,
            },
            ended(Outcome::Connected {
                agent: "103".into(),
            }),
            ended(Outcome::Abandoned),
            ended(Outcome::CallbackFailed),
            QueueEventKind::Completed {
                agent: "104".into(),
                talk: Duration::from_millis(61_000),
                wrapup: Duration::from_secs(5),
            },
        ];
        for why in [
            RingFailure::NoAnswer,
            RingFailure::Timeout,
            RingFailure::Busy,
            RingFailure::Rejected,
            RingFailure::Gone,
            RingFailure::Cancelled,
        ] {
            kinds.push(QueueEventKind::OfferFailed {
                agent: "105".into(),
                why,
            });
        }
        for reason in [
            LeaveReason::Timeout,
            LeaveReason::Full,
            LeaveReason::JoinEmpty,
            LeaveReason::LeaveEmpty,
            LeaveReason::Callback,
            LeaveReason::NoSuchQueue,
            LeaveReason::ExitKey {
                digit: '0',
                step: "operator:main".into(),
            },
        ] {
            kinds.push(ended(Outcome::Left(reason)));
        }
        kinds
    }

    #[test]
    fn every_record_reads_back_as_written() {
        for kind in every_kind() {
            assert_eq!(decode(&encode(&kind)), Ok(kind.clone()), "{kind:?}");
        }
    }

    #[test]
    fn a_damaged_row_is_named_not_guessed() {
        let mut columns = encode(&QueueEventKind::Offered {
            agent: "101".into(),
        });
        columns.agent = None;
        assert_eq!(decode(&columns), Err("offered without an agent".to_owned()));
        assert!(decode(&EventColumns::named("teleported")).is_err());
        let mut left = encode(&QueueEventKind::Ended {
            outcome: Outcome::Left(LeaveReason::Full),
            waited: Duration::ZERO,
        });
        left.reason = Some("exit_key:".into());
        assert!(decode(&left).is_err());
        left.waited_ms = Some(-1);
        left.reason = Some("full".into());
        assert!(decode(&left).is_err());
    }
}
