//! A PBX with nothing live and no schedules, for the test files of routes that read the
//! store only.

use sb_api::{Control, ControlError, LiveSnapshot, LiveView, OverrideRequest, ScheduleView};

/// A PBX with nothing going on and the voicemail boxes `mailboxes` configured.
#[derive(Default)]
pub struct Idle {
    pub mailboxes: &'static [&'static str],
}

impl LiveView for Idle {
    fn snapshot(&self) -> LiveSnapshot {
        LiveSnapshot {
            active_calls: 0,
            draining: false,
            registrations: Vec::new(),
        }
    }
}

impl Control for Idle {
    fn reload(&self) -> Result<(), ControlError> {
        Ok(())
    }

    fn schedules(&self) -> Vec<ScheduleView> {
        Vec::new()
    }

    fn set_override(&self, name: &str, _: OverrideRequest) -> Result<ScheduleView, ControlError> {
        Err(ControlError::UnknownSchedule(name.to_owned()))
    }

    fn clear_override(&self, name: &str) -> Result<ScheduleView, ControlError> {
        Err(ControlError::UnknownSchedule(name.to_owned()))
    }

    fn has_mailbox(&self, mailbox: &str) -> bool {
        self.mailboxes.contains(&mailbox)
    }
}
