//! The schedule as the operator writes it, under `[schedule.NAME]` in the main TOML.
//!
//! Values are kept as strings here and checked by [`ScheduleConfig::compile`], so that one
//! pass reports every mistake with its key path instead of stopping at the first one serde
//! meets.

use serde::{Deserialize, Serialize};

/// One schedule: a time zone, working hours per weekday, lunch, holidays, greeting hours.
///
/// Working hours are listed per weekday, as `HH:MM-HH:MM` intervals that may not overlap
/// (`mon = ["09:00-18:00"]`); a day left out is closed. Several intervals are allowed, and
/// a gap between them is *closed* (night), for offices that shut in the middle of the day.
/// Lunch is a separate field because it is a mode of its own: calls during lunch go to a
/// lunch announcement rather than to the night greeting. It applies to every working day,
/// only inside that day's working hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// The IANA time zone all the times below are in, like `Europe/Moscow`; daylight
    /// saving follows the zone's rules.
    pub time_zone: String,
    /// Monday's working hours: `["09:00-13:00", "14:00-18:00"]`; `24:00` ends a day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<String>,
    /// Tuesday's working hours, as for `mon`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<String>,
    /// Wednesday's working hours, as for `mon`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<String>,
    /// Thursday's working hours, as for `mon`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<String>,
    /// Friday's working hours, as for `mon`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<String>,
    /// Saturday's working hours, as for `mon`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<String>,
    /// Sunday's working hours, as for `mon`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<String>,
    /// The lunch break, `"13:00-14:00"`, on every working day within its working hours.
    /// It must fall on working time on some day, and never only partly: a lunch that
    /// sticks out of a day's hours would be half lunch, half night.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lunch: Option<String>,
    /// Days off that override the weekly hours for the whole local day; no two may share
    /// a day (a second rule for one day is a duplicate whose name would never show).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<HolidayConfig>,
    /// When the morning greeting ends and the evening one begins.
    #[serde(default)]
    pub greeting: GreetingConfig,
}

impl ScheduleConfig {
    /// The weekday fields with their config keys, Monday first.
    pub(crate) fn days(&self) -> [(&'static str, &[String]); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// A holiday: `{ date = "05-09", name = "Victory Day" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayConfig {
    /// `2026-12-31` (that day), `05-09` (every year), `2027-01-01..2027-01-08` or
    /// `01-01..01-08` (both ends included; a yearly range may wrap over the new year).
    pub date: String,
    /// Shown in routing traces: `schedule: holiday "New Year" (…)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Greeting hours, local: morning before `morning_ends`, evening from `evening_starts`,
/// day in between. Defaults: 11:00 and 17:00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GreetingConfig {
    /// `HH:MM`; the first minute that is no longer morning.
    #[serde(default = "default_morning_ends")]
    pub morning_ends: String,
    /// `HH:MM`; the first minute of the evening; not before `morning_ends`.
    #[serde(default = "default_evening_starts")]
    pub evening_starts: String,
}

impl Default for GreetingConfig {
    fn default() -> Self {
        GreetingConfig {
            morning_ends: default_morning_ends(),
            evening_starts: default_evening_starts(),
        }
    }
}

fn default_morning_ends() -> String {
    "11:00".to_owned()
}

fn default_evening_starts() -> String {
    "17:00".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_toml_form() {
        let config: ScheduleConfig = toml::from_str(
            r#"
            time_zone = "Europe/Moscow"
            mon = ["09:00-13:00", "14:00-18:00"]
            lunch = "13:00-14:00"
            holidays = [{ date = "05-09", name = "Victory Day" }, { date = "2026-12-31" }]
            "#,
        )
        .unwrap();
        assert_eq!(config.mon, ["09:00-13:00", "14:00-18:00"]);
        assert!(config.tue.is_empty());
        assert_eq!(config.lunch.as_deref(), Some("13:00-14:00"));
        assert_eq!(config.holidays[0].name.as_deref(), Some("Victory Day"));
        assert_eq!(config.holidays[1].name, None);
        assert_eq!(config.greeting, GreetingConfig::default());
        assert_eq!(config.greeting.morning_ends, "11:00");
        assert_eq!(config.greeting.evening_starts, "17:00");
    }

    #[test]
    fn refuses_unknown_keys() {
        let typo = toml::from_str::<ScheduleConfig>("time_zone = \"UTC\"\nmonday = []\n");
        assert!(typo
            .unwrap_err()
            .to_string()
            .contains("unknown field `monday`"));
        let typo = toml::from_str::<ScheduleConfig>(
            "time_zone = \"UTC\"\nholidays = [{ date = \"01-01\", nmae = \"x\" }]\n",
        );
        assert!(typo
            .unwrap_err()
            .to_string()
            .contains("unknown field `nmae`"));
        let typo = toml::from_str::<ScheduleConfig>(
            "time_zone = \"UTC\"\ngreeting = { morning = \"10:00\" }\n",
        );
        assert!(typo
            .unwrap_err()
            .to_string()
            .contains("unknown field `morning`"));
    }
}
