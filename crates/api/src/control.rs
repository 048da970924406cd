//! The PBX's controls over HTTP: reload the configuration, lay or lift a manual schedule
//! override ("we close early today") without walking to a phone, and upload voicemail
//! greetings to the boxes the configuration has.
//!
//! These change how calls are routed, so they answer only requests from the machine
//! itself (loopback): an operator runs `curl` on the server, or puts an authenticating
//! reverse proxy in front. Reads stay open like the rest of the API.

use serde::{Deserialize, Serialize};

/// The controls, implemented by the SIP layer (as [`LiveView`](crate::LiveView) is).
pub trait Control: Send + Sync + 'static {
    /// Loads the configuration file again; calls in progress keep their version.
    fn reload(&self) -> Result<(), ControlError>;
    /// Every schedule: its mode now, and any override.
    fn schedules(&self) -> Vec<ScheduleView>;
    /// Lays an override on `schedule`.
    fn set_override(
        &self,
        schedule: &str,
        request: OverrideRequest,
    ) -> Result<ScheduleView, ControlError>;
    /// Lifts the override from `schedule`: it follows its hours again.
    fn clear_override(&self, schedule: &str) -> Result<ScheduleView, ControlError>;

    /// Whether `mailbox` is a voicemail box of the configuration in force (an extension's
    /// number or a `[[mailbox]]`'s name), so greetings are uploaded only for boxes calls can
    /// reach; none by default, for a PBX without voicemail.
    fn has_mailbox(&self, _mailbox: &str) -> bool {
        false
    }
}

/// Why a control did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No such schedule.
    #[error("no schedule {0:?}")]
    UnknownSchedule(String),
    /// The request asks for something impossible (an unknown mode).
    #[error("{0}")]
    Invalid(String),
    /// The new configuration was refused; the running one stays. The text lists every error.
    #[error("{0}")]
    Refused(String),
}

/// One schedule as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleView {
    /// Its name, `main`.
    pub name: String,
    /// `day`, `lunch`, `night` or `holiday`, the override included.
    pub mode: String,
    /// Why, as the routing trace says it: `schedule: lunch (13:05 Europe/Moscow, Mon)`.
    pub reason: String,
    /// The manual override in force, if any.
    #[serde(rename = "override")]
    pub manual: Option<OverrideView>,
}

/// A manual override in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverrideView {
    /// The mode it forces.
    pub mode: String,
    /// When it ends (RFC 3339); `None` until lifted.
    pub until: Option<String>,
    /// Who laid it: `extension 101 (*51)`, `api`.
    pub set_by: String,
}

/// The body of `PUT /api/schedules/{name}/override`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// `day`, `lunch`, `night` or `holiday`.
    pub mode: String,
    /// How long it lasts; until lifted when left out.
    #[serde(default)]
    pub hours: Option<u32>,
    /// Who asks, for the routing trace; `api` when left out.
    #[serde(default)]
    pub set_by: Option<String>,
}
