//! The live state of the PBX as the HTTP side sees it: a snapshot taken on demand from
//! whatever owns calls and registrations (the SIP layer), so the API never reaches into SIP
//! internals and its tests can hand it any state they like.

use serde::Serialize;

/// A source of [`LiveSnapshot`]s, implemented by the SIP layer.
///
/// `snapshot` is called on an HTTP task for every `/metrics` scrape and every
/// `/api/registrations` request, so it must be quick and must not block: copy the counters
/// and the registrar's entries out under a short lock, nothing more.
pub trait LiveView: Send + Sync + 'static {
    /// The state of the PBX at this moment.
    fn snapshot(&self) -> LiveSnapshot;

    /// Every queue's live figures and callers, and every agent's state (`/api/queues`);
    /// none by default, for a PBX without queues.
    fn queues(&self) -> QueuesSnapshot {
        QueuesSnapshot::default()
    }

    /// The configured queues with their service-level thresholds, in configuration order,
    /// for `/api/queues/stats`; none by default.
    fn reported_queues(&self) -> Vec<sb_acd::ReportedQueue> {
        Vec::new()
    }

    /// The PBX's time, which its records are stamped with: not the machine's when the PBX
    /// was started with `--start-time`. The end of a report the reader did not bound.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}

/// The queues and agents now, as `GET /api/queues` shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueuesSnapshot {
    /// Every `[[queue]]`, in the order of the configuration.
    pub queues: Vec<QueueLive>,
    /// Every agent the distributor knows, with its state.
    pub agents: Vec<AgentLive>,
}

/// One queue now.
#[derive(Debug, Clone, Serialize)]
pub struct QueueLive {
    /// The queue's name, `sales`.
    pub name: String,
    /// Its internal number, `700`.
    pub number: String,
    /// How an agent is picked: `ring_all`, `round_robin`, `longest_idle`, ...
    pub strategy: String,
    /// Callers waiting (callbacks included).
    pub waiting: usize,
    /// The longest wait so far of a caller in the line, in seconds.
    pub longest_wait_secs: u64,
    /// Members logged in.
    pub logged_in: usize,
    /// Members who may be offered a call now.
    pub available: usize,
    /// Members ringing, talking or wrapping up.
    pub busy: usize,
    /// Members paused.
    pub paused: usize,
    /// Members whose phones are not registered.
    pub unreachable: usize,
    /// The configured members (extension numbers).
    pub members: Vec<String>,
    /// The callers in line order.
    pub callers: Vec<QueueCallerLive>,
}

/// A caller waiting in a queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueCallerLive {
    /// Switchboard's call id.
    pub call: String,
    /// The place in the line, from 1.
    pub position: usize,
    /// Seconds waited so far.
    pub waited_secs: u64,
    /// Whether agents are ringing for this caller now.
    pub ringing: bool,
    /// Whether the caller hung up to be called back, keeping this place.
    pub callback: bool,
}

/// An agent and its state.
#[derive(Debug, Clone, Serialize)]
pub struct AgentLive {
    /// The extension number.
    pub agent: String,
    /// `logged_out`, `unreachable`, `available`, `ringing`, `on_call`, `wrap_up`, `paused`.
    pub state: String,
    /// Why paused, when paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What is going on in the PBX right now.
#[derive(Debug, Clone, Serialize)]
pub struct LiveSnapshot {
    /// Calls in progress (ringing or answered).
    pub active_calls: usize,
    /// Whether the PBX is draining for a shutdown: it finishes the calls it has and takes no
    /// new ones. Monitors alert on it, load balancers steer away.
    pub draining: bool,
    /// Every registered contact; one extension may have several (desk phone and softphone).
    pub registrations: Vec<RegistrationView>,
}

/// One registered contact, as the registrar holds it.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrationView {
    /// The extension (SIP user) that registered, `101`.
    pub extension: String,
    /// The Contact URI calls are sent to, `sip:101@192.0.2.10:5062`.
    pub contact: String,
    /// The address the REGISTER came from, `192.0.2.10:5062`: behind NAT it differs from the
    /// contact, and that is the first thing to look at when a phone does not ring.
    pub source: String,
    /// The transport it registered over, `UDP` or `TCP`.
    pub transport: String,
    /// Seconds until the registration expires unless renewed.
    pub expires_in_secs: u64,
    /// The phone's User-Agent header, when it sent one.
    pub user_agent: Option<String>,
}
