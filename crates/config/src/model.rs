//! The configuration as the PBX reads it: a TOML file, or the embedded demo office.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub pbx: Pbx,
    #[serde(default)]
    pub numbering: Numbering,
    #[serde(default, rename = "extension")]
    pub extensions: Vec<Extension>,
    #[serde(default, rename = "trunk")]
    pub trunks: Vec<Trunk>,
    #[serde(default, rename = "did")]
    pub dids: Vec<Did>,
    #[serde(default, rename = "queue")]
    pub queues: Vec<Queue>,
}

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
    pub register_min_expires: u32,
    pub register_max_expires: u32,
    pub register_default_expires: u32,
    /// How long a digest nonce stays valid before the client is told `stale=true`.
    pub nonce_ttl_secs: u64,
    /// On SIGTERM, how long calls in progress may go on before they are ended.
    pub drain_timeout_secs: u64,
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
            drain_timeout_secs: 30,
        }
    }
}

/// How numbers without a country or area code are completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Numbering {
    pub country_code: String,
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
    pub number: String,
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    /// Never chosen as a caller's responsible manager (the director).
    #[serde(default)]
    pub exclude_from_responsible: bool,
}

/// A carrier's SIP trunk, authenticated by the address its requests come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trunk {
    pub name: String,
    /// Requests from these source addresses are this trunk's.
    pub inbound_addresses: Vec<SocketAddr>,
    /// Where calls out through this trunk are sent.
    pub outbound_address: SocketAddr,
}

/// A number of a trunk and where its calls go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Did {
    pub number: String,
    pub trunk: String,
    /// `extension:101`, `queue:sales` or `scenario:main`.
    pub target: String,
}

/// A call queue and its static members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub name: String,
    /// The internal number that reaches the queue (700).
    pub number: String,
    #[serde(default)]
    pub members: Vec<String>,
}
