//! The queues as configured: what the service builds from the PBX configuration when it
//! starts ([`Setup::of`]) and follows when the configuration is reloaded
//! ([`Service::reload`]), as Asterisk's `queue reload` does, without a restart and
//! without losing a caller.
//!
//! A queue's `members` are not static members of the distributor's queue: the service
//! logs them in itself so that they can log out (`*45`). A reload therefore gives the
//! distributor the queues' new settings ([`Acd::reconfigure`]: callers keep their places,
//! a queue taken out serves its callers to the end), then logs members added in and
//! members removed out.

use super::{QueueInfo, Service};
use chrono::{DateTime, Utc};
use sb_acd::{Acd, AcdConfig, AgentConfig, AgentState, Event};
use sb_config::Config;
use std::collections::{HashMap, HashSet};
use tracing::{info, warn};

/// Whether an extension's phone is registered now, asked when an agent becomes known to
/// the distributor on a reload (its registrations were ignored until then).
pub(crate) type Registered = Box<dyn Fn(&str) -> bool + Send>;

/// Agent → the queues it may log in to, with its penalty and weight there.
pub(super) type Memberships = HashMap<String, Vec<(String, u32, u32)>>;

/// One member of one queue, as written.
pub(super) struct Member {
    pub queue: String,
    pub agent: String,
    pub penalty: u32,
    /// The member's share under `weighted_random`.
    pub weight: u32,
}

/// What the service keeps of the queues of one configuration.
pub(super) struct Setup {
    /// The distributor's configuration: the queues without their members, and every member
    /// as an agent, so that the engine knows an agent before it logs in.
    pub acd: AcdConfig,
    /// The queues as the API shows them.
    pub queues: Vec<QueueInfo>,
    /// Every member of every queue, in the order of the file (the order they log in in,
    /// which is the member order of `linear` and `round_robin`).
    pub members: Vec<Member>,
}

impl Setup {
    pub fn of(config: &Config) -> Setup {
        let mut members = Vec::new();
        let mut agents: Vec<AgentConfig> = Vec::new();
        let mut queues = Vec::new();
        let mut acd_queues = Vec::new();
        for queue in &config.queues {
            for member in &queue.members {
                let member = member.settings();
                if !agents.iter().any(|a| a.id == member.agent) {
                    agents.push(AgentConfig {
                        id: member.agent.clone(),
                        wrapup: None,
                    });
                }
                members.push(Member {
                    queue: queue.name.clone(),
                    agent: member.agent,
                    penalty: member.penalty,
                    weight: member.weight,
                });
            }
            queues.push(QueueInfo {
                name: queue.name.clone(),
                number: queue.number.clone(),
                strategy: queue.strategy,
                members: queue.member_numbers(),
            });
            let mut acd_queue = queue.0.clone();
            // The service logs the members in, so they can log out.
            acd_queue.members.clear();
            acd_queues.push(acd_queue);
        }
        Setup {
            acd: AcdConfig {
                queues: acd_queues,
                agents,
                ..AcdConfig::default()
            },
            queues,
            members,
        }
    }

    /// Who may log in where.
    pub fn memberships(&self) -> Memberships {
        let mut memberships = Memberships::new();
        for m in &self.members {
            memberships.entry(m.agent.clone()).or_default().push((
                m.queue.clone(),
                m.penalty,
                m.weight,
            ));
        }
        memberships
    }

    /// Logs every member in, as the service does when it starts.
    pub fn log_members_in(&self, acd: &mut Acd, now: DateTime<Utc>) {
        for m in &self.members {
            acd.handle(m.login(), now);
        }
    }
}

impl Member {
    fn login(&self) -> Event {
        Event::AgentLogin {
            agent: self.agent.clone(),
            queue: self.queue.clone(),
            penalty: self.penalty,
            weight: self.weight,
        }
    }
}

impl Service {
    /// Follows a reloaded configuration: the distributor takes the queues' new settings in
    /// place; agents it did not know learn whether their phones are registered; then
    /// members added log in (unless they logged out with `*45`: a reload does not undo
    /// that), members removed from a queue still configured log out of it, and members
    /// whose penalty or weight changed take it. A configuration the distributor refuses (it was
    /// validated with the same checks) changes nothing.
    pub(super) fn reload(&mut self, config: &Config, registered: &Registered) {
        let setup = Setup::of(config);
        let memberships = setup.memberships();
        let Setup {
            acd: acd_config,
            queues,
            members,
        } = setup;
        let now = self.clock.now();
        let (mut known, away, actions) = {
            let mut acd = self.acd.lock();
            let known: HashSet<String> = acd.agent_states().map(|(a, _)| a.to_owned()).collect();
            let away: HashSet<String> = self
                .memberships
                .keys()
                .filter(|agent| logged_out(acd.agent_state(agent)))
                .cloned()
                .collect();
            match acd.reconfigure(acd_config, now) {
                Ok(actions) => {
                    // Under the engine's lock, so a view never pairs old queues with new.
                    *self.queues.write() = queues;
                    (known, away, actions)
                }
                Err(errors) => {
                    warn!(%errors, "the distributor refused the queues: they keep their settings");
                    return;
                }
            }
        };
        for action in actions {
            self.route(action);
        }
        for m in &members {
            if known.insert(m.agent.clone()) {
                let agent = m.agent.clone();
                self.handle(if registered(&agent) {
                    Event::AgentReachable { agent }
                } else {
                    Event::AgentUnreachable { agent }
                });
            }
        }
        let old = std::mem::replace(&mut self.memberships, memberships);
        let configured: HashSet<&str> = config.queues.iter().map(|q| q.name.as_str()).collect();
        let mut changes = Vec::new();
        for (agent, queues) in &old {
            let now_in = self.memberships.get(agent);
            for (queue, _, _) in queues {
                let kept = now_in.is_some_and(|qs| qs.iter().any(|(q, _, _)| q == queue));
                // A queue taken out keeps its members for its last callers.
                if !kept && configured.contains(queue.as_str()) && !away.contains(agent) {
                    changes.push(Event::AgentLogout {
                        agent: agent.clone(),
                        queue: Some(queue.clone()),
                    });
                }
            }
        }
        for m in members.iter().filter(|m| !away.contains(&m.agent)) {
            let before = old.get(&m.agent);
            let membership = (m.queue.clone(), m.penalty, m.weight);
            if !before.is_some_and(|qs| qs.contains(&membership)) {
                changes.push(m.login());
            }
        }
        for change in changes {
            self.handle(change);
        }
        info!("queues reloaded");
    }
}

/// Whether the distributor has the agent in no queue.
fn logged_out(state: Option<AgentState>) -> bool {
    matches!(state, None | Some(AgentState::LoggedOut))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_acd::{MemberConfig, MemberEntry};

    #[test]
    fn members_log_in_with_their_penalty_and_weight() {
        let mut config = sb_config::demo();
        config.queues[0].members = vec![
            MemberEntry::Detailed(MemberConfig {
                agent: "103".into(),
                penalty: 1,
                weight: 3,
            }),
            MemberEntry::Plain("104".into()),
        ];
        let queue = config.queues[0].name.clone();
        let setup = Setup::of(&config);
        let logins: Vec<Event> = setup
            .members
            .iter()
            .filter(|m| m.queue == queue)
            .map(Member::login)
            .collect();
        let login = |agent: &str, penalty, weight| Event::AgentLogin {
            agent: agent.into(),
            queue: queue.clone(),
            penalty,
            weight,
        };
        assert_eq!(logins, [login("103", 1, 3), login("104", 0, 1)]);
        assert!(
            setup.acd.queues.iter().all(|q| q.members.is_empty()),
            "the service logs members in itself, so they can log out"
        );
    }
}
