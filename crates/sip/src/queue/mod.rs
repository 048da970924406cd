//! The queue service: one task owns the distributor ([`sb_acd::Acd`]) and is fed by the
//! calls waiting in queues, the agents' feature codes, the registrar and the API.
//!
//! The engine decides everything; this task only carries its [`Action`]s to the calls they
//! concern (each call registers a channel when it joins) and calls [`Event::Tick`] at
//! [`Acd::next_deadline`] by the PBX clock. A queue's `members` are logged in when the PBX
//! starts and can log out and in again (`*45`) and pause (`*46`).
//!
//! A caller who asks to be called back hangs up but keeps the place: the channel of the
//! call then leads to a [`callback`] task, which rings the agents the engine offers it to
//! and calls the caller back, until the engine says the caller's time in the queue ended.
//!
//! A reloaded configuration reaches the running distributor ([`setup`]): no restart, no
//! caller lost.

pub(crate) mod callback;
mod setup;

use crate::clock::PbxClock;
use chrono::{DateTime, Utc};
use parking_lot::{Mutex, RwLock};
use sb_acd::{
    Acd, AcdConfig, Action, AgentRecord, AgentState, Event, LeaveReason, Outcome, QueueEvent,
    QueueEventKind, QueueFigures, Strategy,
};
use sb_config::Config;
use sb_store::{QueueLogEntry, QueueLogSink};
pub(crate) use setup::Registered;
use setup::{Memberships, Setup};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

/// What the PBX asks of the service.
enum Request {
    /// A call enters `queue`; the actions about it are sent on `actions`.
    Join {
        call: String,
        queue: String,
        priority: i32,
        number: String,
        exit_keys: BTreeMap<char, String>,
        actions: mpsc::UnboundedSender<Action>,
    },
    /// Something the engine must hear about (an agent's answer, a hang-up, a registration).
    Event(Event),
    /// `*45`: log the agent out of its queues, or in again.
    ToggleLogin {
        agent: String,
        reply: oneshot::Sender<Result<String, String>>,
    },
    /// `*46`: pause the agent, or unpause.
    TogglePause {
        agent: String,
        reply: oneshot::Sender<Result<String, String>>,
    },
    /// The configuration was reloaded: the queues follow it.
    Reload {
        config: Arc<Config>,
        registered: Registered,
    },
}

/// The handle calls, the registrar and the API use to reach the service.
#[derive(Clone)]
pub(crate) struct Queues {
    tx: mpsc::UnboundedSender<Request>,
    /// The engine, shared with the service task so the API reads it without a round trip.
    acd: Arc<Mutex<Acd>>,
    /// Replaced on reload, under the engine's lock.
    queues: Arc<RwLock<Vec<QueueInfo>>>,
    clock: PbxClock,
}

/// One queue as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueView {
    pub name: String,
    pub number: String,
    pub strategy: String,
    pub figures: QueueFigures,
    /// The callers in line order: call id, seconds waited, whether agents ring for them.
    pub callers: Vec<QueueCallerView>,
    /// The members' extension numbers.
    pub members: Vec<String>,
}

/// A caller waiting in a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCallerView {
    pub call: String,
    pub position: usize,
    pub waited_secs: u64,
    pub ringing: bool,
    /// The caller hung up to be called back, keeping this place.
    pub callback: bool,
}

/// An agent and the state the distributor has them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    pub agent: String,
    /// `logged_out`, `unreachable`, `available`, `ringing`, `on_call`, `wrap_up`, `paused`.
    pub state: String,
    /// Why paused, when paused.
    pub reason: Option<String>,
}

/// Every queue and agent now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueuesView {
    pub queues: Vec<QueueView>,
    pub agents: Vec<AgentView>,
}

impl Queues {
    /// Starts the service with the queues of `config`, their members logged in.
    pub fn start(config: &Config, clock: PbxClock, log: QueueLogSink) -> Queues {
        let (tx, rx) = mpsc::unbounded_channel();
        let service = Service::new(config, clock, log);
        let handle = Queues {
            tx,
            acd: service.acd.clone(),
            queues: service.queues.clone(),
            clock,
        };
        tokio::spawn(service.run(rx));
        handle
    }

    /// Puts `call` into `queue`, `exit_keys` taking it out to the scenario's steps; the
    /// engine's actions about it come on the returned channel.
    pub fn join(
        &self,
        call: &str,
        queue: &str,
        priority: i32,
        number: &str,
        exit_keys: BTreeMap<char, String>,
    ) -> mpsc::UnboundedReceiver<Action> {
        let (actions, rx) = mpsc::unbounded_channel();
        let request = Request::Join {
            call: call.to_owned(),
            queue: queue.to_owned(),
            priority,
            number: number.to_owned(),
            exit_keys,
            actions,
        };
        self.tx.send(request).ok();
        rx
    }

    /// Tells the engine what happened.
    pub fn event(&self, event: Event) {
        self.tx.send(Request::Event(event)).ok();
    }

    /// `*45` from `agent`: what was done, or why nothing was.
    pub async fn toggle_login(&self, agent: &str) -> Result<String, String> {
        let (reply, rx) = oneshot::channel();
        let agent = agent.to_owned();
        self.tx.send(Request::ToggleLogin { agent, reply }).ok();
        rx.await
            .unwrap_or_else(|_| Err("the queue service is gone".into()))
    }

    /// `*46` from `agent`.
    pub async fn toggle_pause(&self, agent: &str) -> Result<String, String> {
        let (reply, rx) = oneshot::channel();
        let agent = agent.to_owned();
        self.tx.send(Request::TogglePause { agent, reply }).ok();
        rx.await
            .unwrap_or_else(|_| Err("the queue service is gone".into()))
    }

    /// Brings the queues of a reloaded `config` into force without a restart (see
    /// [`Service::reload`]); `registered` tells whether an extension's phone is registered.
    pub fn reload(&self, config: Arc<Config>, registered: Registered) {
        let request = Request::Reload { config, registered };
        self.tx.send(request).ok();
    }

    /// The live view of every queue and agent.
    pub fn view(&self) -> QueuesView {
        let acd = self.acd.lock();
        view(&acd, &self.queues.read(), self.clock.now())
    }
}

struct QueueInfo {
    name: String,
    number: String,
    strategy: Strategy,
    members: Vec<String>,
}

struct Service {
    acd: Arc<Mutex<Acd>>,
    clock: PbxClock,
    queues: Arc<RwLock<Vec<QueueInfo>>>,
    /// Agent → the queues it may log in to, with its penalty there.
    memberships: Memberships,
    /// The calls in the engine, by id: where their actions go.
    calls: HashMap<String, mpsc::UnboundedSender<Action>>,
    /// Of `calls`, the callers waiting for a callback: their channel leads to the
    /// callback task until their time in the queue ends.
    callbacks: HashSet<String>,
    /// The queue log, for the statistics of any interval later.
    log: QueueLogSink,
}

impl Service {
    fn new(config: &Config, clock: PbxClock, log: QueueLogSink) -> Service {
        let setup = Setup::of(config);
        let memberships = setup.memberships();
        let mut acd = Acd::new(setup.acd.clone()).unwrap_or_else(|errors| {
            // The configuration was validated with the same checks.
            warn!(%errors, "queue configuration refused by the distributor: no queues");
            Acd::new(AcdConfig::default()).expect("an empty distributor")
        });
        let now = clock.now();
        setup.log_members_in(&mut acd, now);
        // No phone is registered when the PBX starts: the registrar reports each agent
        // reachable as its phone registers.
        for agent in memberships.keys() {
            let agent = agent.clone();
            acd.handle(Event::AgentUnreachable { agent }, now);
        }
        let agents = acd
            .agent_standings()
            .map(|(agent, state, occupancy)| (agent.to_owned(), state, occupancy))
            .collect();
        log.submit(QueueLogEntry::Start { at: now, agents });
        Service {
            acd: Arc::new(Mutex::new(acd)),
            clock,
            queues: Arc::new(RwLock::new(setup.queues)),
            memberships,
            calls: HashMap::new(),
            callbacks: HashSet::new(),
            log,
        }
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Request>) {
        loop {
            let deadline = self.acd.lock().next_deadline();
            let wait = deadline.map(|at| (at - self.clock.now()).to_std().unwrap_or_default());
            let request = tokio::select! {
                request = rx.recv() => match request {
                    Some(request) => Some(request),
                    None => return,
                },
                () = async {
                    match wait {
                        Some(wait) => tokio::time::sleep(wait).await,
                        None => std::future::pending().await,
                    }
                } => None,
            };
            match request {
                None => self.handle(Event::Tick),
                Some(request) => self.request(request),
            }
        }
    }

    fn request(&mut self, request: Request) {
        match request {
            Request::Join {
                call,
                queue,
                priority,
                number,
                exit_keys,
                actions,
            } => {
                self.calls.insert(call.clone(), actions);
                self.handle(Event::CallerJoined {
                    call,
                    queue,
                    priority,
                    number,
                    exit_keys,
                });
            }
            Request::Event(event) => {
                let gone = match &event {
                    Event::CallerLeft { call } | Event::CallEnded { call } => Some(call.clone()),
                    _ => None,
                };
                self.handle(event);
                if let Some(call) = gone {
                    self.calls.remove(&call);
                    self.callbacks.remove(&call);
                }
            }
            Request::ToggleLogin { agent, reply } => {
                reply.send(self.toggle_login(&agent)).ok();
            }
            Request::TogglePause { agent, reply } => {
                reply.send(self.toggle_pause(&agent)).ok();
            }
            Request::Reload { config, registered } => self.reload(&config, &registered),
        }
    }

    fn toggle_login(&mut self, agent: &str) -> Result<String, String> {
        let Some(queues) = self.memberships.get(agent).cloned() else {
            return Err(format!("{agent} is a member of no queue"));
        };
        let logged_in = !matches!(
            self.acd.lock().agent_state(agent),
            None | Some(AgentState::LoggedOut)
        );
        let names: Vec<&str> = queues.iter().map(|(q, _, _)| q.as_str()).collect();
        let text = if logged_in {
            self.handle(Event::AgentLogout {
                agent: agent.to_owned(),
                queue: None,
            });
            format!("agent {agent} logged out of {}", names.join(", "))
        } else {
            for (queue, penalty, weight) in &queues {
                self.handle(Event::AgentLogin {
                    agent: agent.to_owned(),
                    queue: queue.clone(),
                    penalty: *penalty,
                    weight: *weight,
                });
            }
            format!("agent {agent} logged in to {}", names.join(", "))
        };
        info!("{text}");
        Ok(text)
    }

    fn toggle_pause(&mut self, agent: &str) -> Result<String, String> {
        let state = self.acd.lock().agent_state(agent);
        let text = match state {
            None | Some(AgentState::LoggedOut) => {
                return Err(format!("agent {agent} is not logged in"));
            }
            Some(AgentState::Paused(_)) => {
                self.handle(Event::AgentUnpause {
                    agent: agent.to_owned(),
                });
                format!("agent {agent} unpaused")
            }
            Some(_) => {
                self.handle(Event::AgentPause {
                    agent: agent.to_owned(),
                    reason: "*46".to_owned(),
                });
                format!("agent {agent} paused")
            }
        };
        info!("{text}");
        Ok(text)
    }

    fn handle(&mut self, event: Event) {
        let now = self.clock.now();
        debug!(?event, "queue event in");
        let actions = self.acd.lock().handle(event, now);
        for action in actions {
            self.route(action);
        }
    }

    /// Sends an action to the call it concerns (or to the task calling a caller back).
    fn route(&mut self, action: Action) {
        let call = match &action {
            Action::RingAgents { call, .. }
            | Action::CancelRinging { call, .. }
            | Action::Connect { call, .. }
            | Action::PlayPosition { call, .. }
            | Action::PlayPeriodic { call, .. }
            | Action::Leave { call, .. }
            | Action::StartCallback { call, .. } => call.clone(),
            Action::QueueEvent(event) => {
                self.log.submit(QueueLogEntry::Queue(event.clone()));
                event.call.clone()
            }
            Action::AgentState {
                at,
                agent,
                state,
                occupancy,
            } => {
                info!(%agent, ?state, "agent state");
                self.log.submit(QueueLogEntry::Agent {
                    record: AgentRecord {
                        at: *at,
                        agent: agent.clone(),
                        occupancy: *occupancy,
                    },
                    state: state.clone(),
                });
                return;
            }
            Action::Refused { subject, reason } => {
                info!(%subject, %reason, "queue request refused");
                return;
            }
        };
        // A caller who asked for a callback keeps the channel (its callback task reads it)
        // until the time in the queue ends some other way than with an agent.
        let leaving = match &action {
            Action::Leave {
                reason: LeaveReason::Callback,
                ..
            } => {
                self.callbacks.insert(call.clone());
                false
            }
            Action::Leave { .. } => true,
            Action::QueueEvent(QueueEvent {
                kind: QueueEventKind::Ended { outcome, .. },
                ..
            }) if !matches!(outcome, Outcome::Connected { .. }) => self.callbacks.remove(&call),
            _ => false,
        };
        match self.calls.get(&call) {
            Some(tx) => {
                if tx.send(action).is_err() {
                    debug!(%call, "queue action for a call that is gone");
                }
            }
            None => {
                if let Action::QueueEvent(event) = &action {
                    info!(queue = %event.queue, %call, kind = ?event.kind, "queue event");
                }
            }
        }
        if leaving {
            self.calls.remove(&call);
        }
    }
}

fn view(acd: &Acd, queues: &[QueueInfo], now: DateTime<Utc>) -> QueuesView {
    let queues = queues
        .iter()
        .map(|q| QueueView {
            name: q.name.clone(),
            number: q.number.clone(),
            strategy: q.strategy.name().to_owned(),
            figures: acd.queue_figures(&q.name, now).unwrap_or_default(),
            callers: acd
                .queue_callers(&q.name, now)
                .unwrap_or_default()
                .into_iter()
                .map(|(call, view)| QueueCallerView {
                    call,
                    position: view.position,
                    waited_secs: view.waited.as_secs(),
                    ringing: view.ringing,
                    callback: view.callback,
                })
                .collect(),
            members: q.members.clone(),
        })
        .collect();
    let agents = acd
        .agent_states()
        .map(|(agent, state)| AgentView {
            agent: agent.to_owned(),
            state: state.name().to_owned(),
            reason: state.reason().map(str::to_owned),
        })
        .collect();
    QueuesView { queues, agents }
}

/// How long an agent's phone may ring at most; the engine's own `ring_timeout` cancels
/// it sooner.
pub(crate) const AGENT_RING_LIMIT: Duration = Duration::from_secs(600);
