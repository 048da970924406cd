//! The demo office's schedule (DEMO.md, scenario `main`): the fixed ground that tests,
//! benchmarks and a first run without configuration share.

use super::compile::Schedule;
use super::config::{GreetingConfig, HolidayConfig, ScheduleConfig};

/// The demo schedule as config: Moscow, Mon-Fri 09:00-18:00, lunch 13:00-14:00, the
/// Russian public holidays as yearly dates; the template for `print-demo-config`.
pub fn demo_schedule_config() -> ScheduleConfig {
    let hours = || vec!["09:00-18:00".to_owned()];
    let holiday = |date: &str, name: &str| HolidayConfig {
        date: date.to_owned(),
        name: Some(name.to_owned()),
    };
    ScheduleConfig {
        time_zone: "Europe/Moscow".to_owned(),
        mon: hours(),
        tue: hours(),
        wed: hours(),
        thu: hours(),
        fri: hours(),
        sat: Vec::new(),
        sun: Vec::new(),
        lunch: Some("13:00-14:00".to_owned()),
        holidays: vec![
            holiday("01-01..01-08", "New Year holidays"),
            holiday("02-23", "Defender of the Fatherland Day"),
            holiday("03-08", "International Women's Day"),
            holiday("05-01", "Spring and Labour Day"),
            holiday("05-09", "Victory Day"),
            holiday("06-12", "Russia Day"),
            holiday("11-04", "Unity Day"),
        ],
        greeting: GreetingConfig::default(),
    }
}

/// The demo schedule, compiled; its config is fixed and tested, so it cannot fail.
pub fn demo_schedule() -> Schedule {
    demo_schedule_config()
        .compile("main")
        .expect("the demo schedule is valid")
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::super::mode::Mode;
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_demo_schedule_compiles_and_keeps_its_holidays() {
        let schedule = demo_schedule();
        assert_eq!(schedule.time_zone(), chrono_tz::Europe::Moscow);
        // Each holiday at noon in 2027, on a weekday where it falls on one.
        let holidays = [
            ("2027-01-01", "New Year holidays"),
            ("2027-01-08", "New Year holidays"),
            ("2027-02-23", "Defender of the Fatherland Day"),
            ("2027-03-08", "International Women's Day"),
            ("2027-05-01", "Spring and Labour Day"),
            ("2027-05-09", "Victory Day"),
            ("2027-06-12", "Russia Day"),
            ("2027-11-04", "Unity Day"),
        ];
        for (date, name) in holidays {
            let decision = schedule.mode_at(at(&format!("{date}T12:00:00+03:00")));
            assert_eq!(decision.mode, Mode::Holiday, "{date}");
            assert_eq!(
                decision.reason,
                format!("schedule: holiday \"{name}\" ({date} Europe/Moscow)")
            );
        }
        // Monday 2027-01-11, the first working day of 2027.
        assert_eq!(
            schedule.mode_at(at("2027-01-11T12:00:00+03:00")).mode,
            Mode::Day
        );
    }

    #[test]
    fn the_demo_config_round_trips_through_toml() {
        let text = toml::to_string(&demo_schedule_config()).unwrap();
        assert!(text.contains("time_zone = \"Europe/Moscow\""), "{text}");
        let back: ScheduleConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, demo_schedule_config());
    }
}
