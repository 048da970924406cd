//! Validation: from the operator's [`ScheduleConfig`] to a [`Schedule`] the engine can use.

use chrono_tz::Tz;

use super::clock::{Clock, Span};
use super::config::ScheduleConfig;
use super::holiday::Holiday;
use crate::error::{PathError, PathErrors};

/// A validated schedule: every time parsed, every interval checked, the zone known.
///
/// Built by [`ScheduleConfig::compile`]; asked with [`Schedule::mode_at`],
/// [`Schedule::greeting_at`] and [`Schedule::next_change`].
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub(super) time_zone: Tz,
    /// Working intervals, Monday first, each day's sorted by start.
    pub(super) week: [Vec<Span>; 7],
    pub(super) lunch: Option<Span>,
    pub(super) holidays: Vec<Holiday>,
    pub(super) morning_ends: Clock,
    pub(super) evening_starts: Clock,
}

impl Schedule {
    /// The zone all local times are in, for callers that announce times ("we open at 09:00").
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }
}

impl ScheduleConfig {
    /// Checks the whole schedule named `name` (the `NAME` of `[schedule.NAME]`, used in key
    /// paths) and returns every mistake at once, or the schedule ready to be asked.
    pub fn compile(&self, name: &str) -> Result<Schedule, PathErrors> {
        let prefix = format!("schedule.{name}");
        let mut errors = Vec::new();

        let time_zone = match self.time_zone.parse::<Tz>() {
            Ok(time_zone) => Some(time_zone),
            Err(_) => {
                let message = format!(
                    "unknown time zone \"{}\" (expected an IANA name like Europe/Moscow)",
                    self.time_zone
                );
                errors.push(PathError::new(format!("{prefix}.time_zone"), message));
                None
            }
        };

        let week = self
            .days()
            .map(|(key, intervals)| day_spans(&format!("{prefix}.{key}"), intervals, &mut errors));

        let lunch = self.lunch.as_ref().and_then(|text| {
            let path = format!("{prefix}.lunch");
            let lunch = Span::parse(text)
                .map_err(|error| errors.push(PathError::new(&path, error)))
                .ok()?;
            // A lunch no working day reaches is a typo, not a wish: it would never apply.
            if !week.iter().flatten().any(|span| span.overlaps(lunch)) {
                let message = format!(
                    "\"{text}\" is outside the working hours of every day, so lunch would never apply"
                );
                errors.push(PathError::new(path, message));
            } else {
                // Lunch half inside the hours is half lunch, half night: rarely meant, and
                // callers would hear the night greeting in the middle of the day.
                let days: Vec<&str> = (self.days().iter().zip(&week))
                    .filter(|(_, spans)| sticks_out(lunch, spans))
                    .map(|((key, _), _)| *key)
                    .collect();
                if !days.is_empty() {
                    let message = format!(
                        "\"{text}\" is partly outside the working hours on {}",
                        days.join(", ")
                    );
                    errors.push(PathError::new(path, message));
                }
            }
            Some(lunch)
        });

        let mut holidays: Vec<(usize, Holiday)> = Vec::new();
        for (i, config) in self.holidays.iter().enumerate() {
            let path = format!("{prefix}.holidays[{i}].date");
            let holiday = match Holiday::parse(&config.date, config.name.clone()) {
                Ok(holiday) => holiday,
                Err(error) => {
                    errors.push(PathError::new(path, error));
                    continue;
                }
            };
            if let Some((j, _)) = holidays.iter().find(|(_, other)| other.overlaps(&holiday)) {
                let message = format!(
                    "\"{}\" overlaps holidays[{j}] (\"{}\")",
                    config.date, self.holidays[*j].date
                );
                errors.push(PathError::new(path, message));
                continue;
            }
            holidays.push((i, holiday));
        }
        let holidays: Vec<Holiday> = holidays.into_iter().map(|(_, holiday)| holiday).collect();

        let greeting = &self.greeting;
        let morning_ends = clock(
            &format!("{prefix}.greeting.morning_ends"),
            &greeting.morning_ends,
            &mut errors,
        );
        let evening_path = format!("{prefix}.greeting.evening_starts");
        let evening_starts = clock(&evening_path, &greeting.evening_starts, &mut errors);
        if let (Some(morning), Some(evening)) = (morning_ends, evening_starts) {
            if evening < morning {
                let message = format!(
                    "\"{}\" is before morning_ends \"{}\"",
                    greeting.evening_starts, greeting.morning_ends
                );
                errors.push(PathError::new(evening_path, message));
            }
        }

        if let Some(errors) = PathErrors::from_vec(errors) {
            return Err(errors);
        }
        match (time_zone, morning_ends, evening_starts) {
            (Some(time_zone), Some(morning_ends), Some(evening_starts)) => Ok(Schedule {
                time_zone,
                week,
                lunch,
                holidays,
                morning_ends,
                evening_starts,
            }),
            // Each `None` above pushed an error, so the early return was taken.
            _ => unreachable!("a missing part without an error"),
        }
    }
}

/// One weekday's intervals, sorted; malformed and overlapping ones are reported at
/// `path[i]` and left out.
fn day_spans(path: &str, intervals: &[String], errors: &mut Vec<PathError>) -> Vec<Span> {
    let mut spans: Vec<(Span, &str)> = Vec::new();
    for (i, text) in intervals.iter().enumerate() {
        let span = match Span::parse(text) {
            Ok(span) => span,
            Err(error) => {
                errors.push(PathError::new(format!("{path}[{i}]"), error));
                continue;
            }
        };
        if let Some((_, earlier)) = spans.iter().find(|(other, _)| other.overlaps(span)) {
            let message = format!("\"{text}\" overlaps \"{earlier}\"");
            errors.push(PathError::new(format!("{path}[{i}]"), message));
            continue;
        }
        spans.push((span, text));
    }
    let mut spans: Vec<Span> = spans.into_iter().map(|(span, _)| span).collect();
    spans.sort_by_key(|span| span.start);
    spans
}

/// Whether `lunch` overlaps the day's working time only in part. Touching intervals
/// (`09:00-13:00`, `13:00-18:00`) count as one stretch of working time.
fn sticks_out(lunch: Span, spans: &[Span]) -> bool {
    let mut merged: Vec<Span> = Vec::new();
    for &span in spans {
        match merged.last_mut() {
            Some(last) if last.end >= span.start => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
        .iter()
        .any(|span| span.overlaps(lunch) && (lunch.start < span.start || span.end < lunch.end))
}

fn clock(path: &str, text: &str, errors: &mut Vec<PathError>) -> Option<Clock> {
    let clock = Clock::parse(text);
    if clock.is_none() {
        let message = format!("\"{text}\" is not a time (expected HH:MM)");
        errors.push(PathError::new(path, message));
    }
    clock
}

#[cfg(test)]
mod tests {
    use super::super::config::{GreetingConfig, HolidayConfig};
    use super::*;

    fn config() -> ScheduleConfig {
        ScheduleConfig {
            time_zone: "Europe/Moscow".into(),
            mon: vec!["09:00-18:00".into()],
            tue: Vec::new(),
            wed: Vec::new(),
            thu: Vec::new(),
            fri: Vec::new(),
            sat: Vec::new(),
            sun: Vec::new(),
            lunch: Some("13:00-14:00".into()),
            holidays: Vec::new(),
            greeting: GreetingConfig::default(),
        }
    }

    fn errors(config: &ScheduleConfig) -> Vec<String> {
        let errors = config.compile("main").unwrap_err();
        errors.into_iter().map(|error| error.to_string()).collect()
    }

    #[test]
    fn a_good_config_compiles() {
        let schedule = config().compile("main").unwrap();
        assert_eq!(schedule.time_zone(), chrono_tz::Europe::Moscow);
        assert_eq!(schedule.week[0], [Span::parse("09:00-18:00").unwrap()]);
        assert!(schedule.week[1].is_empty());
    }

    #[test]
    fn names_an_unknown_time_zone() {
        let mut config = config();
        config.time_zone = "Europe/Moskow".into();
        assert_eq!(
            errors(&config),
            [
                "schedule.main.time_zone: unknown time zone \"Europe/Moskow\" \
              (expected an IANA name like Europe/Moscow)"
            ]
        );
    }

    #[test]
    fn names_bad_and_overlapping_intervals_by_index() {
        let mut config = config();
        config.lunch = None;
        config.mon = vec!["09:00-13:00".into(), "14:00-13:00".into()];
        config.wed = vec!["09:00-13:00".into(), "12:00-14:00".into(), "9-18".into()];
        config.sun = vec!["10:00-10:00".into()];
        assert_eq!(
            errors(&config),
            [
                "schedule.main.mon[1]: \"14:00-13:00\" ends before it starts",
                "schedule.main.wed[1]: \"12:00-14:00\" overlaps \"09:00-13:00\"",
                "schedule.main.wed[2]: \"9-18\" is not a time interval (expected HH:MM-HH:MM)",
                "schedule.main.sun[0]: \"10:00-10:00\" is empty",
            ]
        );
    }

    #[test]
    fn sorts_a_days_intervals() {
        let mut config = config();
        config.lunch = None;
        config.mon = vec!["14:00-18:00".into(), "09:00-13:00".into()];
        let schedule = config.compile("main").unwrap();
        let starts: Vec<String> = schedule.week[0]
            .iter()
            .map(|s| s.start.to_string())
            .collect();
        assert_eq!(starts, ["09:00", "14:00"]);
    }

    #[test]
    fn names_a_bad_lunch() {
        let mut config = config();
        config.lunch = Some("13:00".into());
        assert_eq!(
            errors(&config),
            ["schedule.main.lunch: \"13:00\" is not a time interval (expected HH:MM-HH:MM)"]
        );
        config.lunch = Some("01:00-02:00".into());
        assert_eq!(
            errors(&config),
            [
                "schedule.main.lunch: \"01:00-02:00\" is outside the working hours of every day, \
              so lunch would never apply"
            ]
        );
    }

    #[test]
    fn names_a_lunch_partly_outside_the_hours_by_day() {
        let mut config = config();
        config.tue = vec!["09:00-13:30".into()];
        config.wed = vec!["09:00-13:00".into(), "13:00-18:00".into()];
        config.thu = vec!["09:00-13:00".into(), "14:00-18:00".into()];
        config.sat = vec!["13:30-16:00".into()];
        assert_eq!(
            errors(&config),
            ["schedule.main.lunch: \"13:00-14:00\" is partly outside the working hours on tue, sat"]
        );
        // Exactly the gap between two intervals, and touching intervals: fine.
        config.tue = vec!["09:00-13:00".into(), "14:00-18:00".into()];
        config.sat = vec!["10:00-13:00".into(), "13:00-14:00".into()];
        assert!(config.compile("main").is_ok());
        config.lunch = Some("12:00-15:00".into());
        assert_eq!(
            errors(&config),
            ["schedule.main.lunch: \"12:00-15:00\" is partly outside the working hours on tue, thu, sat"]
        );
    }

    #[test]
    fn names_overlapping_holidays_by_index() {
        let mut config = config();
        let holiday = |date: &str| HolidayConfig {
            date: date.into(),
            name: None,
        };
        config.holidays = vec![
            holiday("01-01..01-08"),
            holiday("bad"),
            holiday("01-07"),
            holiday("2027-01-03..2027-01-10"),
            holiday("05-09"),
            holiday("2027-05-10"),
            holiday("2027-05-10"),
        ];
        assert_eq!(
            errors(&config),
            [
                "schedule.main.holidays[1].date: \"bad\" is not a date \
                 (expected YYYY-MM-DD, MM-DD, or two of one kind joined by ..)",
                "schedule.main.holidays[2].date: \"01-07\" overlaps holidays[0] (\"01-01..01-08\")",
                "schedule.main.holidays[3].date: \"2027-01-03..2027-01-10\" overlaps holidays[0] \
                 (\"01-01..01-08\")",
                "schedule.main.holidays[6].date: \"2027-05-10\" overlaps holidays[5] (\"2027-05-10\")",
            ]
        );
    }

    #[test]
    fn names_bad_holidays_by_index() {
        let mut config = config();
        let holiday = |date: &str| HolidayConfig {
            date: date.into(),
            name: None,
        };
        config.holidays = vec![
            holiday("01-01"),
            holiday("02-30"),
            holiday("2027-01-08..2027-01-01"),
            holiday("2027-01-01..01-08"),
            holiday("next friday"),
        ];
        assert_eq!(
            errors(&config),
            [
                "schedule.main.holidays[1].date: \"02-30\" is not a date in the calendar",
                "schedule.main.holidays[2].date: \"2027-01-08..2027-01-01\" ends before it starts",
                "schedule.main.holidays[3].date: \"2027-01-01..01-08\" \
                 mixes a full date and a yearly date",
                "schedule.main.holidays[4].date: \"next friday\" is not a date \
                 (expected YYYY-MM-DD, MM-DD, or two of one kind joined by ..)",
            ]
        );
    }

    #[test]
    fn names_bad_greeting_hours() {
        let mut config = config();
        config.greeting = GreetingConfig {
            morning_ends: "11".into(),
            evening_starts: "25:00".into(),
        };
        assert_eq!(
            errors(&config),
            [
                "schedule.main.greeting.morning_ends: \"11\" is not a time (expected HH:MM)",
                "schedule.main.greeting.evening_starts: \"25:00\" is not a time (expected HH:MM)",
            ]
        );
        config.greeting = GreetingConfig {
            morning_ends: "12:00".into(),
            evening_starts: "10:00".into(),
        };
        assert_eq!(
            errors(&config),
            ["schedule.main.greeting.evening_starts: \"10:00\" is before morning_ends \"12:00\""]
        );
    }

    #[test]
    fn collects_every_error_at_once_under_the_schedules_name() {
        let mut config = config();
        config.time_zone = "Nowhere".into();
        config.mon = vec!["18:00-09:00".into()];
        config.holidays = vec![HolidayConfig {
            date: "00-01".into(),
            name: Some("Zero".into()),
        }];
        let errors = config.compile("office").unwrap_err();
        let paths: Vec<&str> = errors.errors().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "schedule.office.time_zone",
                "schedule.office.mon[0]",
                // Monday has no valid hours left, so lunch is outside all of them.
                "schedule.office.lunch",
                "schedule.office.holidays[0].date",
            ]
        );
    }
}
