//! Local times of day and intervals as the config writes them: `09:00`, `13:00-14:00`.

use std::fmt;

use chrono::NaiveTime;

/// A local time of day in whole minutes, `00:00` to `24:00`; `24:00` lets an interval run
/// to the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Clock(u32);

impl Clock {
    /// Parses `HH:MM` (two digits each); `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<Clock> {
        let (hours, minutes) = text.split_once(':')?;
        let hours = two_digits(hours)?;
        let minutes = two_digits(minutes)?;
        if minutes > 59 || hours > 24 || (hours == 24 && minutes > 0) {
            return None;
        }
        Some(Clock(hours * 60 + minutes))
    }

    /// Seconds since local midnight, to compare with a local instant.
    pub(crate) fn seconds(self) -> u32 {
        self.0 * 60
    }

    /// The time of day, or `None` for `24:00`, which is the next day's midnight.
    pub(crate) fn time(self) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(self.0 / 60, self.0 % 60, 0)
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

fn two_digits(text: &str) -> Option<u32> {
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// A half-open local interval `[start, end)` within one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: Clock,
    pub(crate) end: Clock,
}

/// Why an interval's text was refused; the text is quoted back to the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SpanError {
    #[error("\"{0}\" is not a time interval (expected HH:MM-HH:MM)")]
    Malformed(String),
    #[error("\"{0}\" ends before it starts")]
    Backwards(String),
    #[error("\"{0}\" is empty")]
    Empty(String),
}

impl Span {
    /// Parses `HH:MM-HH:MM`. Intervals never cross midnight: a night shift is written as
    /// two intervals on two days, which keeps "which day is it" unambiguous.
    pub(crate) fn parse(text: &str) -> Result<Span, SpanError> {
        let parsed = text
            .split_once('-')
            .and_then(|(start, end)| Some((Clock::parse(start)?, Clock::parse(end)?)));
        let Some((start, end)) = parsed else {
            return Err(SpanError::Malformed(text.to_owned()));
        };
        match start.cmp(&end) {
            std::cmp::Ordering::Less => Ok(Span { start, end }),
            std::cmp::Ordering::Equal => Err(SpanError::Empty(text.to_owned())),
            std::cmp::Ordering::Greater => Err(SpanError::Backwards(text.to_owned())),
        }
    }

    /// Whether a local time, in seconds since midnight, falls inside.
    pub(crate) fn contains(self, second_of_day: u32) -> bool {
        self.start.seconds() <= second_of_day && second_of_day < self.end.seconds()
    }

    /// Whether the two share any minute; touching ends (`-13:00`, `13:00-`) do not.
    pub(crate) fn overlaps(self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_clock_times() {
        assert_eq!(
            Clock::parse("09:05").map(|c| c.to_string()),
            Some("09:05".into())
        );
        assert_eq!(Clock::parse("24:00").map(Clock::seconds), Some(86_400));
        assert_eq!(Clock::parse("24:00").and_then(Clock::time), None);
        assert_eq!(
            Clock::parse("13:05").and_then(Clock::time),
            NaiveTime::from_hms_opt(13, 5, 0)
        );
        for bad in [
            "9:00", "09:5", "24:01", "25:00", "09:60", "0900", "+9:00", "ab:cd", "",
        ] {
            assert_eq!(Clock::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_intervals_and_refuses_bad_ones() {
        let span = Span::parse("09:00-13:00").unwrap();
        assert!(span.contains(9 * 3600));
        assert!(span.contains(13 * 3600 - 1));
        assert!(!span.contains(13 * 3600));
        assert!(!span.contains(9 * 3600 - 1));
        assert_eq!(
            Span::parse("14:00-13:00"),
            Err(SpanError::Backwards("14:00-13:00".into()))
        );
        assert_eq!(
            Span::parse("13:00-13:00"),
            Err(SpanError::Empty("13:00-13:00".into()))
        );
        assert_eq!(
            Span::parse("9-18"),
            Err(SpanError::Malformed("9-18".into()))
        );
        assert!(Span::parse("18:00-24:00").unwrap().contains(86_399));
    }

    #[test]
    fn touching_intervals_do_not_overlap() {
        let morning = Span::parse("09:00-13:00").unwrap();
        assert!(!morning.overlaps(Span::parse("13:00-18:00").unwrap()));
        assert!(morning.overlaps(Span::parse("12:59-18:00").unwrap()));
        assert!(morning.overlaps(Span::parse("10:00-11:00").unwrap()));
    }
}
