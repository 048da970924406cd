//! The SIP layer's live state, as the HTTP API shows it.

use sb_api::{
    AgentLive, LiveSnapshot, LiveView, QueueCallerLive, QueueLive, QueuesSnapshot, RegistrationView,
};
use sb_sip::SipStatus;
use std::time::Instant;

/// Adapts [`SipStatus`] to the API's [`LiveView`], so neither crate depends on the other.
pub struct SipLiveView(pub SipStatus);

impl LiveView for SipLiveView {
    fn snapshot(&self) -> LiveSnapshot {
        let now = Instant::now();
        LiveSnapshot {
            active_calls: self.0.active_calls(),
            draining: self.0.draining(),
            registrations: self
                .0
                .registrations()
                .into_iter()
                .map(|r| RegistrationView {
                    extension: r.extension,
                    contact: r.binding.contact.clone(),
                    source: r.binding.source.to_string(),
                    transport: r.binding.transport.clone(),
                    expires_in_secs: r.binding.remaining_secs(now),
                    user_agent: r.binding.user_agent.clone(),
                })
                .collect(),
        }
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }

    fn reported_queues(&self) -> Vec<sb_acd::ReportedQueue> {
        self.0
            .config()
            .queues
            .iter()
            .map(|queue| sb_acd::ReportedQueue::of(&queue.0))
            .collect()
    }

    fn queues(&self) -> QueuesSnapshot {
        let view = self.0.queues();
        QueuesSnapshot {
            queues: view
                .queues
                .into_iter()
                .map(|q| QueueLive {
                    name: q.name,
                    number: q.number,
                    strategy: q.strategy,
                    waiting: q.figures.waiting,
                    longest_wait_secs: q.figures.longest_wait.as_secs(),
                    logged_in: q.figures.logged_in,
                    available: q.figures.available,
                    busy: q.figures.busy,
                    paused: q.figures.paused,
                    unreachable: q.figures.unreachable,
                    members: q.members,
                    callers: q
                        .callers
                        .into_iter()
                        .map(|c| QueueCallerLive {
                            call: c.call,
                            position: c.position,
                            waited_secs: c.waited_secs,
                            ringing: c.ringing,
                            callback: c.callback,
                        })
                        .collect(),
                })
                .collect(),
            agents: view
                .agents
                .into_iter()
                .map(|a| AgentLive {
                    agent: a.agent,
                    state: a.state,
                    reason: a.reason,
                })
                .collect(),
        }
    }
}
