//! Caller numbers to E.164, so every source is asked the same `+74951234567` whatever the
//! carrier put in the From header: `84951234567`, `8 (495) 123 45 67`, `74951234567`, or a
//! bare `1234567`.
//!
//! The country's rules (trunk prefix `8`, which lengths are valid, international prefixes)
//! come from the `phonenumber` crate, which carries Google's libphonenumber metadata; only
//! what a library cannot know is written here:
//! - a 7-digit number from a carrier that drops the home area code gets it back;
//! - a short number of at most [`NumberPlan::internal_max_digits`] digits is an internal
//!   extension (`101`), left alone and never sent to a CRM;
//! - `00` opens an international number: the ITU-recommended prefix, dialled and sent by
//!   carriers in Russia today, while the metadata for RU only knows the old `8~10`.

use std::fmt;
use std::str::FromStr;

use phonenumber::{country, Mode, PhoneNumber};
use serde::Deserialize;

/// The home numbering: the country and area that a number without them belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberPlan {
    /// Country calling code, `7` for Russia.
    pub country_code: u16,
    /// Home area code, `495` for Moscow.
    pub area_code: String,
    /// Caller numbers this short are internal extensions (the demo's are 3 and 4 digits).
    #[serde(default = "default_internal_max_digits")]
    pub internal_max_digits: usize,
}

fn default_internal_max_digits() -> usize {
    4
}

impl Default for NumberPlan {
    /// DEMO.md's office: country 7, area 495.
    fn default() -> Self {
        NumberPlan {
            country_code: 7,
            area_code: "495".to_owned(),
            internal_max_digits: default_internal_max_digits(),
        }
    }
}

/// What a caller number turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Number {
    /// An outside number in E.164, `+74951234567`.
    E164(String),
    /// An internal extension, `101`: nobody outside is responsible for it.
    Internal(String),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::E164(number) => f.write_str(number),
            Number::Internal(number) => write!(f, "internal {number}"),
        }
    }
}

/// Why a caller number was refused; the text quotes it, for the trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// No digits at all (an empty or withheld caller ID).
    #[error("no caller number")]
    Empty,
    /// Letters or symbols no telephone number has (`anonymous`, `12ab`).
    #[error("{0:?} is not a phone number")]
    NotANumber(String),
    /// Digits that no numbering plan accepts (too short, too long, no such area).
    #[error("{0:?} is not a valid number")]
    Invalid(String),
    /// The configured home numbering itself is wrong.
    #[error("no country with calling code {0}")]
    UnknownCountry(u16),
    /// The configured area code is not digits.
    #[error("area code {0:?} is not digits")]
    BadAreaCode(String),
}

impl NumberPlan {
    /// Checks the plan, so a typo fails at start-up rather than on every call.
    pub fn check(&self) -> Result<(), NumberError> {
        self.region()?;
        if self.area_code.is_empty() || !self.area_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberError::BadAreaCode(self.area_code.clone()));
        }
        Ok(())
    }

    /// The main region of the country code (RU for 7), which picks the national rules.
    fn region(&self) -> Result<country::Id, NumberError> {
        phonenumber::metadata::DATABASE
            .region(&self.country_code)
            .and_then(|regions| regions.first().map(|id| id.to_string()))
            .and_then(|id| country::Id::from_str(&id).ok())
            .ok_or(NumberError::UnknownCountry(self.country_code))
    }

    /// Normalises one caller number.
    pub fn normalise(&self, raw: &str) -> Result<Number, NumberError> {
        let text = raw.trim();
        if !text
            .chars()
            .all(|c| c.is_ascii_digit() || " \t+-().".contains(c))
        {
            return Err(NumberError::NotANumber(raw.to_owned()));
        }
        let plus = text.starts_with('+');
        if text[usize::from(plus)..].contains('+') {
            return Err(NumberError::NotANumber(raw.to_owned()));
        }
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Err(NumberError::Empty);
        }
        if !plus && digits.len() <= self.internal_max_digits {
            return Ok(Number::Internal(digits));
        }
        let region = self.region()?;
        let candidate = if plus {
            format!("+{digits}")
        } else if let Some(rest) = digits.strip_prefix("00") {
            format!("+{rest}")
        } else if digits.len() == 7 {
            // The carrier dropped the home area code.
            format!("{}{digits}", self.area_code)
        } else {
            digits
        };
        let number = phonenumber::parse(Some(region), &candidate)
            .map_err(|_| NumberError::Invalid(raw.to_owned()))?;
        if phonenumber::is_valid(&number) {
            return Ok(Number::E164(e164(&number)));
        }
        national_prefix_workaround(&candidate, number.code().value())
            .map(Number::E164)
            .ok_or_else(|| NumberError::Invalid(raw.to_owned()))
    }
}

fn e164(number: &PhoneNumber) -> String {
    number.format().mode(Mode::E164).to_string()
}

/// `phonenumber` 0.3.10 strips the trunk prefix a second time when the national number
/// itself begins with it, so `+78123124567` (St Petersburg, area 812) and `88005553535`
/// (toll-free 800) come out as `+7123124567` (rust-phonenumber issue #76, open). For such
/// a result this tries the readings the parser should have tried (the digits as they are,
/// without the trunk prefix once, without the country code) and keeps the first that the
/// library's own metadata calls a number of some type; no numbering rule is written here.
fn national_prefix_workaround(candidate: &str, code: u16) -> Option<String> {
    let metas = phonenumber::metadata::DATABASE.by_code(&code)?;
    let digits = candidate.trim_start_matches('+');
    let mut readings = Vec::new();
    if candidate.starts_with('+') {
        readings.extend(digits.strip_prefix(&code.to_string()));
    } else {
        readings.push(digits);
        if let Some(prefix) = metas.first().and_then(|meta| meta.national_prefix()) {
            readings.extend(digits.strip_prefix(prefix));
        }
        readings.extend(digits.strip_prefix(&code.to_string()));
    }
    readings
        .into_iter()
        .find(|national| metas.iter().any(|meta| has_type(meta, national)))
        .map(|national| format!("+{code}{national}"))
}

/// Whether the metadata knows `national` as a number of some type, as libphonenumber's
/// `isValidNumber` decides it.
fn has_type(meta: &phonenumber::Metadata, national: &str) -> bool {
    use phonenumber::Type;
    let descriptors = meta.descriptors();
    descriptors.general().is_match(national)
        && [
            Type::FixedLine,
            Type::Mobile,
            Type::TollFree,
            Type::PremiumRate,
            Type::SharedCost,
            Type::PersonalNumber,
            Type::Voip,
            Type::Pager,
            Type::Uan,
            Type::Voicemail,
        ]
        .into_iter()
        .any(|kind| descriptors.get(kind).is_some_and(|d| d.is_match(national)))
}

#[cfg(test)]
mod tests;
