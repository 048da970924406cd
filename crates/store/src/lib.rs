//! Switchboard's database: migrations and call records.

mod record;

pub use record::{CallParty, CallRecord, Disposition, HangupBy};
