//! The responsible-manager service as the PBX runs it: `[icm]` with the store's call
//! records as the `history` source.

use anyhow::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sb_config::Config;
use sb_icm::source::{AnsweredCall, CallHistory, HistoryError};
use sb_icm::{Icm, IcmConfig};
use sb_sip::PbxClock;
use sb_store::Store;
use std::sync::Arc;

/// The PBX's own call records as the ICM's call history.
pub struct StoreHistory {
    store: Store,
    /// The home country's calling code, for the national form of a number (`8...` in 7).
    country_code: u16,
    /// The home area code, for the local form of a number of this area.
    area_code: String,
}

/// The ways carriers and people write `e164` (`+74951234567`): as is, without `+`
/// (`74951234567`), national with the trunk prefix (`84951234567` in Russia, `0...`
/// elsewhere), national without it (`4951234567`), and local when it is in the home area
/// (`1234567`). Call records keep numbers as they were signalled, so all are looked for.
pub fn number_forms(e164: &str, country_code: u16, area_code: &str) -> Vec<String> {
    let digits = e164.trim_start_matches('+');
    let mut forms = vec![format!("+{digits}"), digits.to_owned()];
    if let Some(national) = digits.strip_prefix(&country_code.to_string()) {
        if !national.is_empty() {
            let prefix = if country_code == 7 { "8" } else { "0" };
            forms.push(format!("{prefix}{national}"));
            forms.push(national.to_owned());
            if let Some(local) = national.strip_prefix(area_code) {
                if !area_code.is_empty() && local.len() >= 5 {
                    forms.push(local.to_owned());
                }
            }
        }
    }
    forms.dedup();
    forms
}

#[async_trait]
impl CallHistory for StoreHistory {
    async fn last_answered(
        &self,
        e164: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<AnsweredCall>, HistoryError> {
        let forms = number_forms(e164, self.country_code, &self.area_code);
        let call = self.store.last_answered(&forms, since).await?;
        Ok(call.map(|call| AnsweredCall {
            extension: call.extension,
            at: call.at,
        }))
    }
}

/// The `[icm]` the service runs with: the file's, with every extension marked
/// `exclude_from_responsible` added to `exclude`.
pub fn effective_config(config: &Config) -> Option<IcmConfig> {
    let mut icm = config.icm.clone()?;
    for extension in &config.extensions {
        if extension.exclude_from_responsible {
            icm.exclude.insert(extension.number.clone());
        }
    }
    Some(icm)
}

/// Builds the service from `[icm]`, or `None` when the file has no `[icm]`.
pub fn build(config: &Config, store: &Store, clock: PbxClock) -> Result<Option<Arc<Icm>>> {
    let Some(icm) = effective_config(config) else {
        return Ok(None);
    };
    let history = Arc::new(StoreHistory {
        store: store.clone(),
        country_code: icm.numbering.country_code,
        area_code: icm.numbering.area_code.clone(),
    });
    let clock: sb_icm::Clock = Arc::new(move || clock.now());
    let service = Icm::from_config(&icm, Some(history), clock)
        .map_err(|errors| anyhow::anyhow!("[icm]:\n{errors}"))?;
    Ok(Some(Arc::new(service)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_a_moscow_number() {
        assert_eq!(
            number_forms("+74951234567", 7, "495"),
            [
                "+74951234567",
                "74951234567",
                "84951234567",
                "4951234567",
                "1234567"
            ]
        );
        assert_eq!(
            number_forms("+79000000104", 7, "495"),
            ["+79000000104", "79000000104", "89000000104", "9000000104"]
        );
    }
}
