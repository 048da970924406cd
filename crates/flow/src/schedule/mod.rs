//! The schedule engine: is it working hours, lunch, night or a holiday at a given instant?
//!
//! A [`ScheduleConfig`] is what the operator writes under `[schedule.NAME]`; it holds plain
//! strings so that [`ScheduleConfig::compile`] can check them all and report every mistake
//! with its key path at once ([`PathErrors`](crate::error::PathErrors)). The resulting [`Schedule`] answers, for
//! any `now: DateTime<Utc>` the caller passes in:
//!
//! - [`Schedule::mode_at`]: the [`Mode`] with a reason fit for the routing trace, such as
//!   `schedule: lunch (13:05 Europe/Moscow, Mon)`;
//! - [`Schedule::mode_at_with`]: the same with a manual [`Override`] laid on top;
//! - [`Schedule::greeting_at`]: morning, day or evening [`Greeting`];
//! - [`Schedule::next_change`]: when the mode next changes, for timers and for
//!   "we open at 09:00" announcements.
//!
//! All local times are in the schedule's own IANA time zone, so the same UTC instant can
//! be day in Moscow and night in Berlin, and daylight-saving shifts move the UTC instants of
//! opening and closing, never the local ones.
//!
//! In the main TOML a schedule sits under `[schedule.NAME]`, and `NAME` goes into every
//! error's key path:
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use chrono::{DateTime, Utc};
//! use sb_flow::schedule::{Mode, ScheduleConfig};
//!
//! #[derive(serde::Deserialize)]
//! struct File {
//!     schedule: BTreeMap<String, ScheduleConfig>,
//! }
//!
//! let file: File = toml::from_str(r#"
//!     [schedule.main]
//!     time_zone = "Europe/Moscow"
//!     mon = ["09:00-18:00"]
//!     tue = ["09:00-18:00"]
//!     sat = ["10:00-13:00", "14:00-16:00"]  # several intervals; the gap is closed
//!     lunch = "13:00-14:00"                 # on every working day, within its hours
//!     holidays = [
//!         { date = "01-01..01-08", name = "New Year holidays" },  # every year
//!         { date = "2026-12-31", name = "Company day" },          # that day only
//!         { date = "2027-05-03..2027-05-04" },                    # those days
//!     ]
//!     greeting = { morning_ends = "11:00", evening_starts = "17:00" }  # the defaults
//! "#).unwrap();
//!
//! let main = file.schedule["main"].compile("main").unwrap();
//! let now: DateTime<Utc> = "2026-11-23T10:05:00Z".parse().unwrap();
//! let decision = main.mode_at(now);
//! assert_eq!(decision.mode, Mode::Lunch);
//! assert_eq!(decision.reason, "schedule: lunch (13:05 Europe/Moscow, Mon)");
//! ```

mod clock;
mod compile;
mod config;
mod demo;
mod greeting;
mod holiday;
mod mode;
mod next_change;

pub use compile::Schedule;
pub use config::{GreetingConfig, HolidayConfig, ScheduleConfig};
pub use demo::{demo_schedule, demo_schedule_config};
pub use greeting::Greeting;
pub use mode::{Mode, ModeDecision, Override};
