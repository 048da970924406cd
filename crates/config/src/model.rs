//! The configuration as the PBX reads it: a TOML file, or the embedded demo office.
//!
//! These types are only the shape of the file. Deserializing them checks types and rejects
//! unknown keys (`deny_unknown_fields`, so a typo is an error, not a silently ignored line);
//! whether the values make sense together is checked by [`Config::validate`].

use sb_flow::scenario::ScenarioConfig;
use sb_flow::schedule::{Mode, ScheduleConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// The whole configuration file.
///
/// The lists are TOML arrays of tables named in the singular (`[[extension]]`, `[[trunk]]`,
/// `[[did]]`, `[[queue]]`, `[[internal]]`, `[[feature_code]]`), because each table in the
/// file describes one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[pbx]`: switch-wide timers and limits; every key has a default.
    #[serde(default)]
    pub pbx: Pbx,
    /// `[numbering]`: how short numbers are completed; defaults to Moscow (7, 495).
    #[serde(default)]
    pub numbering: Numbering,
    /// `[media]`: prompt language, tone plan, the operator's own prompts.
    #[serde(default)]
    pub media: crate::media::Media,
    /// `[moh.NAME]`: music-on-hold classes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub moh: BTreeMap<String, crate::media::MohClass>,
    /// `[[extension]]`: the people who register phones.
    #[serde(default, rename = "extension")]
    pub extensions: Vec<Extension>,
    /// `[[trunk]]`: the carriers calls come in from and go out through.
    #[serde(default, rename = "trunk")]
    pub trunks: Vec<Trunk>,
    /// `[[did]]`: the trunks' numbers and where their calls go.
    #[serde(default, rename = "did")]
    pub dids: Vec<Did>,
    /// `[[queue]]`: call queues and their members.
    #[serde(default, rename = "queue")]
    pub queues: Vec<Queue>,
    /// `[[internal]]`: internal numbers that lead to a scenario, a queue or an extension.
    #[serde(default, rename = "internal", skip_serializing_if = "Vec::is_empty")]
    pub internals: Vec<Internal>,
    /// `[[feature_code]]`: star codes dialled from phones, like `*51` for night mode.
    #[serde(
        default,
        rename = "feature_code",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub feature_codes: Vec<FeatureCode>,
    /// Working hours, lunch and holidays by name (`[schedule.main]`), read by scenarios.
    #[serde(default, rename = "schedule")]
    pub schedules: BTreeMap<String, ScheduleConfig>,
    /// Call flows by name (`[scenario.main]`), reached from DIDs (`scenario:main`).
    #[serde(default, rename = "scenario")]
    pub scenarios: BTreeMap<String, ScenarioConfig>,
    /// `[voicemail]`: message length, silence, PIN attempts, the time zone of message times.
    #[serde(default)]
    pub voicemail: crate::voicemail::Voicemail,
    /// `[[mailbox]]`: shared voicemail boxes (every extension also has its own).
    #[serde(default, rename = "mailbox", skip_serializing_if = "Vec::is_empty")]
    pub mailboxes: Vec<crate::voicemail::Mailbox>,
    /// `[email]`: the SMTP server voicemail is e-mailed through; left out, nothing is
    /// mailed. Never written back out (`print-demo-config`), since it holds a password.
    #[serde(default, skip_serializing)]
    pub email: Option<sb_mail::SmtpConfig>,
    /// `[icm]`: the responsible-manager service (sources in order, CRM settings,
    /// exclusions, time limits). Left out, `responsible` steps find nobody.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::icm_ser::serialize"
    )]
    pub icm: Option<sb_icm::IcmConfig>,
}

/// The built-in scenario of the responsible-manager service (6100 in the demo): one
/// `responsible` step for the calling number; when nobody is found, or the manager does not
/// answer, the call ends with the outcome as its cause (`not_found`, `no_answer`, `busy`,
/// `unavailable`). A `[scenario.responsible]` of one's own replaces it.
pub const RESPONSIBLE_SCENARIO: &str = "responsible";

/// Switch-wide timers and limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pbx {
    /// The SIP domain and digest realm phones register to.
    pub domain: String,
    /// How long an extension rings before the caller gets 480.
    pub ring_timeout_secs: u64,
    /// A call whose RTP stopped for this long in both directions is ended.
    pub rtp_timeout_secs: u64,
    /// A REGISTER asking for less than this is answered 423 Interval Too Brief, so phones
    /// cannot flood the registrar with refreshes.
    pub register_min_expires: u32,
    /// A REGISTER asking for more than this is granted only this, so a phone that vanished
    /// is forgotten within a bounded time.
    pub register_max_expires: u32,
    /// Granted to a REGISTER that asks for no particular expiry.
    pub register_default_expires: u32,
    /// How long a digest nonce stays valid before the client is told `stale=true`.
    pub nonce_ttl_secs: u64,
    /// Also challenge with SHA-256 digests (RFC 8760) beside MD5. Off by default because
    /// some phones refuse a challenge list with an algorithm they do not know.
    pub digest_sha256: bool,
    /// On SIGTERM, how long calls in progress may go on before they are ended.
    pub drain_timeout_secs: u64,
    /// Calls in progress (ringing, waiting in a queue, talking) past which a new INVITE is
    /// refused at once with 503 and `Retry-After`, so the calls already up keep their
    /// quality; the PBX also refuses new calls, whatever this says, while it falls behind
    /// (its event loop is late).
    pub max_calls: usize,
}

impl Default for Pbx {
    fn default() -> Self {
        Pbx {
            domain: "switchboard.local".into(),
            ring_timeout_secs: 30,
            rtp_timeout_secs: 60,
            register_min_expires: 60,
            register_max_expires: 3600,
            register_default_expires: 600,
            nonce_ttl_secs: 300,
            digest_sha256: false,
            drain_timeout_secs: 30,
            max_calls: 2000,
        }
    }
}

/// How numbers without a country or area code are completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Numbering {
    /// The home country's calling code, digits without `+` (`7`).
    pub country_code: String,
    /// The home area code, digits (`495`); numbers dialled or received without one are in
    /// this area. Empty where the country has no area codes.
    pub area_code: String,
}

impl Default for Numbering {
    fn default() -> Self {
        Numbering {
            country_code: "7".into(),
            area_code: "495".into(),
        }
    }
}

/// A person's extension: the SIP user name is the number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The internal number, 2 to 6 digits; also the SIP user name and digest user.
    pub number: String,
    /// The person's name, shown as the caller's display name.
    pub name: String,
    /// The SIP digest password, at least 4 characters.
    pub password: String,
    /// What the person does (`sales`, `director`): for people reading the configuration,
    /// and for the web pages.
    #[serde(default)]
    pub role: Option<String>,
    /// Where voicemail and missed-call notices are mailed.
    #[serde(default)]
    pub email: Option<String>,
    /// The PIN of the person's voicemail box (4 to 8 digits), asked by `*97`; a PIN
    /// changed by phone replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_pin: Option<String>,
    /// Whether direct calls to this extension that are not answered (or find the person
    /// busy, or no phone registered) go to the person's box; left out,
    /// `[voicemail] on_no_answer`. Read it with [`Config::no_answer_voicemail`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_on_no_answer: Option<bool>,
    /// How long those calls ring before the box takes them, seconds (5 to 300); left out,
    /// `[voicemail] ring_timeout_secs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_ring_timeout_secs: Option<u32>,
    /// The person's mobile (`+79000000101`), reached through a trunk when they are away.
    #[serde(default)]
    pub mobile: Option<String>,
    /// Never chosen as a caller's responsible manager (the director).
    #[serde(default)]
    pub exclude_from_responsible: bool,
    /// How this person's phones send digits: `["rfc4733", "info", "inband"]`, any of them;
    /// left out, RFC 4733 and SIP INFO (see [`DigitMethods`](crate::DigitMethods)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<Vec<crate::DigitMethod>>,
}

/// A carrier's SIP trunk, authenticated by the address its requests come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trunk {
    /// A unique name that [`Did`]s refer to.
    pub name: String,
    /// Requests from these source addresses are this trunk's. A port of 0 accepts any port
    /// of that address, for carriers that send from changing ports.
    pub inbound_addresses: Vec<SocketAddr>,
    /// Where calls out through this trunk are sent.
    pub outbound_address: SocketAddr,
    /// How the carrier sends digits, as for an extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<Vec<crate::DigitMethod>>,
}

/// A number of a trunk and where its calls go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Did {
    /// The number as the carrier sends it, digits only (`74950000000`).
    pub number: String,
    /// The name of the [`Trunk`] the number belongs to.
    pub trunk: String,
    /// `extension:101`, `queue:sales` or `scenario:main`; read it with
    /// [`Did::parsed_target`].
    pub target: String,
}

/// A call queue: `[[queue]]` is read as the distributor's own queue table
/// ([`sb_acd::QueueConfig`]), so every key of the ACD (`strategy`, `ring_timeout`,
/// `wrapup`, `max_wait`, `max_len`, `join_empty`, `leave_when_empty`,
/// `announce_frequency`, ...) is checked here with its key path; `name`, `number` and
/// `members` keep their meaning.
///
/// `members` are the queue's agents: they start logged in, and each can log out and in
/// again with `*45` and pause with `*46`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Queue(pub sb_acd::QueueConfig);

impl std::ops::Deref for Queue {
    type Target = sb_acd::QueueConfig;
    fn deref(&self) -> &sb_acd::QueueConfig {
        &self.0
    }
}

impl std::ops::DerefMut for Queue {
    fn deref_mut(&mut self) -> &mut sb_acd::QueueConfig {
        &mut self.0
    }
}

impl Queue {
    /// The members' extension numbers, in the order written.
    pub fn member_numbers(&self) -> Vec<String> {
        self.0.members.iter().map(|m| m.settings().agent).collect()
    }
}

impl Serialize for Queue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::queue_ser::serialize(&self.0, serializer)
    }
}

/// An internal number that leads to a scenario, a queue or an extension: `800` reaches the
/// main menu from inside, to try it without calling in through the carrier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Internal {
    /// The number dialled, 2 to 6 digits, unlike any extension, queue or other internal
    /// number (they share one dial plan).
    pub number: String,
    /// `scenario:main`, `queue:sales` or `extension:101`; read it with
    /// [`Internal::parsed_target`].
    pub target: String,
}

/// A star code dialled from a phone, and what it does.
///
/// Today there is one action, the manual schedule override: the secretary dials `*51`
/// when the office closes early, and calls take the night branch until `*50` (or until
/// `hours` pass).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureCode {
    /// `*` and 1 to 4 digits, unique, and none of Switchboard's own codes (`*97`, `*98`,
    /// `*45`, `*46`, `*8`).
    pub code: String,
    /// What dialling it does.
    pub action: FeatureAction,
    /// The schedule (`[schedule.NAME]`) it overrides.
    pub schedule: String,
    /// The mode it forces, or `auto` to remove the override and follow the hours again.
    pub mode: OverrideMode,
    /// Extension numbers allowed to dial it; empty (the default) allows nobody, so that an
    /// office's mode is never changed by whoever happens to find the code.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// How many hours the override lasts; left out, it lasts until removed. Not with
    /// `auto`, which removes rather than sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
}

impl FeatureCode {
    /// Whether extension `number` may dial this code.
    pub fn is_allowed(&self, number: &str) -> bool {
        self.allowed.iter().any(|allowed| allowed == number)
    }

    /// How long the override lasts, or `None` for as long as nobody removes it.
    pub fn duration(&self) -> Option<Duration> {
        self.hours
            .map(|hours| Duration::from_secs(u64::from(hours) * 3600))
    }
}

/// What a [`FeatureCode`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureAction {
    /// `schedule_override`: force a schedule's mode, or remove the forced mode.
    ScheduleOverride,
}

/// The mode a schedule-override code sets: a [`Mode`], or `auto` for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverrideMode {
    /// Working hours.
    Day,
    /// Outside working hours.
    Night,
    /// The lunch break.
    Lunch,
    /// A holiday.
    Holiday,
    /// No override: the schedule's own hours decide again.
    Auto,
}

impl OverrideMode {
    /// The mode to force, or `None` to remove the override.
    pub fn mode(self) -> Option<Mode> {
        match self {
            OverrideMode::Day => Some(Mode::Day),
            OverrideMode::Night => Some(Mode::Night),
            OverrideMode::Lunch => Some(Mode::Lunch),
            OverrideMode::Holiday => Some(Mode::Holiday),
            OverrideMode::Auto => None,
        }
    }
}

impl From<OverrideMode> for Option<Mode> {
    fn from(mode: OverrideMode) -> Self {
        mode.mode()
    }
}
