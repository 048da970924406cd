//! Which mode a schedule is in at an instant, why, and manual overrides on top.

use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::compile::Schedule;
use super::holiday::Holiday;

/// The mode a scenario branches on: each has its own greeting and destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Working hours: callers reach people.
    Day,
    /// The lunch break inside working hours.
    Lunch,
    /// Outside working hours on an ordinary day.
    Night,
    /// A holiday from the config, all local day long.
    Holiday,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Day => "day",
            Mode::Lunch => "lunch",
            Mode::Night => "night",
            Mode::Holiday => "holiday",
        })
    }
}

/// A mode and the routing-trace line that explains it, such as
/// `schedule: lunch (13:05 Europe/Moscow, Mon)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeDecision {
    /// The mode to route by.
    pub mode: Mode,
    /// Why, in the schedule's local time, for the routing trace and the operator.
    pub reason: String,
}

/// A mode forced by a person ("we close early today"), laid over the schedule.
///
/// Plain data: the shell stores it and passes it to [`Schedule::mode_at_with`]; the engine
/// keeps no state, so an override survives restarts exactly as the shell keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// The mode while the override lasts.
    pub mode: Mode,
    /// The instant it stops applying; `None` lasts until someone removes it.
    pub until: Option<DateTime<Utc>>,
    /// Who set it (an extension, a user name), shown in the routing trace.
    pub set_by: String,
}

impl Override {
    /// Whether it still applies at `now`; it ends exactly at `until`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

impl Schedule {
    /// The mode at `now` by the configured hours and holidays alone.
    pub fn mode_at(&self, now: DateTime<Utc>) -> ModeDecision {
        let local = now.with_timezone(&self.time_zone);
        let (mode, holiday) = self.scheduled(&local);
        ModeDecision {
            mode,
            reason: format!(
                "schedule: {} ({})",
                label(mode, holiday),
                self.when(&local, holiday)
            ),
        }
    }

    /// The mode at `now` with an optional manual override on top; an expired override
    /// (at or after its `until`) is ignored, so the shell need not clear it on time.
    pub fn mode_at_with(&self, now: DateTime<Utc>, manual: Option<&Override>) -> ModeDecision {
        let Some(manual) = manual.filter(|manual| manual.is_active(now)) else {
            return self.mode_at(now);
        };
        let local = now.with_timezone(&self.time_zone);
        let (mode, holiday) = self.scheduled(&local);
        let until = match manual.until {
            None => "cancelled".to_owned(),
            Some(until) => {
                let until = until.with_timezone(&self.time_zone);
                if until.date_naive() == local.date_naive() {
                    until.format("%H:%M").to_string()
                } else {
                    until.format("%Y-%m-%d %H:%M").to_string()
                }
            }
        };
        ModeDecision {
            mode: manual.mode,
            reason: format!(
                "schedule: override {} by {} until {until} ({}; scheduled {})",
                manual.mode,
                manual.set_by,
                self.when(&local, holiday),
                label(mode, holiday),
            ),
        }
    }

    /// The scheduled mode at a local instant, with the holiday that caused it if any.
    pub(super) fn scheduled(&self, local: &DateTime<Tz>) -> (Mode, Option<&Holiday>) {
        let date = local.date_naive();
        if let Some(holiday) = self.holidays.iter().find(|holiday| holiday.covers(date)) {
            return (Mode::Holiday, Some(holiday));
        }
        let second = local.num_seconds_from_midnight();
        let day = local.weekday().num_days_from_monday() as usize;
        if !self.week[day].iter().any(|span| span.contains(second)) {
            return (Mode::Night, None);
        }
        match self.lunch {
            Some(lunch) if lunch.contains(second) => (Mode::Lunch, None),
            _ => (Mode::Day, None),
        }
    }

    /// The local moment as a trace shows it: the date on holidays (the whole day counts),
    /// else the time and weekday.
    fn when(&self, local: &DateTime<Tz>, holiday: Option<&Holiday>) -> String {
        let zone = self.time_zone.name();
        match holiday {
            Some(_) => format!("{} {zone}", local.format("%Y-%m-%d")),
            None => format!("{} {zone}, {}", local.format("%H:%M"), local.format("%a")),
        }
    }
}

/// `lunch`, or `holiday "New Year"` when the holiday has a name.
fn label(mode: Mode, holiday: Option<&Holiday>) -> String {
    match holiday.and_then(|holiday| holiday.name.as_deref()) {
        Some(name) => format!("{mode} \"{name}\""),
        None => mode.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{GreetingConfig, HolidayConfig, ScheduleConfig};
    use super::super::demo::demo_schedule;
    use super::*;

    /// A UTC instant from an RFC 3339 text with its offset, so tests read in local time.
    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn mode(text: &str) -> Mode {
        demo_schedule().mode_at(at(text)).mode
    }

    #[test]
    fn the_demo_office_at_every_boundary_of_a_working_day() {
        // Monday 2026-11-23, Moscow (UTC+3 all year).
        let cases = [
            ("2026-11-23T00:00:00+03:00", Mode::Night),
            ("2026-11-23T08:59:59+03:00", Mode::Night),
            ("2026-11-23T09:00:00+03:00", Mode::Day),
            ("2026-11-23T12:59:59+03:00", Mode::Day),
            ("2026-11-23T13:00:00+03:00", Mode::Lunch),
            ("2026-11-23T13:59:59+03:00", Mode::Lunch),
            ("2026-11-23T14:00:00+03:00", Mode::Day),
            ("2026-11-23T17:59:59+03:00", Mode::Day),
            ("2026-11-23T18:00:00+03:00", Mode::Night),
            ("2026-11-23T23:59:59+03:00", Mode::Night),
            // Friday, then the weekend.
            ("2026-11-27T17:59:00+03:00", Mode::Day),
            ("2026-11-27T18:00:00+03:00", Mode::Night),
            ("2026-11-28T12:00:00+03:00", Mode::Night),
            ("2026-11-29T10:00:00+03:00", Mode::Night),
            ("2026-11-30T09:00:00+03:00", Mode::Day),
        ];
        for (instant, expected) in cases {
            assert_eq!(mode(instant), expected, "{instant}");
        }
    }

    #[test]
    fn reasons_read_like_trace_lines() {
        let schedule = demo_schedule();
        let reason = |text| schedule.mode_at(at(text)).reason;
        assert_eq!(
            reason("2026-11-23T13:05:00+03:00"),
            "schedule: lunch (13:05 Europe/Moscow, Mon)"
        );
        assert_eq!(
            reason("2026-11-27T19:30:00+03:00"),
            "schedule: night (19:30 Europe/Moscow, Fri)"
        );
        assert_eq!(
            reason("2026-11-24T10:00:00+03:00"),
            "schedule: day (10:00 Europe/Moscow, Tue)"
        );
        assert_eq!(
            reason("2027-01-01T10:00:00+03:00"),
            "schedule: holiday \"New Year holidays\" (2027-01-01 Europe/Moscow)"
        );
        // The local date decides: 2027-01-08 21:30 UTC is already the 9th in Moscow.
        assert_eq!(
            schedule.mode_at(at("2027-01-08T21:30:00Z")).reason,
            "schedule: night (00:30 Europe/Moscow, Sat)"
        );
    }

    fn office(zone: &str, holidays: &[(&str, Option<&str>)]) -> Schedule {
        let hours = vec!["09:00-18:00".to_owned()];
        ScheduleConfig {
            time_zone: zone.into(),
            mon: hours.clone(),
            tue: hours.clone(),
            wed: hours.clone(),
            thu: hours.clone(),
            fri: hours,
            sat: Vec::new(),
            sun: Vec::new(),
            lunch: None,
            holidays: holidays
                .iter()
                .map(|(date, name)| HolidayConfig {
                    date: (*date).into(),
                    name: name.map(Into::into),
                })
                .collect(),
            greeting: GreetingConfig::default(),
        }
        .compile("test")
        .unwrap()
    }

    #[test]
    fn a_fixed_date_holiday_is_that_day_only() {
        let schedule = office("Europe/Moscow", &[("2026-12-31", Some("Company day"))]);
        let decision = schedule.mode_at(at("2026-12-31T10:00:00+03:00"));
        assert_eq!(decision.mode, Mode::Holiday);
        assert_eq!(
            decision.reason,
            "schedule: holiday \"Company day\" (2026-12-31 Europe/Moscow)"
        );
        // The same date a year later (a Friday) and the day before are working days.
        assert_eq!(
            schedule.mode_at(at("2027-12-31T10:00:00+03:00")).mode,
            Mode::Day
        );
        assert_eq!(
            schedule.mode_at(at("2026-12-30T10:00:00+03:00")).mode,
            Mode::Day
        );
        // The whole local day, from its first second to its last.
        assert_eq!(
            schedule.mode_at(at("2026-12-31T00:00:00+03:00")).mode,
            Mode::Holiday
        );
        assert_eq!(
            schedule.mode_at(at("2026-12-31T23:59:59+03:00")).mode,
            Mode::Holiday
        );
        assert_eq!(
            schedule.mode_at(at("2027-01-01T00:00:00+03:00")).mode,
            Mode::Night
        );
    }

    #[test]
    fn a_yearly_holiday_recurs_across_years() {
        let schedule = office("Europe/Moscow", &[("06-12", None)]);
        // Friday 2026-06-12, Monday 2028-06-12.
        for instant in ["2026-06-12T10:00:00+03:00", "2028-06-12T10:00:00+03:00"] {
            let decision = schedule.mode_at(at(instant));
            assert_eq!(decision.mode, Mode::Holiday, "{instant}");
            assert!(
                decision.reason.starts_with("schedule: holiday ("),
                "{}",
                decision.reason
            );
        }
        assert_eq!(
            schedule.mode_at(at("2026-06-11T10:00:00+03:00")).mode,
            Mode::Day
        );
    }

    #[test]
    fn a_range_holiday_covers_its_days() {
        let schedule = office("Europe/Moscow", &[("2027-05-03..2027-05-04", Some("May"))]);
        assert_eq!(
            schedule.mode_at(at("2027-05-02T23:59:59+03:00")).mode,
            Mode::Night
        );
        assert_eq!(
            schedule.mode_at(at("2027-05-03T10:00:00+03:00")).mode,
            Mode::Holiday
        );
        assert_eq!(
            schedule.mode_at(at("2027-05-04T23:59:59+03:00")).mode,
            Mode::Holiday
        );
        assert_eq!(
            schedule.mode_at(at("2027-05-05T10:00:00+03:00")).mode,
            Mode::Day
        );
    }

    #[test]
    fn the_same_instant_differs_by_time_zone() {
        // Monday 2026-11-23 07:30 UTC: 10:30 in Moscow, 08:30 in Berlin, 02:30 in New York.
        let instant = at("2026-11-23T07:30:00Z");
        assert_eq!(
            office("Europe/Moscow", &[]).mode_at(instant).mode,
            Mode::Day
        );
        let berlin = office("Europe/Berlin", &[]).mode_at(instant);
        assert_eq!(berlin.mode, Mode::Night);
        assert_eq!(berlin.reason, "schedule: night (08:30 Europe/Berlin, Mon)");
        assert_eq!(
            office("America/New_York", &[]).mode_at(instant).mode,
            Mode::Night
        );
    }

    #[test]
    fn daylight_saving_moves_utc_opening_not_local() {
        let berlin = office("Europe/Berlin", &[]);
        // Before 2026-10-25 Berlin is UTC+2: 09:00 local is 07:00 UTC.
        assert_eq!(berlin.mode_at(at("2026-10-23T06:59:59Z")).mode, Mode::Night);
        assert_eq!(berlin.mode_at(at("2026-10-23T07:00:00Z")).mode, Mode::Day);
        // After it, UTC+1: 07:00 UTC is 08:00 local, still closed; 08:00 UTC opens.
        assert_eq!(berlin.mode_at(at("2026-10-26T07:00:00Z")).mode, Mode::Night);
        assert_eq!(berlin.mode_at(at("2026-10-26T08:00:00Z")).mode, Mode::Day);
        // After 2027-03-28 it is UTC+2 again.
        assert_eq!(berlin.mode_at(at("2027-03-26T07:30:00Z")).mode, Mode::Night);
        assert_eq!(berlin.mode_at(at("2027-03-29T07:00:00Z")).mode, Mode::Day);
        assert_eq!(
            berlin.mode_at(at("2027-03-29T16:00:00Z")).reason,
            "schedule: night (18:00 Europe/Berlin, Mon)"
        );
    }

    #[test]
    fn an_override_with_expiry_applies_until_then() {
        let schedule = demo_schedule();
        let manual = Override {
            mode: Mode::Night,
            until: Some(at("2026-11-23T18:00:00+03:00")),
            set_by: "101".into(),
        };
        let decision = schedule.mode_at_with(at("2026-11-23T16:30:00+03:00"), Some(&manual));
        assert_eq!(decision.mode, Mode::Night);
        assert_eq!(
            decision.reason,
            "schedule: override night by 101 until 18:00 \
             (16:30 Europe/Moscow, Mon; scheduled day)"
        );
        // At `until` it has expired and the schedule speaks again.
        let after = schedule.mode_at_with(at("2026-11-23T18:00:00+03:00"), Some(&manual));
        assert_eq!(after, schedule.mode_at(at("2026-11-23T18:00:00+03:00")));
        let next_morning = schedule.mode_at_with(at("2026-11-24T09:00:00+03:00"), Some(&manual));
        assert_eq!(next_morning.mode, Mode::Day);
        assert!(!manual.is_active(at("2026-11-23T18:00:00+03:00")));
        assert!(manual.is_active(at("2026-11-23T17:59:59+03:00")));
    }

    #[test]
    fn an_override_without_expiry_lasts_and_names_the_date_of_a_later_end() {
        let schedule = demo_schedule();
        let open = Override {
            mode: Mode::Day,
            until: None,
            set_by: "102".into(),
        };
        let decision = schedule.mode_at_with(at("2027-01-01T10:00:00+03:00"), Some(&open));
        assert_eq!(decision.mode, Mode::Day);
        assert_eq!(
            decision.reason,
            "schedule: override day by 102 until cancelled \
             (2027-01-01 Europe/Moscow; scheduled holiday \"New Year holidays\")"
        );
        let later = Override {
            until: Some(at("2026-11-24T09:00:00+03:00")),
            ..open
        };
        assert_eq!(
            schedule
                .mode_at_with(at("2026-11-23T20:00:00+03:00"), Some(&later))
                .reason,
            "schedule: override day by 102 until 2026-11-24 09:00 \
             (20:00 Europe/Moscow, Mon; scheduled night)"
        );
        // No override at all is the plain schedule.
        let now = at("2026-11-23T20:00:00+03:00");
        assert_eq!(schedule.mode_at_with(now, None), schedule.mode_at(now));
    }

    #[test]
    fn several_intervals_leave_the_gap_closed() {
        let mut config = super::super::demo::demo_schedule_config();
        config.mon = vec!["09:00-12:00".into(), "15:00-18:00".into()];
        let schedule = config.compile("main").unwrap();
        let mode = |text| schedule.mode_at(at(text)).mode;
        assert_eq!(mode("2026-11-23T11:59:59+03:00"), Mode::Day);
        assert_eq!(mode("2026-11-23T12:00:00+03:00"), Mode::Night);
        // Lunch counts only inside working hours.
        assert_eq!(mode("2026-11-23T13:30:00+03:00"), Mode::Night);
        assert_eq!(mode("2026-11-23T15:00:00+03:00"), Mode::Day);
        assert_eq!(mode("2026-11-24T13:30:00+03:00"), Mode::Lunch);
    }

    #[test]
    fn modes_display_and_serialize_in_lowercase() {
        let names: Vec<String> = [Mode::Day, Mode::Lunch, Mode::Night, Mode::Holiday]
            .iter()
            .map(Mode::to_string)
            .collect();
        assert_eq!(names, ["day", "lunch", "night", "holiday"]);
        let stored = Override {
            mode: Mode::Lunch,
            until: Some(at("2026-11-23T14:00:00+03:00")),
            set_by: "101".into(),
        };
        let text = toml::to_string(&stored).unwrap();
        assert!(text.contains("mode = \"lunch\""), "{text}");
        assert_eq!(toml::from_str::<Override>(&text).unwrap(), stored);
    }
}
