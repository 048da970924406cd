//! When the mode next changes: for the shell's timers ("evaluate again at 13:00") and for
//! announcements ("we open at 09:00").
//!
//! The mode can only change where the config puts a boundary (a working interval's start or
//! end, lunch's, local midnight for holidays) or where the zone's offset jumps. So rather
//! than step through time, each local day's boundary instants are listed in order and the
//! first one whose mode differs from now's is the answer.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, Offset, TimeZone, Utc};

use super::compile::Schedule;
use super::mode::Mode;

/// How far ahead to look: two years covers any holiday stretch an office declares; a
/// schedule with no change in that time (no working hours at all) answers `None`.
const HORIZON_DAYS: usize = 732;

impl Schedule {
    /// The first instant after `now` at which [`Schedule::mode_at`] gives another mode, or
    /// `None` if the mode stays the same for two years. Overrides are not considered: an
    /// override's `until` is a timer of its own.
    ///
    /// Around daylight-saving shifts, a boundary in the skipped hour takes effect when the
    /// clock jumps past it, and one in the repeated hour takes effect at each occurrence.
    pub fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let current = self.mode_of(now);
        let mut date = now.with_timezone(&self.time_zone).date_naive();
        for _ in 0..HORIZON_DAYS {
            let change = (self.boundaries(date).into_iter())
                .filter(|instant| *instant > now)
                .find(|instant| self.mode_of(*instant) != current);
            if change.is_some() {
                return change;
            }
            date = date.succ_opt()?;
        }
        None
    }

    fn mode_of(&self, instant: DateTime<Utc>) -> Mode {
        self.scheduled(&instant.with_timezone(&self.time_zone)).0
    }

    /// The instants of one local day at which the mode may change, in order.
    fn boundaries(&self, date: NaiveDate) -> Vec<DateTime<Utc>> {
        let day = &self.week[date.weekday().num_days_from_monday() as usize];
        let clocks = (day.iter().chain(&self.lunch)).flat_map(|span| [span.start, span.end]);
        let times = std::iter::once(NaiveTime::MIN).chain(clocks.filter_map(|clock| clock.time()));
        let mut instants: Vec<DateTime<Utc>> = times
            .flat_map(
                |time| match self.time_zone.from_local_datetime(&date.and_time(time)) {
                    LocalResult::Single(instant) => vec![instant.to_utc()],
                    LocalResult::Ambiguous(first, second) => vec![first.to_utc(), second.to_utc()],
                    // Skipped by a daylight-saving jump: the jump itself is listed below.
                    LocalResult::None => Vec::new(),
                },
            )
            .collect();
        instants.extend(self.offset_jump(date));
        instants.sort();
        instants
    }

    /// The instant the zone's UTC offset changes around this local day, if it does.
    ///
    /// The window spans the whole local day in any zone (offsets lie within -12..+14
    /// hours); zones never shift twice within it, so a bisection finds the one shift.
    fn offset_jump(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let midnight = date.and_time(NaiveTime::MIN).and_utc().timestamp();
        let offset = |second: i64| {
            let instant = DateTime::from_timestamp(second, 0)?;
            Some(
                self.time_zone
                    .offset_from_utc_datetime(&instant.naive_utc())
                    .fix(),
            )
        };
        // Whole seconds: zones shift on the second, and the answer must be exact.
        let (mut before, mut after) = (midnight - 14 * 3600, midnight + 36 * 3600);
        let first = offset(before)?;
        if offset(after)? == first {
            return None;
        }
        while after - before > 1 {
            let middle = before + (after - before) / 2;
            if offset(middle)? == first {
                before = middle;
            } else {
                after = middle;
            }
        }
        DateTime::from_timestamp(after, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{GreetingConfig, ScheduleConfig};
    use super::super::demo::demo_schedule;
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn next(schedule: &Schedule, text: &str) -> Option<DateTime<Utc>> {
        schedule.next_change(at(text))
    }

    #[test]
    fn the_demo_day_changes_at_each_boundary() {
        let demo = demo_schedule();
        let cases = [
            ("2026-11-23T08:00:00+03:00", "2026-11-23T09:00:00+03:00"),
            ("2026-11-23T09:00:00+03:00", "2026-11-23T13:00:00+03:00"),
            ("2026-11-23T13:05:00+03:00", "2026-11-23T14:00:00+03:00"),
            ("2026-11-23T14:00:00+03:00", "2026-11-23T18:00:00+03:00"),
            // Night runs over midnight without a change.
            ("2026-11-23T18:00:00+03:00", "2026-11-24T09:00:00+03:00"),
            // Friday evening: "we open on Monday at 09:00".
            ("2026-11-27T19:30:00+03:00", "2026-11-30T09:00:00+03:00"),
        ];
        for (now, expected) in cases {
            assert_eq!(next(&demo, now), Some(at(expected)), "{now}");
        }
    }

    #[test]
    fn holidays_change_at_local_midnight() {
        let demo = demo_schedule();
        // Thursday 2026-12-31 evening, then the New Year holidays until Friday 2027-01-08.
        let cases = [
            ("2026-12-31T19:00:00+03:00", "2027-01-01T00:00:00+03:00"),
            ("2027-01-03T12:00:00+03:00", "2027-01-09T00:00:00+03:00"),
            ("2027-01-09T00:00:00+03:00", "2027-01-11T09:00:00+03:00"),
        ];
        for (now, expected) in cases {
            assert_eq!(next(&demo, now), Some(at(expected)), "{now}");
        }
    }

    fn berlin_sundays(hours: &str) -> Schedule {
        ScheduleConfig {
            time_zone: "Europe/Berlin".into(),
            mon: Vec::new(),
            tue: Vec::new(),
            wed: Vec::new(),
            thu: Vec::new(),
            fri: Vec::new(),
            sat: Vec::new(),
            sun: vec![hours.into()],
            lunch: None,
            holidays: Vec::new(),
            greeting: GreetingConfig::default(),
        }
        .compile("test")
        .unwrap()
    }

    #[test]
    fn a_boundary_in_the_skipped_hour_takes_effect_at_the_jump() {
        // 2027-03-28: Berlin jumps from 02:00 CET (01:00 UTC) to 03:00 CEST; 02:30 never is.
        let schedule = berlin_sundays("02:30-10:00");
        assert_eq!(
            next(&schedule, "2027-03-28T00:30:00Z"),
            Some(at("2027-03-28T01:00:00Z"))
        );
        assert_eq!(
            next(&schedule, "2027-03-28T01:00:00Z"),
            Some(at("2027-03-28T08:00:00Z"))
        );
    }

    #[test]
    fn a_boundary_in_the_repeated_hour_takes_effect_each_time() {
        // 2026-10-25: Berlin goes from 03:00 CEST (01:00 UTC) back to 02:00 CET.
        let schedule = berlin_sundays("02:30-10:00");
        let cases = [
            ("2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z"), // 02:30 CEST: opens
            ("2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z"), // back to 02:00: closed again
            ("2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"), // 02:30 CET: opens again
            ("2026-10-25T01:30:00Z", "2026-10-25T09:00:00Z"), // 10:00 CET
        ];
        for (now, expected) in cases {
            assert_eq!(next(&schedule, now), Some(at(expected)), "{now}");
        }
    }

    #[test]
    fn opening_follows_the_local_clock_across_daylight_saving() {
        let schedule = berlin_sundays("09:00-18:00");
        // 09:00 CEST on 2026-10-18 is 07:00 UTC; 09:00 CET on 2026-10-25 is 08:00 UTC.
        assert_eq!(
            next(&schedule, "2026-10-18T00:00:00Z"),
            Some(at("2026-10-18T07:00:00Z"))
        );
        assert_eq!(
            next(&schedule, "2026-10-24T12:00:00Z"),
            Some(at("2026-10-25T08:00:00Z"))
        );
    }

    #[test]
    fn a_schedule_that_never_changes_has_no_next_change() {
        let closed = ScheduleConfig {
            sun: Vec::new(),
            ..demo_schedule_config_without_lunch()
        }
        .compile("closed")
        .unwrap();
        assert_eq!(next(&closed, "2026-11-23T12:00:00Z"), None);
    }

    fn demo_schedule_config_without_lunch() -> ScheduleConfig {
        ScheduleConfig {
            mon: Vec::new(),
            tue: Vec::new(),
            wed: Vec::new(),
            thu: Vec::new(),
            fri: Vec::new(),
            lunch: None,
            holidays: Vec::new(),
            ..super::super::demo::demo_schedule_config()
        }
    }
}
