//! The `[icm]` table of the PBX's TOML: which sources, in which order, how to reach them,
//! and how their people map to extensions.
//!
//! ```
//! let config: sb_icm::IcmConfig = toml::from_str(r#"
//!     order = ["amocrm", "history"]   # asked in this order
//!     exclude = ["102"]                # never chosen: the director
//!     timeout_ms = 800                 # per source, then the next is asked
//!     cache_ttl = 300                  # seconds an answer is reused
//!     breaker_threshold = 3            # failures in a row that open the breaker
//!     breaker_cooldown = 60            # seconds an open breaker skips its source
//!     emails = { "gleb@example.com" = "104" }   # any source's user by e-mail
//!
//!     [numbering]
//!     country_code = 7
//!     area_code = "495"
//!
//!     [history]
//!     window_days = 90
//!
//!     [amocrm]
//!     url = "https://example.amocrm.ru"
//!     token = "long-lived token"
//!     users = { "7" = "104" }          # amoCRM user id → extension
//! "#).unwrap();
//! config.check().unwrap();
//! assert!(!format!("{config:?}").contains("long-lived token"));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use sb_secret::Secret;
use serde::Deserialize;

use crate::number::NumberPlan;
use crate::person::SourceId;
use crate::resolve::ResolverConfig;
use crate::source::http_checks;

/// `[icm]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcmConfig {
    /// Sources asked in this order; by default the call history alone.
    #[serde(default = "default_order")]
    pub order: Vec<SourceId>,
    /// Extensions never chosen.
    #[serde(default)]
    pub exclude: BTreeSet<String>,
    /// Milliseconds one source may take.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Seconds an answer is reused; 0 turns the cache off.
    #[serde(default = "default_cache_ttl")]
    pub cache_ttl: u64,
    /// Failures in a row that open a source's breaker.
    #[serde(default = "default_breaker_threshold")]
    pub breaker_threshold: u32,
    /// Seconds an open breaker skips its source.
    #[serde(default = "default_breaker_cooldown")]
    pub breaker_cooldown: u64,
    /// E-mail → extension, for users of any source.
    #[serde(default)]
    pub emails: BTreeMap<String, String>,
    /// The home numbering caller numbers are normalised with.
    #[serde(default)]
    pub numbering: NumberPlan,
    /// `[icm.history]`.
    #[serde(default)]
    pub history: HistoryConfig,
    /// `[icm.amocrm]`.
    #[serde(default)]
    pub amocrm: Option<AmoCrmConfig>,
    /// `[icm.bitrix24]`.
    #[serde(default)]
    pub bitrix24: Option<Bitrix24Config>,
    /// `[icm.megaplan]`.
    #[serde(default)]
    pub megaplan: Option<MegaplanConfig>,
    /// `[icm.http]`.
    #[serde(default)]
    pub http: Option<HttpConfig>,
}

fn default_order() -> Vec<SourceId> {
    vec![SourceId::History]
}
fn default_timeout_ms() -> u64 {
    800
}
fn default_cache_ttl() -> u64 {
    300
}
fn default_breaker_threshold() -> u32 {
    3
}
fn default_breaker_cooldown() -> u64 {
    60
}
fn default_true() -> bool {
    true
}

impl Default for IcmConfig {
    fn default() -> Self {
        toml_defaults()
    }
}

/// Every default, as an empty `[icm]` table gives them.
fn toml_defaults() -> IcmConfig {
    IcmConfig {
        order: default_order(),
        exclude: BTreeSet::new(),
        timeout_ms: default_timeout_ms(),
        cache_ttl: default_cache_ttl(),
        breaker_threshold: default_breaker_threshold(),
        breaker_cooldown: default_breaker_cooldown(),
        emails: BTreeMap::new(),
        numbering: NumberPlan::default(),
        history: HistoryConfig::default(),
        amocrm: None,
        bitrix24: None,
        megaplan: None,
        http: None,
    }
}

/// `[icm.history]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryConfig {
    /// How far back a call still makes its employee responsible.
    #[serde(default = "default_window_days")]
    pub window_days: u32,
}

fn default_window_days() -> u32 {
    90
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            window_days: default_window_days(),
        }
    }
}

/// `[icm.amocrm]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmoCrmConfig {
    /// The account's address, `https://example.amocrm.ru`.
    pub url: String,
    /// The long-lived token of a private integration.
    pub token: Secret,
    /// amoCRM user id → extension.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    /// Fetch the e-mail of a user not in `users`, for the e-mail map.
    #[serde(default = "default_true")]
    pub fetch_emails: bool,
}

/// `[icm.bitrix24]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bitrix24Config {
    /// The inbound webhook, `https://example.bitrix24.ru/rest/1/<token>/`.
    pub webhook: Secret,
    /// Bitrix24 user id → extension.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    /// Fetch the e-mail and internal phone of a user not in `users`.
    #[serde(default = "default_true")]
    pub fetch_users: bool,
}

/// `[icm.megaplan]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MegaplanConfig {
    /// The account's address, `https://example.megaplan.ru`.
    pub url: String,
    /// The API v3 access token.
    pub token: Secret,
    /// Megaplan employee id → extension.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
}

/// `[icm.http]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// URL template with `{number}`; kept secret, as such URLs often carry a key.
    pub url: Secret,
    /// Sent as `Authorization: Bearer`, when given.
    #[serde(default)]
    pub token: Option<Secret>,
}

/// One mistake in `[icm]`, with its key path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// `icm.order[1]`, `icm.amocrm.url`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Every mistake found at once; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl IcmConfig {
    /// Checks everything that can be checked without the network.
    pub fn check(&self) -> Result<(), ConfigErrors> {
        let mut errors = Vec::new();
        let mut error = |path: String, message: String| errors.push(ConfigError { path, message });
        let mut seen = BTreeSet::new();
        for (i, source) in self.order.iter().enumerate() {
            if !seen.insert(*source) {
                error(
                    format!("icm.order[{i}]"),
                    format!("{} is listed twice", source.key()),
                );
            }
            let configured = match source {
                SourceId::History => true,
                SourceId::AmoCrm => self.amocrm.is_some(),
                SourceId::Bitrix24 => self.bitrix24.is_some(),
                SourceId::Megaplan => self.megaplan.is_some(),
                SourceId::Http => self.http.is_some(),
            };
            if !configured {
                error(
                    format!("icm.order[{i}]"),
                    format!("{} has no [icm.{}] table", source.key(), source.key()),
                );
            }
        }
        if self.timeout_ms == 0 {
            error("icm.timeout_ms".into(), "must be more than 0".into());
        }
        if self.breaker_threshold == 0 {
            error("icm.breaker_threshold".into(), "must be at least 1".into());
        }
        if let Err(e) = self.numbering.check() {
            error("icm.numbering".into(), e.to_string());
        }
        for ext in &self.exclude {
            if !is_extension(ext) {
                error(
                    "icm.exclude".into(),
                    format!("{ext:?} is not an extension number"),
                );
            }
        }
        for (email, ext) in &self.emails {
            if !email.contains('@') {
                error(
                    format!("icm.emails.{email:?}"),
                    "is not an e-mail address".into(),
                );
            }
            if !is_extension(ext) {
                error(
                    format!("icm.emails.{email:?}"),
                    format!("{ext:?} is not an extension number"),
                );
            }
        }
        let user_maps = [
            ("amocrm", self.amocrm.as_ref().map(|c| &c.users)),
            ("bitrix24", self.bitrix24.as_ref().map(|c| &c.users)),
            ("megaplan", self.megaplan.as_ref().map(|c| &c.users)),
        ];
        for (key, users) in user_maps {
            for (id, ext) in users.into_iter().flatten() {
                if !is_extension(ext) {
                    error(
                        format!("icm.{key}.users.{id}"),
                        format!("{ext:?} is not an extension number"),
                    );
                }
            }
        }
        if let Some(amo) = &self.amocrm {
            if let Err(e) = http_checks::base_url(&amo.url) {
                error("icm.amocrm.url".into(), e);
            }
        }
        if let Some(bitrix) = &self.bitrix24 {
            // The message never quotes the webhook: it is the credential.
            if http_checks::base_url(bitrix.webhook.expose()).is_err() {
                error(
                    "icm.bitrix24.webhook".into(),
                    "is not an http(s) URL".into(),
                );
            }
        }
        if let Some(mega) = &self.megaplan {
            if let Err(e) = http_checks::base_url(&mega.url) {
                error("icm.megaplan.url".into(), e);
            }
        }
        if let Some(http) = &self.http {
            if let Err(e) = http_checks::template(http.url.expose()) {
                error("icm.http.url".into(), e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// The per-source timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// What the engine decides by.
    pub fn resolver_config(&self) -> ResolverConfig {
        let mut users = BTreeMap::new();
        if let Some(amo) = &self.amocrm {
            users.insert(SourceId::AmoCrm, amo.users.clone());
        }
        if let Some(bitrix) = &self.bitrix24 {
            users.insert(SourceId::Bitrix24, bitrix.users.clone());
        }
        if let Some(mega) = &self.megaplan {
            users.insert(SourceId::Megaplan, mega.users.clone());
        }
        ResolverConfig {
            order: self.order.clone(),
            exclude: self.exclude.clone(),
            users,
            emails: self
                .emails
                .iter()
                .map(|(email, ext)| (email.trim().to_lowercase(), ext.clone()))
                .collect(),
            timeout: self.timeout(),
            cache_ttl: Duration::from_secs(self.cache_ttl),
            breaker_threshold: self.breaker_threshold,
            breaker_cooldown: Duration::from_secs(self.breaker_cooldown),
            numbering: self.numbering.clone(),
        }
    }
}

fn is_extension(text: &str) -> bool {
    !text.is_empty() && text.len() <= 8 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_is_the_defaults() {
        let config: IcmConfig = toml::from_str("").unwrap();
        assert_eq!(config, IcmConfig::default());
        assert_eq!(config.order, [SourceId::History]);
        config.check().unwrap();
        let engine = config.resolver_config();
        assert_eq!(engine.timeout, Duration::from_millis(800));
        assert_eq!(engine.cache_ttl, Duration::from_secs(300));
    }

    #[test]
    fn every_mistake_at_once_and_no_secret_in_them() {
        let config: IcmConfig = toml::from_str(
            r#"
            order = ["amocrm", "bitrix24", "amocrm", "megaplan"]
            exclude = ["boris"]
            timeout_ms = 0
            breaker_threshold = 0
            emails = { "nobody" = "104" }
            [numbering]
            country_code = 999
            area_code = "495"
            [amocrm]
            url = "example.amocrm.ru"
            token = "t0ken"
            users = { "7" = "gleb" }
            [bitrix24]
            webhook = "portal/rest/1/s3cr3t/"
            "#,
        )
        .unwrap();
        let text = config.check().unwrap_err().to_string();
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                "icm.order[2]: amocrm is listed twice",
                "icm.order[3]: megaplan has no [icm.megaplan] table",
                "icm.timeout_ms: must be more than 0",
                "icm.breaker_threshold: must be at least 1",
                "icm.numbering: no country with calling code 999",
                "icm.exclude: \"boris\" is not an extension number",
                "icm.emails.\"nobody\": is not an e-mail address",
                "icm.amocrm.users.7: \"gleb\" is not an extension number",
                "icm.amocrm.url: not a URL: relative URL without a base",
                "icm.bitrix24.webhook: is not an http(s) URL",
            ]
        );
        assert!(!text.contains("s3cr3t") && !text.contains("t0ken"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<IcmConfig>("timeout = 5").unwrap_err();
        assert!(
            error.to_string().contains("unknown field `timeout`"),
            "{error}"
        );
    }
}
