//! The voicemail step: the box's greeting, the beep, and a message recorded into the box.
//!
//! A message is a database row and a WAV file that appear together (see
//! [`sb_store::Store::begin_message`]): the row is written, marked as recording, before the
//! first sample; the recorder commits the file by rename; only then does the row become a
//! new message, in the same transaction that queues its e-mails. A crash in between is
//! settled at the next start (the row is completed from its file, or dropped when nothing
//! was recorded), so there is never a message without its audio.
//!
//! A message is kept however the caller leaves: by `#`, by silence, at the length limit,
//! or by hanging up (even at the tone: a zero-length message is still a missed customer).
//! Once kept, the owners' message-waiting lamps are told, the mailer is woken, and the call
//! is marked missed with the message, for the callback task it leaves.

use crate::call::record::CallInfo;
use crate::server::Shared;
use sb_config::MailboxView;
use sb_media::audio::{Clip, Language};
use sb_media::playout::{RecordError, RecorderConfig, Recording, SilenceRule};
use sb_media::tones::ToneKind;
use sb_media::{MediaEndpoint, PlayId};
use sb_store::{MessageSlot, NewMessage};
use sb_voicemail::greeting::{caller_greeting, GreetingKind, Greetings, VoicemailReason};
use sb_voicemail::tasks::MissedKind;
use sb_voicemail::Say;
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// Quieter than this is silence: line noise on a G.711 call sits around -60 dBFS, speech
/// well above -35.
const SILENCE_THRESHOLD_DBFS: f64 = -45.0;

/// How messages are recorded: `[voicemail]`'s length and silence, ended early by `#`.
fn recorder_config(settings: &sb_config::Voicemail) -> RecorderConfig {
    RecorderConfig {
        max_length: Duration::from_secs(settings.max_message_secs),
        silence: Some(SilenceRule {
            threshold_dbfs: SILENCE_THRESHOLD_DBFS,
            duration: Duration::from_secs(settings.silence_secs),
        }),
        stop_digits: "#".to_owned(),
    }
}

/// Where the caller is in the step.
#[derive(Debug)]
enum Stage {
    /// The greeting is playing.
    Greeting(PlayId),
    /// The beep is playing.
    Beep(PlayId),
    /// Recording into the message's file.
    Recording(MessageSlot),
    /// The message could not be started (the database refused it); the call ends.
    Failed,
}

/// A caller leaving a message in one box.
#[derive(Debug)]
pub(crate) struct LeaveMessage {
    mailbox: MailboxView,
    stage: Stage,
}

impl LeaveMessage {
    /// Answers for the box: its greeting (temporary, busy or unavailable as recorded by the
    /// owner, else the system's), played on `endpoint`.
    pub async fn start(
        shared: &Shared,
        endpoint: &MediaEndpoint,
        mailbox: MailboxView,
        reason: VoicemailReason,
        language: Language,
    ) -> LeaveMessage {
        let greetings = match shared.store.greetings(&mailbox.name).await {
            Ok(present) => present,
            Err(e) => {
                warn!(mailbox = %mailbox.name, error = %e, "cannot read the box's greetings: the system greeting plays");
                Greetings::default()
            }
        };
        let mut clips = Vec::new();
        for item in caller_greeting(&greetings, reason) {
            match item {
                Say::Greeting(kind) => {
                    if let Some(clip) = greeting_clip(shared, &mailbox.name, kind).await {
                        clips.push(clip);
                    }
                }
                Say::Prompt(name) => match shared.voice.prompts.get(language, name) {
                    Ok(clip) => clips.push(clip),
                    Err(e) => warn!(prompt = name, error = %e, "voicemail greeting missing"),
                },
                // The beep is the next stage, on the tone plan's own clock.
                Say::Beep => {}
                other => warn!(?other, "unexpected item in a voicemail greeting"),
            }
        }
        if clips.is_empty() {
            warn!(mailbox = %mailbox.name, "voicemail greeting missing: beep only");
        }
        info!(mailbox = %mailbox.name, ?reason, "voicemail");
        let greeting = endpoint.play(clips);
        LeaveMessage {
            mailbox,
            stage: Stage::Greeting(greeting),
        }
    }

    /// Whether the message is being recorded (rather than the greeting or beep playing).
    pub fn recording(&self) -> bool {
        matches!(self.stage, Stage::Recording(_))
    }

    /// Whether the step can go no further (the database refused the message).
    pub fn failed(&self) -> bool {
        matches!(self.stage, Stage::Failed)
    }

    /// A playback `id` ended: the greeting leads to the beep, the beep to the recording.
    /// Returns whether the playback was this step's.
    pub async fn played(
        &mut self,
        id: PlayId,
        shared: &Shared,
        endpoint: &MediaEndpoint,
        info: &CallInfo,
        settings: &sb_config::Voicemail,
    ) -> bool {
        match self.stage {
            Stage::Greeting(greeting) if greeting == id => {
                let beep = shared.voice.tone_plan.tone(ToneKind::Beep);
                self.stage = Stage::Beep(endpoint.play_tone(beep));
                true
            }
            Stage::Beep(beep) if beep == id => {
                self.begin_recording(shared, endpoint, info, settings).await;
                true
            }
            _ => false,
        }
    }

    /// The caller left before the recording began: the message is started anyway, and
    /// holds nothing but who called.
    pub async fn begin_if_not_yet(
        &mut self,
        shared: &Shared,
        endpoint: &MediaEndpoint,
        info: &CallInfo,
        settings: &sb_config::Voicemail,
    ) {
        if matches!(self.stage, Stage::Greeting(_) | Stage::Beep(_)) {
            self.begin_recording(shared, endpoint, info, settings).await;
        }
    }

    async fn begin_recording(
        &mut self,
        shared: &Shared,
        endpoint: &MediaEndpoint,
        info: &CallInfo,
        settings: &sb_config::Voicemail,
    ) {
        let message = NewMessage {
            mailbox: self.mailbox.name.clone(),
            caller_number: info.caller.number.clone(),
            caller_name: info.caller.name.clone(),
            call_id: info.id.clone(),
            received_at: shared.clock.now(),
        };
        match shared.store.begin_message(&message).await {
            Ok(slot) => {
                endpoint.record(&slot.path, recorder_config(settings));
                self.stage = Stage::Recording(slot);
            }
            Err(e) => {
                warn!(mailbox = %self.mailbox.name, error = %e, "cannot begin a voicemail message");
                self.stage = Stage::Failed;
            }
        }
    }

    /// The recorder is done with the message (committed, or failed): the message is made
    /// new (or its row dropped when there is no file), the owners' lamps and the mailer
    /// are told, and the call is marked missed with it. Returns a line for the call record.
    pub async fn recorded(
        self,
        shared: &Shared,
        result: Result<Recording, RecordError>,
        info: &mut CallInfo,
    ) -> String {
        let Stage::Recording(slot) = self.stage else {
            return "voicemail: no message".to_owned();
        };
        let duration = match &result {
            Ok(recording) => {
                info!(reason = ?recording.reason, "voicemail recording stopped");
                recording.duration
            }
            Err(e) => {
                warn!(error = %e, "the voicemail message could not be recorded");
                Duration::ZERO
            }
        };
        match shared
            .store
            .finish_message(slot.id, duration, &self.mailbox.email)
            .await
        {
            Ok(()) => {
                info!(id = slot.id, mailbox = %self.mailbox.name, secs = duration.as_secs_f64(), path = %slot.path.display(), "voicemail message saved");
                for owner in &self.mailbox.owners {
                    shared.mwi.changed(owner);
                }
                shared.mail_wake.notify_one();
                info.missed = Some(MissedKind::Voicemail {
                    mailbox: self.mailbox.name.clone(),
                    message_id: slot.id,
                });
                format!("voicemail: message of {} s", duration.as_secs())
            }
            Err(e) => {
                warn!(id = slot.id, error = %e, "the voicemail message was not kept");
                format!("voicemail failed: {e}")
            }
        }
    }
}

/// The owner's recording of `kind`, or `None` (logged) when it cannot be read: the caller
/// then hears the rest of the greeting.
async fn greeting_clip(shared: &Shared, mailbox: &str, kind: GreetingKind) -> Option<Arc<Clip>> {
    let path = match shared.store.greeting_path(mailbox, kind) {
        Ok(path) => path,
        Err(e) => {
            warn!(%mailbox, ?kind, error = %e, "no greeting path");
            return None;
        }
    };
    let loaded = tokio::task::spawn_blocking({
        let path = path.clone();
        move || Clip::load(&path)
    })
    .await;
    match loaded {
        Ok(Ok(clip)) => Some(Arc::new(clip)),
        Ok(Err(e)) => {
            warn!(path = %path.display(), error = %e, "the box's greeting cannot be played");
            None
        }
        Err(e) => {
            warn!(error = %e, "greeting loader failed");
            None
        }
    }
}
