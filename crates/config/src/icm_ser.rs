//! Writing `[icm]` back as TOML: the responsible-manager service's types are read-only
//! (serde `Deserialize`), so the table is written here through mirror types that read back
//! to the same configuration. Credentials are written as they are: this is the file itself,
//! never a log (their `Debug` prints `***`).

use sb_icm::config::{AmoCrmConfig, Bitrix24Config, HttpConfig, MegaplanConfig};
use sb_icm::{IcmConfig, SourceId};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Serialize)]
struct Icm<'a> {
    order: &'a [SourceId],
    exclude: &'a BTreeSet<String>,
    timeout_ms: u64,
    cache_ttl: u64,
    breaker_threshold: u32,
    breaker_cooldown: u64,
    emails: &'a BTreeMap<String, String>,
    numbering: Numbering<'a>,
    history: History,
    #[serde(skip_serializing_if = "Option::is_none")]
    amocrm: Option<AmoCrm<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bitrix24: Option<Bitrix24<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    megaplan: Option<Megaplan<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http: Option<Http<'a>>,
}

#[derive(Serialize)]
struct Numbering<'a> {
    country_code: u16,
    area_code: &'a str,
    internal_max_digits: usize,
}

#[derive(Serialize)]
struct History {
    window_days: u32,
}

#[derive(Serialize)]
struct AmoCrm<'a> {
    url: &'a str,
    token: &'a str,
    users: &'a BTreeMap<String, String>,
    fetch_emails: bool,
}

#[derive(Serialize)]
struct Bitrix24<'a> {
    webhook: &'a str,
    users: &'a BTreeMap<String, String>,
    fetch_users: bool,
}

#[derive(Serialize)]
struct Megaplan<'a> {
    url: &'a str,
    token: &'a str,
    users: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Http<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
}

fn amocrm(c: &AmoCrmConfig) -> AmoCrm<'_> {
    AmoCrm {
        url: &c.url,
        token: c.token.expose(),
        users: &c.users,
        fetch_emails: c.fetch_emails,
    }
}

fn bitrix24(c: &Bitrix24Config) -> Bitrix24<'_> {
    Bitrix24 {
        webhook: c.webhook.expose(),
        users: &c.users,
        fetch_users: c.fetch_users,
    }
}

fn megaplan(c: &MegaplanConfig) -> Megaplan<'_> {
    Megaplan {
        url: &c.url,
        token: c.token.expose(),
        users: &c.users,
    }
}

fn http(c: &HttpConfig) -> Http<'_> {
    Http {
        url: c.url.expose(),
        token: c.token.as_ref().map(|t| t.expose()),
    }
}

/// `serialize_with` for `Config::icm` (skipped when `None`).
pub(crate) fn serialize<S: Serializer>(
    icm: &Option<IcmConfig>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let Some(c) = icm else {
        return serializer.serialize_none();
    };
    Icm {
        order: &c.order,
        exclude: &c.exclude,
        timeout_ms: c.timeout_ms,
        cache_ttl: c.cache_ttl,
        breaker_threshold: c.breaker_threshold,
        breaker_cooldown: c.breaker_cooldown,
        emails: &c.emails,
        numbering: Numbering {
            country_code: c.numbering.country_code,
            area_code: &c.numbering.area_code,
            internal_max_digits: c.numbering.internal_max_digits,
        },
        history: History {
            window_days: c.history.window_days,
        },
        amocrm: c.amocrm.as_ref().map(amocrm),
        bitrix24: c.bitrix24.as_ref().map(bitrix24),
        megaplan: c.megaplan.as_ref().map(megaplan),
        http: c.http.as_ref().map(http),
    }
    .serialize(serializer)
}
