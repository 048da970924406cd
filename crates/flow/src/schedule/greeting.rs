//! Which greeting fits the local hour: "good morning", "good afternoon", "good evening".

use chrono::{DateTime, Timelike, Utc};

use super::compile::Schedule;

/// The greeting for the time of day, in the schedule's zone; independent of the mode, so a
/// night greeting can still say "good evening".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Greeting {
    /// From midnight until `morning_ends` (11:00 by default).
    Morning,
    /// From `morning_ends` until `evening_starts` (17:00 by default).
    Day,
    /// From `evening_starts` until midnight.
    Evening,
}

impl Schedule {
    /// The greeting at `now`, local to the schedule.
    pub fn greeting_at(&self, now: DateTime<Utc>) -> Greeting {
        let second = now
            .with_timezone(&self.time_zone)
            .num_seconds_from_midnight();
        if second < self.morning_ends.seconds() {
            Greeting::Morning
        } else if second < self.evening_starts.seconds() {
            Greeting::Day
        } else {
            Greeting::Evening
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::GreetingConfig;
    use super::super::demo::{demo_schedule, demo_schedule_config};
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn default_thresholds_are_eleven_and_seventeen_local() {
        let schedule = demo_schedule();
        let cases = [
            ("2026-11-23T00:00:00+03:00", Greeting::Morning),
            ("2026-11-23T10:59:59+03:00", Greeting::Morning),
            ("2026-11-23T11:00:00+03:00", Greeting::Day),
            ("2026-11-23T16:59:59+03:00", Greeting::Day),
            ("2026-11-23T17:00:00+03:00", Greeting::Evening),
            ("2026-11-23T23:59:59+03:00", Greeting::Evening),
            // 08:30 UTC is 11:30 in Moscow: day, not morning.
            ("2026-11-23T08:30:00Z", Greeting::Day),
        ];
        for (instant, expected) in cases {
            assert_eq!(schedule.greeting_at(at(instant)), expected, "{instant}");
        }
    }

    #[test]
    fn thresholds_follow_the_config() {
        let mut config = demo_schedule_config();
        config.greeting = GreetingConfig {
            morning_ends: "12:00".into(),
            evening_starts: "18:30".into(),
        };
        let schedule = config.compile("main").unwrap();
        assert_eq!(
            schedule.greeting_at(at("2026-11-23T11:30:00+03:00")),
            Greeting::Morning
        );
        assert_eq!(
            schedule.greeting_at(at("2026-11-23T18:29:00+03:00")),
            Greeting::Day
        );
        assert_eq!(
            schedule.greeting_at(at("2026-11-23T18:30:00+03:00")),
            Greeting::Evening
        );
    }
}
