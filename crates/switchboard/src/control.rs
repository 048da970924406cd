//! The API's controls carried out on the running PBX: reload, schedule overrides, and which
//! voicemail boxes the configuration in force has.

use sb_api::{Control, ControlError, OverrideRequest, OverrideView, ScheduleView};
use sb_flow::schedule::{Mode, Override};
use sb_sip::{ScheduleState, SipStatus};
use std::path::PathBuf;

/// Adapts [`SipStatus`] to the API's [`Control`].
pub struct SipControl {
    pub status: SipStatus,
    /// The file to read again on reload; `None` when the embedded demo runs.
    pub config_path: Option<PathBuf>,
}

fn mode_name(mode: Mode) -> String {
    mode.to_string()
}

fn parse_mode(text: &str) -> Result<Mode, ControlError> {
    match text {
        "day" => Ok(Mode::Day),
        "lunch" => Ok(Mode::Lunch),
        "night" => Ok(Mode::Night),
        "holiday" => Ok(Mode::Holiday),
        other => Err(ControlError::Invalid(format!(
            "unknown mode {other:?} (expected day, lunch, night or holiday)"
        ))),
    }
}

fn view(state: ScheduleState) -> ScheduleView {
    ScheduleView {
        name: state.name,
        mode: mode_name(state.decision.mode),
        reason: state.decision.reason,
        manual: state.manual.map(|manual| OverrideView {
            mode: mode_name(manual.mode),
            until: manual.until.map(|until| until.to_rfc3339()),
            set_by: manual.set_by,
        }),
    }
}

impl SipControl {
    fn schedule(&self, name: &str) -> Result<ScheduleView, ControlError> {
        self.status
            .schedules()
            .into_iter()
            .find(|state| state.name == name)
            .map(view)
            .ok_or_else(|| ControlError::UnknownSchedule(name.to_owned()))
    }
}

impl Control for SipControl {
    fn reload(&self) -> Result<(), ControlError> {
        let Some(path) = &self.config_path else {
            return Err(ControlError::Refused(
                "the embedded demo is running: there is no configuration file to reload".into(),
            ));
        };
        crate::reload::reload_file(&self.status, path)
            .map_err(|e| ControlError::Refused(format!("{e:#}")))
    }

    fn schedules(&self) -> Vec<ScheduleView> {
        self.status.schedules().into_iter().map(view).collect()
    }

    fn has_mailbox(&self, mailbox: &str) -> bool {
        self.status.config().mailbox(mailbox).is_some()
    }

    fn set_override(
        &self,
        schedule: &str,
        request: OverrideRequest,
    ) -> Result<ScheduleView, ControlError> {
        let mode = parse_mode(&request.mode)?;
        let until = request
            .hours
            .map(|hours| self.status.now() + chrono::TimeDelta::hours(i64::from(hours)));
        let manual = Override {
            mode,
            until,
            set_by: request.set_by.unwrap_or_else(|| "api".to_owned()),
        };
        if !self.status.set_override(schedule, Some(manual)) {
            return Err(ControlError::UnknownSchedule(schedule.to_owned()));
        }
        self.schedule(schedule)
    }

    fn clear_override(&self, schedule: &str) -> Result<ScheduleView, ControlError> {
        if !self.status.set_override(schedule, None) {
            return Err(ControlError::UnknownSchedule(schedule.to_owned()));
        }
        self.schedule(schedule)
    }
}
