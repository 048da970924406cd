//! What a source answers: the responsible person as that source knows them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A place the responsible manager is looked up in; one of each kind at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceId {
    /// The PBX's own call history: who last talked to this number.
    History,
    /// amoCRM (API v4).
    #[serde(rename = "amocrm")]
    AmoCrm,
    /// Bitrix24 (REST through an inbound webhook).
    Bitrix24,
    /// Megaplan (API v3).
    Megaplan,
    /// Any HTTP service answering `{"extension": ...}` or `{"email": ...}`.
    Http,
}

impl SourceId {
    /// Every kind, in the order of the default configuration.
    pub const ALL: [SourceId; 5] = [
        SourceId::History,
        SourceId::AmoCrm,
        SourceId::Bitrix24,
        SourceId::Megaplan,
        SourceId::Http,
    ];

    /// The key of its table in the config (`[icm.amocrm]`).
    pub fn key(self) -> &'static str {
        match self {
            SourceId::History => "history",
            SourceId::AmoCrm => "amocrm",
            SourceId::Bitrix24 => "bitrix24",
            SourceId::Megaplan => "megaplan",
            SourceId::Http => "http",
        }
    }
}

impl fmt::Display for SourceId {
    /// The name in the trace, spelled as the product spells itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceId::AmoCrm => "amoCRM",
            other => other.key(),
        })
    }
}

/// The responsible person as a source found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// What was found, for the trace: `contact 123, responsible user 7`.
    pub found: String,
    /// How the PBX can tell which employee it is.
    pub who: Employee,
}

/// How a source names an employee; the engine maps it to an extension by the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Employee {
    /// The extension itself (the call history, a generic HTTP source).
    Extension(String),
    /// A CRM user, mapped by its id, then its e-mail, then its own extension field.
    User {
        /// The CRM's user id (`7`).
        id: String,
        /// The user's e-mail, when the source fetched it.
        email: Option<String>,
        /// The user's internal phone as the CRM stores it (Bitrix24's `UF_PHONE_INNER`).
        extension: Option<String>,
    },
    /// Only an e-mail address.
    Email(String),
}
