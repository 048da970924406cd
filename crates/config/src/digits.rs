//! How a phone or a trunk sends the digits callers press (`dtmf = [...]` on an
//! `[[extension]]` or a `[[trunk]]`).

use serde::{Deserialize, Serialize};

/// One way digits travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigitMethod {
    /// RFC 4733 telephone-events in the RTP stream: the default of every modern phone.
    Rfc4733,
    /// SIP INFO requests (`application/dtmf-relay`, `application/dtmf`).
    Info,
    /// Tones in the audio itself, for old gateways; detected on G.711.
    Inband,
}

/// The digit methods accepted from one leg.
///
/// Left out, a leg may use RFC 4733 and SIP INFO, and its audio is listened to for tones
/// only when it did not negotiate telephone-event (so a phone sending both is not heard
/// twice). Written out, exactly the listed methods are used: telephone-event is only
/// negotiated when `rfc4733` is listed, INFO digits are only taken when `info` is, and the
/// audio is always listened to when `inband` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitMethods {
    pub rfc4733: bool,
    pub info: bool,
    /// `Some(on)` when configured; `None` for the automatic choice.
    pub inband: Option<bool>,
}

impl DigitMethods {
    /// The methods of a leg whose `dtmf` key is `listed`.
    pub fn from_config(listed: Option<&[DigitMethod]>) -> DigitMethods {
        match listed {
            None => DigitMethods {
                rfc4733: true,
                info: true,
                inband: None,
            },
            Some(listed) => DigitMethods {
                rfc4733: listed.contains(&DigitMethod::Rfc4733),
                info: listed.contains(&DigitMethod::Info),
                inband: Some(listed.contains(&DigitMethod::Inband)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_out_means_rfc4733_and_info_with_automatic_inband() {
        let auto = DigitMethods::from_config(None);
        assert!(auto.rfc4733 && auto.info);
        assert_eq!(auto.inband, None);
    }

    #[test]
    fn written_out_means_exactly_those() {
        let inband_only = DigitMethods::from_config(Some(&[DigitMethod::Inband]));
        assert_eq!(
            inband_only,
            DigitMethods {
                rfc4733: false,
                info: false,
                inband: Some(true)
            }
        );
        let rfc = DigitMethods::from_config(Some(&[DigitMethod::Rfc4733]));
        assert_eq!(rfc.inband, Some(false));
        assert!(!rfc.info);
    }
}
