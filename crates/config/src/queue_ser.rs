//! Writing a `[[queue]]` back as TOML: the distributor's types are read-only (serde
//! `Deserialize`), so the table is written here, with only the keys that differ from
//! their defaults, which reads back to the same queue.

use sb_acd::{EmptyRule, MemberEntry, QueueConfig};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

#[derive(Serialize)]
#[serde(untagged)]
enum Member<'a> {
    Plain(&'a str),
    Detailed {
        agent: &'a str,
        penalty: u32,
        weight: u32,
    },
}

#[derive(Serialize)]
struct Step {
    after: u32,
    max_penalty: u32,
}

fn empty_rule(rule: EmptyRule) -> &'static str {
    match rule {
        EmptyRule::Never => "never",
        EmptyRule::NoMembers => "no_members",
        EmptyRule::Unreachable => "unreachable",
        EmptyRule::Paused => "paused",
    }
}

pub(crate) fn serialize<S: Serializer>(q: &QueueConfig, serializer: S) -> Result<S::Ok, S::Error> {
    let d = QueueConfig::new(&q.name);
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry("name", &q.name)?;
    map.serialize_entry("number", &q.number)?;
    let members: Vec<Member<'_>> = q
        .members
        .iter()
        .map(|m| match m {
            MemberEntry::Plain(agent) => Member::Plain(agent),
            MemberEntry::Detailed(m) => Member::Detailed {
                agent: &m.agent,
                penalty: m.penalty,
                weight: m.weight,
            },
        })
        .collect();
    map.serialize_entry("members", &members)?;
    if q.strategy != d.strategy {
        map.serialize_entry("strategy", q.strategy.name())?;
    }
    macro_rules! plain {
        ($($key:ident),*) => {$(
            if q.$key != d.$key {
                map.serialize_entry(stringify!($key), &q.$key)?;
            }
        )*};
    }
    plain!(
        ring_timeout,
        retry,
        wrapup,
        ringinuse,
        announce_frequency,
        periodic_messages,
        periodic_frequency,
        weight,
        progressive_step,
        service_level,
        callback_attempts,
        callback_pause,
        announce_to_agent
    );
    macro_rules! optional {
        ($($key:ident),*) => {$(
            if let Some(value) = &q.$key {
                map.serialize_entry(stringify!($key), value)?;
            }
        )*};
    }
    optional!(
        max_wait,
        max_len,
        autopause,
        max_penalty,
        agent_announcement
    );
    if q.join_empty != d.join_empty {
        map.serialize_entry("join_empty", empty_rule(q.join_empty))?;
    }
    if q.leave_when_empty != d.leave_when_empty {
        map.serialize_entry("leave_when_empty", empty_rule(q.leave_when_empty))?;
    }
    if !q.escalation.is_empty() {
        let steps: Vec<Step> = q
            .escalation
            .iter()
            .map(|e| Step {
                after: e.after,
                max_penalty: e.max_penalty,
            })
            .collect();
        map.serialize_entry("escalation", &steps)?;
    }
    if let Some(key) = q.callback_key {
        map.serialize_entry("callback_key", &key.to_string())?;
    }
    map.end()
}
