//! Holidays: fixed dates, dates that recur every year, and ranges of either.
//!
//! One `date` string carries the kind, so a holiday list reads like a calendar:
//! `2026-12-31` (that day only), `05-09` (every 9 May), `2027-01-01..2027-01-08` (those
//! days, both ends included), `01-01..01-08` (those days every year). A yearly range may
//! wrap over the new year (`12-30..01-08`). `02-29` is accepted and observed in leap years.

use chrono::{Datelike, NaiveDate};

/// A validated holiday: the local dates it covers and the name used in routing traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holiday {
    pub(crate) name: Option<String>,
    dates: Dates,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dates {
    Fixed { from: NaiveDate, to: NaiveDate },
    Yearly { from: MonthDay, to: MonthDay },
}

/// A day of the year without the year, ordered through the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct MonthDay {
    month: u32,
    day: u32,
}

/// One side of a `date` string.
enum Day {
    Full(NaiveDate),
    Yearly(MonthDay),
}

/// Why a holiday's `date` was refused; the text is quoted back to the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HolidayDateError {
    #[error("\"{0}\" is not a date (expected YYYY-MM-DD, MM-DD, or two of one kind joined by ..)")]
    Malformed(String),
    #[error("\"{0}\" is not a date in the calendar")]
    NoSuchDay(String),
    #[error("\"{0}\" ends before it starts")]
    Backwards(String),
    #[error("\"{0}\" mixes a full date and a yearly date")]
    Mixed(String),
}

impl Holiday {
    /// Parses a `date` string (see the module docs for its forms).
    pub(crate) fn parse(text: &str, name: Option<String>) -> Result<Holiday, HolidayDateError> {
        let (from, to) = match text.split_once("..") {
            Some((from, to)) => (parse_day(from)?, parse_day(to)?),
            None => (parse_day(text)?, parse_day(text)?),
        };
        let dates = match (from, to) {
            (Day::Full(from), Day::Full(to)) if to < from => {
                return Err(HolidayDateError::Backwards(text.to_owned()))
            }
            (Day::Full(from), Day::Full(to)) => Dates::Fixed { from, to },
            (Day::Yearly(from), Day::Yearly(to)) => Dates::Yearly { from, to },
            _ => return Err(HolidayDateError::Mixed(text.to_owned())),
        };
        Ok(Holiday { name, dates })
    }

    /// Whether the holiday covers this local date.
    pub(crate) fn covers(&self, date: NaiveDate) -> bool {
        match self.dates {
            Dates::Fixed { from, to } => from <= date && date <= to,
            Dates::Yearly { from, to } => {
                let day = MonthDay {
                    month: date.month(),
                    day: date.day(),
                };
                if from <= to {
                    from <= day && day <= to
                } else {
                    from <= day || day <= to
                }
            }
        }
    }
}

impl Holiday {
    /// Whether the two share a day in some year. Two rules for one day are a mistake: only
    /// the first one's name would ever show, and removing one would not reopen the office.
    pub(crate) fn overlaps(&self, other: &Holiday) -> bool {
        // Four years hold every yearly date, 29 February included.
        const LEAP_CYCLE_DAYS: usize = 4 * 365 + 1;
        let days = |from: NaiveDate, count: usize| from.iter_days().take(count);
        match (self.dates, other.dates) {
            (Dates::Fixed { from, to }, Dates::Fixed { from: f, to: t }) => from <= t && f <= to,
            (Dates::Fixed { from, to }, Dates::Yearly { .. }) => {
                let count = (to - from).num_days().unsigned_abs() as usize + 1;
                days(from, count.min(LEAP_CYCLE_DAYS)).any(|day| other.covers(day))
            }
            (Dates::Yearly { .. }, Dates::Fixed { .. }) => other.overlaps(self),
            (Dates::Yearly { .. }, Dates::Yearly { .. }) => {
                // 2000 is a leap year, so its days are every month-day there is.
                let year = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
                days(year, 366).any(|day| self.covers(day) && other.covers(day))
            }
        }
    }
}

fn parse_day(text: &str) -> Result<Day, HolidayDateError> {
    let parts: Vec<&str> = text.split('-').collect();
    let shape: Vec<usize> = parts.iter().map(|part| part.len()).collect();
    let all_digits = parts
        .iter()
        .all(|part| part.bytes().all(|b| b.is_ascii_digit()));
    let numbers: Vec<u32> = parts.iter().filter_map(|part| part.parse().ok()).collect();
    let no_such_day = || HolidayDateError::NoSuchDay(text.to_owned());
    match (all_digits, shape.as_slice(), numbers.as_slice()) {
        (true, [4, 2, 2], &[year, month, day]) => {
            let year = i32::try_from(year).map_err(|_| no_such_day())?;
            NaiveDate::from_ymd_opt(year, month, day)
                .map(Day::Full)
                .ok_or_else(no_such_day)
        }
        // 2000 is a leap year, so `02-29` passes and is observed in leap years only.
        (true, [2, 2], &[month, day]) => NaiveDate::from_ymd_opt(2000, month, day)
            .map(|_| Day::Yearly(MonthDay { month, day }))
            .ok_or_else(no_such_day),
        _ => Err(HolidayDateError::Malformed(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn covers(holiday: &str, day: &str) -> bool {
        Holiday::parse(holiday, None).unwrap().covers(date(day))
    }

    #[test]
    fn a_fixed_date_covers_that_day_only() {
        assert!(covers("2026-12-31", "2026-12-31"));
        assert!(!covers("2026-12-31", "2027-12-31"));
        assert!(!covers("2026-12-31", "2026-12-30"));
    }

    #[test]
    fn a_yearly_date_recurs() {
        for day in ["2026-05-09", "2027-05-09", "2040-05-09"] {
            assert!(covers("05-09", day), "{day}");
        }
        assert!(!covers("05-09", "2027-05-10"));
        assert!(covers("02-29", "2028-02-29"));
        assert!(!covers("02-29", "2027-02-28"));
        assert!(!covers("02-29", "2027-03-01"));
    }

    #[test]
    fn ranges_include_both_ends() {
        assert!(covers("2027-01-01..2027-01-08", "2027-01-01"));
        assert!(covers("2027-01-01..2027-01-08", "2027-01-08"));
        assert!(!covers("2027-01-01..2027-01-08", "2027-01-09"));
        assert!(!covers("2027-01-01..2027-01-08", "2028-01-02"));
        assert!(covers("01-01..01-08", "2031-01-05"));
        assert!(!covers("01-01..01-08", "2031-01-09"));
    }

    #[test]
    fn a_yearly_range_may_wrap_over_the_new_year() {
        assert!(covers("12-30..01-02", "2026-12-31"));
        assert!(covers("12-30..01-02", "2027-01-02"));
        assert!(!covers("12-30..01-02", "2027-01-03"));
        assert!(!covers("12-30..01-02", "2026-12-29"));
    }

    #[test]
    fn overlapping_holidays_share_a_day_in_some_year() {
        let overlap = |a: &str, b: &str| {
            let a = Holiday::parse(a, None).unwrap();
            let b = Holiday::parse(b, None).unwrap();
            assert_eq!(a.overlaps(&b), b.overlaps(&a), "{a:?} {b:?}");
            a.overlaps(&b)
        };
        assert!(overlap("2026-12-31", "2026-12-31"));
        assert!(overlap("2026-12-30..2027-01-02", "2027-01-02..2027-01-05"));
        assert!(!overlap("2026-12-30..2027-01-01", "2027-01-02..2027-01-05"));
        assert!(overlap("01-01..01-08", "01-05"));
        assert!(!overlap("01-01..01-08", "01-09"));
        assert!(overlap("12-30..01-02", "01-01..01-08"));
        assert!(!overlap("12-30..12-31", "01-01..01-08"));
        assert!(overlap("05-09", "2026-05-09"));
        assert!(!overlap("05-09", "2026-05-10"));
        assert!(overlap("02-29", "2028-02-29"));
        assert!(!overlap("02-29", "2027-02-01..2027-03-01"));
        // A range of many years covers every yearly date.
        assert!(overlap("2020-01-01..2040-01-01", "07-15"));
    }

    #[test]
    fn refuses_bad_dates() {
        let parse = |text| Holiday::parse(text, None).unwrap_err().to_string();
        assert_eq!(parse("02-30"), "\"02-30\" is not a date in the calendar");
        assert_eq!(
            parse("2027-02-29"),
            "\"2027-02-29\" is not a date in the calendar"
        );
        assert_eq!(parse("13-01"), "\"13-01\" is not a date in the calendar");
        assert_eq!(
            parse("2027-01-08..2027-01-01"),
            "\"2027-01-08..2027-01-01\" ends before it starts"
        );
        assert_eq!(
            parse("2027-01-01..01-08"),
            "\"2027-01-01..01-08\" mixes a full date and a yearly date"
        );
        for bad in [
            "1-1",
            "2027/01/01",
            "",
            "01-01..",
            "May 9",
            "+1-01-01",
            "01-01-2027",
        ] {
            assert!(
                parse(bad).contains("is not a date"),
                "{bad}: {}",
                parse(bad)
            );
        }
    }
}
