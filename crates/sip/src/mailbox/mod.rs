//! The phone call to a voicemail box: `*97` opens the caller's own box, `*98` any box
//! keyed in ([`choose`]). The I/O shell around the menu engine ([`sb_voicemail::Menu`]),
//! which decides everything the owner hears and every change to the box.
//!
//! The shell answers with a [`MediaEndpoint`], feeds the engine the keys (RFC 4733,
//! in-band or SIP INFO, as the extension's `dtmf` allows), the end of each playback and
//! recording, and its timer, and carries its actions out:
//!
//! - `Play`: the [`Say`](sb_voicemail::Say) items as clips of the box's language
//!   ([`playback`]); `StopPlay` stops it; `SetTimer` is a deadline on the PBX clock;
//! - `Record`: the owner's greeting, recorded beside its file and moved into place only
//!   when something was said, so an empty take keeps the old greeting; `StopRecord` ends
//!   it, and so does the owner hanging up (what was said is kept);
//! - `MarkSaved`, `Delete`, `SetPin`, `RemoveGreeting`: the store; after a message changed
//!   folder or went, the owners' message-waiting lamps are told;
//! - `CallBack`: rings the message's caller and puts the owner through ([`callback`]);
//! - `Hangup`: BYE.
//!
//! `*97` reads the box before answering, so a database that cannot be read is a 500, not
//! an answered call in silence. A store write that fails mid-call is logged and the menu
//! goes on: the message is at worst still there next time. The PIN is never logged.

mod callback;
mod choose;
mod playback;
mod snapshot;

use crate::call::record::{CallInfo, Outcome};
use crate::call::{caller_dialog, sdp_headers, sdp_refusal, status};
use crate::plan::Plan;
use crate::routing::{Caller, MailboxCode};
use crate::scenario::info_digits;
use crate::server::{reply, Shared};
use choose::BoxEntry;
use playback::Recordings;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::StatusCode;
use rsipstack::transaction::transaction::Transaction;
use sb_config::{DigitMethods, MailboxView};
use sb_media::audio::Language;
use sb_media::playout::{RecordError, RecorderConfig, Recording, SilenceRule};
use sb_media::{EndpointEvent, MediaEndpoint, PlayId};
use sb_store::{Disposition, HangupBy, StoreError};
use sb_voicemail::menu::{MAX_RECORDING, MIN_GREETING};
use sb_voicemail::{Action, Event, GreetingKind, Menu};
use snapshot::Snapshot;
use std::collections::{HashMap, VecDeque};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// Quieter than this is silence while a greeting is recorded: line noise on a G.711 call
/// sits around -60 dBFS, speech well above -35.
const SILENCE_THRESHOLD_DBFS: f64 = -45.0;

/// How long to wait for a greeting's file to be closed after the owner hung up on it.
const RECORDING_CLOSE_WAIT: Duration = Duration::from_secs(2);

/// How greetings are recorded: ended by the engine (`#`, its time limit) or by
/// `[voicemail] silence_secs` of silence; the recorder's own limit is only a backstop.
fn greeting_recorder(settings: &sb_config::Voicemail) -> RecorderConfig {
    RecorderConfig {
        max_length: MAX_RECORDING + Duration::from_secs(1),
        silence: Some(SilenceRule {
            threshold_dbfs: SILENCE_THRESHOLD_DBFS,
            duration: Duration::from_secs(settings.silence_secs),
        }),
        stop_digits: String::new(),
    }
}

/// Runs the voicemail call `code` of `caller` and returns how it ended.
pub(crate) async fn run(
    shared: &Arc<Shared>,
    plan: &Arc<Plan>,
    mut tx: Transaction,
    caller: &Caller,
    code: MailboxCode,
    info: &mut CallInfo,
) -> Outcome {
    let Some(extension) = caller.extension().map(str::to_owned) else {
        reply(&mut tx, StatusCode::Forbidden, vec![]).await;
        return refused(403, "voicemail: not an extension".to_owned());
    };
    if tx.original.body.is_empty() {
        reply(&mut tx, StatusCode::NotAcceptableHere, vec![]).await;
        let reason = "INVITE without SDP (late offer is not supported)".to_owned();
        return refused(488, reason);
    }
    let (talker, actions, language) = match code {
        MailboxCode::Own => {
            // Every extension has a box of its own: only a reload race could miss it.
            let Some(mailbox) = plan.config.mailbox(&extension) else {
                reply(&mut tx, StatusCode::NotFound, vec![]).await;
                return refused(404, format!("voicemail: no box {extension}"));
            };
            match read_box(shared, plan, &mailbox).await {
                Ok(snapshot) => {
                    let language = media_language(mailbox.language);
                    let (open, actions) = start(mailbox, snapshot);
                    (Talker::Open(Box::new(open)), actions, language)
                }
                Err(e) => {
                    warn!(mailbox = %extension, error = %e, "cannot read the voicemail box");
                    reply(&mut tx, StatusCode::ServerInternalError, vec![]).await;
                    return refused(500, format!("voicemail {extension}: {e}"));
                }
            }
        }
        MailboxCode::Any => {
            let (entry, actions) = BoxEntry::new(plan.config.voicemail.pin_attempts);
            (Talker::Choosing(entry), actions, shared.voice.language)
        }
    };
    let endpoint = match shared.media.open_endpoint() {
        Ok(endpoint) => endpoint,
        Err(e) => {
            warn!(error = %e, "no media ports for the voicemail call");
            reply(&mut tx, StatusCode::ServiceUnavailable, vec![]).await;
            return refused(503, "no media ports".to_owned());
        }
    };
    let listed = plan
        .config
        .extension(&extension)
        .and_then(|e| e.dtmf.as_deref());
    let digits = DigitMethods::from_config(listed);
    if let Some(inband) = digits.inband {
        endpoint.detect_inband(inband);
    }
    let answer = match endpoint.answer_with(&tx.original.body, digits.rfc4733) {
        Ok(answer) => answer,
        Err(e) => {
            let outcome = sdp_refusal(&e);
            reply(&mut tx, status(outcome.cause), vec![]).await;
            return outcome;
        }
    };
    let (dialog, caller_events) = match caller_dialog(shared, tx).await {
        Ok(dialog) => dialog,
        Err(outcome) => return outcome,
    };
    if let Err(e) = dialog.accept(Some(sdp_headers()), Some(answer)) {
        warn!(error = %e, "cannot answer the caller");
    }
    info.answered_at = Some(shared.clock.now());
    let mut call = MailboxCall {
        shared: shared.clone(),
        plan: plan.clone(),
        caller: caller.clone(),
        extension,
        dialog,
        caller_events,
        endpoint,
        digits,
        language,
        talker,
        playing: None,
        timer: None,
        greeting: None,
        events: VecDeque::new(),
        tally: Tally::default(),
        info,
    };
    let outcome = call.run(actions).await;
    shared.dialogs.remove_dialog(&call.dialog.id());
    info!(disposition = ?outcome.disposition, reason = %outcome.reason, "call ended");
    outcome
}

fn refused(cause: u16, reason: String) -> Outcome {
    Outcome::new(Disposition::Failed, HangupBy::System, cause, reason)
}

fn media_language(language: sb_config::Language) -> Language {
    match language {
        sb_config::Language::En => Language::En,
        sb_config::Language::Ru => Language::Ru,
    }
}

/// Reads `mailbox` as the menu starts from it.
async fn read_box(
    shared: &Shared,
    plan: &Plan,
    mailbox: &MailboxView,
) -> Result<Snapshot, StoreError> {
    let settings = &plan.config.voicemail;
    snapshot::load(
        &shared.store,
        &mailbox.name,
        mailbox.pin.as_deref(),
        settings.pin_attempts,
        &settings.timezone,
        shared.clock.now(),
    )
    .await
}

/// Starts the menu on a box read with [`read_box`].
fn start(mailbox: MailboxView, snapshot: Snapshot) -> (OpenBox, Vec<Action>) {
    let (menu, actions) = Menu::new(snapshot.setup);
    let open = OpenBox {
        menu,
        mailbox,
        files: snapshot.files,
    };
    (open, actions)
}

/// Who the owner is talking to.
enum Talker {
    /// `*98`: the box number is being keyed.
    Choosing(BoxEntry),
    /// The box's menu.
    Open(Box<OpenBox>),
}

/// A box whose menu runs.
struct OpenBox {
    menu: Menu,
    mailbox: MailboxView,
    /// The recordings of its messages, by id.
    files: HashMap<i64, PathBuf>,
}

/// A greeting being recorded: into `take`, beside its file `path`, where it goes once kept.
struct Take {
    what: GreetingKind,
    take: PathBuf,
    path: PathBuf,
}

/// What was done to the box, for the call record.
#[derive(Default)]
struct Tally {
    saved: u32,
    deleted: u32,
}

/// What woke the call up.
enum Wake {
    Caller(Option<Box<DialogState>>),
    Media(Option<EndpointEvent>),
    Timer,
    Shutdown,
}

/// One call to a voicemail box.
struct MailboxCall<'a> {
    shared: Arc<Shared>,
    plan: Arc<Plan>,
    caller: Caller,
    /// The caller's extension number.
    extension: String,
    dialog: InviteDialog,
    caller_events: DialogStateReceiver,
    endpoint: MediaEndpoint,
    /// How the caller's phone may send digits.
    digits: DigitMethods,
    /// The PBX's language until a box is open, then the box's.
    language: Language,
    talker: Talker,
    /// The playback on the endpoint, with the engine's id for it.
    playing: Option<(PlayId, u32)>,
    timer: Option<Instant>,
    greeting: Option<Take>,
    /// Events for the engine produced while carrying out its actions.
    events: VecDeque<Event>,
    tally: Tally,
    info: &'a mut CallInfo,
}

impl MailboxCall<'_> {
    async fn run(&mut self, first: Vec<Action>) -> Outcome {
        let mut actions = first;
        loop {
            if let Some(outcome) = self.perform(actions).await {
                return outcome;
            }
            if let Some(event) = self.events.pop_front() {
                actions = self.feed(event).await;
                continue;
            }
            actions = match self.wait().await {
                Wake::Caller(event) => match self.caller_event(event).await {
                    Some(outcome) => return outcome,
                    None => Vec::new(),
                },
                Wake::Media(event) => match self.media_event(event).await {
                    Some(outcome) => return outcome,
                    None => Vec::new(),
                },
                Wake::Timer => {
                    self.timer = None;
                    self.feed(Event::TimerFired).await
                }
                Wake::Shutdown => return self.end(HangupBy::System, 503, "shutdown").await,
            };
        }
    }

    async fn wait(&mut self) -> Wake {
        let timer = self.timer;
        tokio::select! {
            event = self.caller_events.recv() => Wake::Caller(event.map(Box::new)),
            event = self.endpoint.next_event() => Wake::Media(event),
            () = async {
                match timer {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => Wake::Timer,
            () = self.shared.hangup_all.cancelled() => Wake::Shutdown,
        }
    }

    /// Hands `event` to whoever talks, and returns what to do.
    async fn feed(&mut self, event: Event) -> Vec<Action> {
        let now = self.shared.clock.now();
        let step = match &mut self.talker {
            Talker::Open(open) => return open.menu.handle(event, now),
            Talker::Choosing(entry) => entry.handle(event, now),
        };
        let mut actions = step.actions;
        if let Some(keyed) = step.keyed {
            actions.extend(self.choose(&keyed).await);
        }
        actions
    }

    /// `*98`: the caller keyed `keyed`; opens that box, or asks again.
    async fn choose(&mut self, keyed: &str) -> Vec<Action> {
        let Some(mailbox) = choose::keyed_box(&self.plan.config, &self.extension, keyed) else {
            // Not the digits: a PIN keyed here by mistake must not reach the log.
            info!(digits = keyed.len(), "no such voicemail box");
            return self.refuse();
        };
        match read_box(&self.shared, &self.plan, &mailbox).await {
            Ok(snapshot) => {
                let pin = snapshot.setup.pin.as_deref();
                if !choose::may_open(&mailbox, &self.extension, pin) {
                    info!(mailbox = %mailbox.name, "a box without a PIN opens only for its owners");
                    return self.refuse();
                }
                info!(mailbox = %mailbox.name, "voicemail box chosen");
                self.language = media_language(mailbox.language);
                let (open, actions) = start(mailbox, snapshot);
                self.talker = Talker::Open(Box::new(open));
                actions
            }
            Err(e) => {
                warn!(mailbox = %mailbox.name, error = %e, "cannot read the voicemail box: hanging up");
                vec![Action::Hangup]
            }
        }
    }

    fn refuse(&mut self) -> Vec<Action> {
        match &mut self.talker {
            Talker::Choosing(entry) => entry.refused(),
            Talker::Open(_) => Vec::new(),
        }
    }

    fn open_box(&self) -> Option<&OpenBox> {
        match &self.talker {
            Talker::Open(open) => Some(open),
            Talker::Choosing(_) => None,
        }
    }

    /// Carries out the engine's actions; `Some` when the call is over.
    async fn perform(&mut self, actions: Vec<Action>) -> Option<Outcome> {
        for action in actions {
            // The new PIN is not for the log.
            if !matches!(action, Action::SetPin(_)) {
                debug!(?action, "voicemail menu action");
            }
            match action {
                Action::Play { id, items } => self.play(id, &items).await,
                Action::StopPlay { id } => {
                    if self.playing.is_some_and(|(_, playing)| playing == id) {
                        self.playing = None;
                        self.endpoint.stop();
                    }
                }
                Action::SetTimer { at } => {
                    let wait = (at - self.shared.clock.now()).to_std().unwrap_or_default();
                    // Beyond the runtime's range it would never fire anyway.
                    self.timer = Instant::now().checked_add(wait);
                }
                Action::Record { what } => self.record(what).await,
                Action::StopRecord => self.endpoint.stop_recording(),
                Action::MarkSaved(id) => self.mark_saved(id).await,
                Action::Delete(id) => self.delete(id).await,
                Action::SetPin(pin) => self.set_pin(&pin).await,
                Action::RemoveGreeting(kind) => self.remove_greeting(kind).await,
                Action::CallBack { number } => return Some(self.call_back(&number).await),
                Action::Hangup => return Some(self.end(HangupBy::System, 200, "goodbye").await),
            }
        }
        None
    }

    async fn play(&mut self, id: u32, items: &[sb_voicemail::Say]) {
        let voice = &self.shared.voice;
        let clips = match &self.talker {
            Talker::Open(open) => {
                let recordings = Recordings {
                    store: &self.shared.store,
                    mailbox: &open.mailbox.name,
                    messages: &open.files,
                };
                playback::clips(voice, self.language, items, Some(&recordings)).await
            }
            Talker::Choosing(_) => playback::clips(voice, self.language, items, None).await,
        };
        if clips.is_empty() {
            if self.playing.take().is_some() {
                self.endpoint.stop();
            }
            self.events.push_back(Event::PlayDone(id));
            return;
        }
        self.playing = Some((self.endpoint.play(clips), id));
    }

    /// A playback ended (played out, stopped or replaced): the engine hears of its own.
    fn played(&mut self, id: PlayId) {
        if let Some((_, engine_id)) = self.playing.filter(|(play, _)| *play == id) {
            self.playing = None;
            self.events.push_back(Event::PlayDone(engine_id));
        }
    }

    async fn record(&mut self, what: GreetingKind) {
        let Some(open) = self.open_box() else { return };
        match self
            .shared
            .store
            .prepare_greeting(&open.mailbox.name, what)
            .await
        {
            Ok(path) => {
                let take = path.with_extension("new.wav");
                let settings = &self.plan.config.voicemail;
                self.endpoint.record(&take, greeting_recorder(settings));
                self.greeting = Some(Take { what, take, path });
            }
            Err(e) => {
                warn!(?what, error = %e, "cannot record the greeting");
                self.events.push_back(Event::RecordDone { kept: false });
            }
        }
    }

    /// The recorder is done with the greeting: it replaces the old one if something was
    /// said. Returns whether it did.
    async fn recorded(&mut self, result: Result<Recording, RecordError>) -> bool {
        let Some(take) = self.greeting.take() else {
            return false;
        };
        let recording = match result {
            Ok(recording) => recording,
            Err(e) => {
                warn!(what = ?take.what, error = %e, "the greeting could not be recorded; the old one stays");
                return false;
            }
        };
        if recording.duration < MIN_GREETING {
            info!(what = ?take.what, "nothing said: the old greeting stays");
            remove(&take.take).await;
            return false;
        }
        match tokio::fs::rename(&take.take, &take.path).await {
            Ok(()) => {
                info!(what = ?take.what, secs = recording.duration.as_secs_f64(), path = %take.path.display(), "greeting recorded");
                true
            }
            Err(e) => {
                warn!(what = ?take.what, path = %take.path.display(), error = %e, "cannot put the greeting in place; the old one stays");
                remove(&take.take).await;
                false
            }
        }
    }

    /// A greeting being recorded when the call ends is closed and kept, as if `#` ended it.
    async fn finish_greeting(&mut self) {
        if self.greeting.is_none() {
            return;
        }
        self.endpoint.stop_recording();
        let closed = tokio::time::timeout(RECORDING_CLOSE_WAIT, async {
            while let Some(event) = self.endpoint.next_event().await {
                match event {
                    EndpointEvent::RecordFinished(recording) => return Some(Ok(recording)),
                    EndpointEvent::RecordFailed(error) => return Some(Err(error)),
                    _ => {}
                }
            }
            None
        })
        .await;
        match closed {
            Ok(Some(result)) => {
                self.recorded(result).await;
            }
            _ => {
                warn!("the greeting was not confirmed closed: the old one stays");
                if let Some(take) = self.greeting.take() {
                    remove(&take.take).await;
                }
            }
        }
    }

    async fn mark_saved(&mut self, id: i64) {
        match self.shared.store.mark_saved(id).await {
            Ok(true) => {
                self.tally.saved += 1;
                self.lamps();
            }
            Ok(false) => info!(id, "the message to save is gone"),
            Err(e) => warn!(id, error = %e, "cannot move the message to saved; it stays new"),
        }
    }

    async fn delete(&mut self, id: i64) {
        match self.shared.store.delete_message(id).await {
            Ok(true) => {
                info!(id, "voicemail message deleted by phone");
                self.tally.deleted += 1;
                self.lamps();
            }
            Ok(false) => info!(id, "the message to delete is already gone"),
            Err(e) => warn!(id, error = %e, "cannot delete the message"),
        }
    }

    /// The box's owners' message-waiting lamps show its new counts.
    fn lamps(&self) {
        if let Some(open) = self.open_box() {
            for owner in &open.mailbox.owners {
                self.shared.mwi.changed(owner);
            }
        }
    }

    async fn set_pin(&mut self, pin: &str) {
        let Some(open) = self.open_box() else { return };
        let mailbox = &open.mailbox.name;
        match self.shared.store.set_pin(mailbox, pin).await {
            Ok(()) => info!(%mailbox, "PIN changed by phone"),
            Err(e) => warn!(%mailbox, error = %e, "the new PIN was not stored; the old one stays"),
        }
    }

    async fn remove_greeting(&mut self, kind: GreetingKind) {
        let Some(open) = self.open_box() else { return };
        match self.shared.store.greeting_path(&open.mailbox.name, kind) {
            Ok(path) => {
                remove(&path).await;
                info!(?kind, mailbox = %open.mailbox.name, "greeting removed by phone");
            }
            Err(e) => warn!(?kind, error = %e, "cannot remove the greeting"),
        }
    }

    async fn media_event(&mut self, event: Option<EndpointEvent>) -> Option<Outcome> {
        match event {
            Some(EndpointEvent::Digit(digit)) => {
                self.events.push_back(Event::Digit(digit.to_char()))
            }
            Some(EndpointEvent::PlayFinished { id, .. }) => self.played(id),
            Some(EndpointEvent::PlayFailed { id, error }) => {
                warn!(%error, "playback failed");
                self.played(id);
            }
            Some(EndpointEvent::RecordFinished(recording)) => {
                let kept = self.recorded(Ok(recording)).await;
                self.events.push_back(Event::RecordDone { kept });
            }
            Some(EndpointEvent::RecordFailed(error)) => {
                let kept = self.recorded(Err(error)).await;
                self.events.push_back(Event::RecordDone { kept });
            }
            Some(EndpointEvent::MediaTimeout) => {
                warn!("no RTP from the caller: ending the call");
                return Some(self.end(HangupBy::System, 200, "rtp timeout").await);
            }
            None => return Some(self.end(HangupBy::System, 500, "media endpoint lost").await),
        }
        None
    }

    async fn caller_event(&mut self, event: Option<Box<DialogState>>) -> Option<Outcome> {
        match event.map(|event| *event) {
            Some(DialogState::Terminated(_, reason)) => {
                self.finish_greeting().await;
                let (by, text) = match reason {
                    TerminatedReason::UacBye => (HangupBy::Caller, "caller hung up".to_owned()),
                    other => (HangupBy::System, format!("caller dialog ended: {other:?}")),
                };
                Some(Outcome::new(
                    Disposition::Answered,
                    by,
                    200,
                    self.reason(&text),
                ))
            }
            Some(DialogState::Updated(_, request, handle)) => {
                if request.body.is_empty() {
                    handle.reply(StatusCode::OK).await.ok();
                    return None;
                }
                match self
                    .endpoint
                    .answer_with(&request.body, self.digits.rfc4733)
                {
                    Ok(sdp) => {
                        let headers = Some(sdp_headers());
                        handle
                            .respond(StatusCode::OK, headers, Some(sdp))
                            .await
                            .ok();
                    }
                    Err(e) => {
                        warn!(error = %e, "caller re-INVITE with unusable SDP");
                        handle.reply(StatusCode::NotAcceptableHere).await.ok();
                    }
                }
                None
            }
            Some(DialogState::Info(_, request, handle)) => {
                handle.reply(StatusCode::OK).await.ok();
                match info_digits::digit_of(&request) {
                    Some(digit) if self.digits.info => self.events.push_back(Event::Digit(digit)),
                    Some(digit) => {
                        debug!(%digit, "digit by SIP INFO ignored: not enabled for this caller")
                    }
                    None => {}
                }
                None
            }
            Some(DialogState::Options(_, _, handle)) => {
                handle.reply(StatusCode::OK).await.ok();
                None
            }
            Some(_) => None,
            None => Some(Outcome::new(
                Disposition::Answered,
                HangupBy::System,
                500,
                self.reason("caller dialog lost"),
            )),
        }
    }

    /// The PBX ends the call: a greeting being recorded is kept, and the caller gets a BYE.
    async fn end(&mut self, by: HangupBy, cause: u16, text: &str) -> Outcome {
        self.finish_greeting().await;
        crate::call::hangup::bye_after_ack(&self.dialog).await;
        Outcome::new(Disposition::Answered, by, cause, self.reason(text))
    }

    /// The call record's reason: the box and what was done to it, then `text`.
    fn reason(&self, text: &str) -> String {
        let Some(open) = self.open_box() else {
            return format!("voicemail: {text}");
        };
        let Tally { saved, deleted } = self.tally;
        if saved == 0 && deleted == 0 {
            format!("voicemail {}: {text}", open.mailbox.name)
        } else {
            format!(
                "voicemail {}: {saved} saved, {deleted} deleted; {text}",
                open.mailbox.name
            )
        }
    }
}

/// Removes a file that may not be there.
async fn remove(path: &Path) {
    match tokio::fs::remove_file(path).await {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => warn!(path = %path.display(), error = %e, "cannot remove the file"),
    }
}
