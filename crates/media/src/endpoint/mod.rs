//! A call leg the PBX itself terminates: the auto-attendant that greets a caller, the queue
//! that plays hold music, the voicemail box that records a message.
//!
//! [`Media::open_endpoint`] takes one RTP/RTCP port pair from the same pool as bridges and
//! starts a task that owns the socket. The SIP layer answers the phone's offer with
//! [`MediaEndpoint::answer`] (or offers with [`MediaEndpoint::offer`] and takes the reply with
//! [`MediaEndpoint::accept_answer`]); the scenario engine then drives the leg with plain
//! actions and reads what happens from [`MediaEndpoint::next_event`]:
//!
//! * actions: [`play`](MediaEndpoint::play) clips, [`play_loop`](MediaEndpoint::play_loop) one
//!   clip, [`play_tone`](MediaEndpoint::play_tone), [`moh`](MediaEndpoint::moh) (listen to a
//!   music-on-hold class), [`stop`](MediaEndpoint::stop), [`record`](MediaEndpoint::record)
//!   and [`stop_recording`](MediaEndpoint::stop_recording),
//!   [`detect_inband`](MediaEndpoint::detect_inband);
//! * events ([`EndpointEvent`]): each digit once, whichever way it came (RFC 4733 events on
//!   the negotiated telephone-event payload type, or in-band tones in the decoded audio); the
//!   end of each playback, named by the [`PlayId`] its action returned; the end of a
//!   recording; media that stopped arriving.
//!
//! One playback at a time: a new one replaces the current one at the next 20 ms frame, and
//! the replaced one is reported as stopped. Everything the PBX sends on the leg is one RTP
//! stream (one SSRC, sequence and timestamp line), so moving from a prompt to music is
//! seamless for the phone's jitter buffer. A digit never stops playback by itself
//! (barge-in is the engine's decision: it calls `stop` or plays something else).
//!
//! Two endpoints can be [joined](MediaEndpoint::join): each forwards what its phone sends to
//! the other's phone, as its own stream, so a caller answered by the PBX talks to the
//! extension it dialled without a re-INVITE and can be taken back at any time (see the
//! `join` module). A playback on a leg takes precedence over what is forwarded into it
//! (ringback until the answer, a whisper); digits are still reported where they arrive.
//! [`send_digits`](MediaEndpoint::send_digits) sends keys to the phone as a playback.
//!
//! Each leg also sends RTCP sender reports while it sends RTP, and counts the phone's
//! reports (the `rtcp` module).
//!
//! Where to send is learned as the bridge learns it: the SDP's address, then the source of
//! the phone's packets (symmetric RTP, the `latch` module's rule). Nothing is sent while no
//! playback is active or while the phone's SDP says it does not receive (hold).
//!
//! Dropping the endpoint ends its task: a recording in progress is finished (as a hang-up),
//! so nothing recorded is lost, and the ports go back to the pool once the task has let go of
//! the socket.

mod answer;
mod digits;
mod join;
mod listener;
mod mix;
mod rtcp;
mod task;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_join;

pub use answer::Negotiated;
pub use digits::DigitMethod;

use crate::audio::Clip;
use crate::dtmf::Digit;
use crate::origin::Origin;
use crate::playout::{
    FrameSource, Looping, MohClass, MohError, PlayEnd, Playlist, RecordError, RecorderConfig,
    Recording,
};
use crate::tones::{Tone, ToneGenerator};
use crate::{lock, Media, MediaError, SdpError};
use digits::Digits;
use join::{Forwarded, Link, Outgoing, FORWARD_BACKLOG};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use task::{Command, Playback, Task};
use tokio::sync::mpsc;

/// Events kept for an engine that has not read them yet; far more than a leg produces
/// between two reads (digits come at most every 80 ms or so).
const EVENT_BACKLOG: usize = 256;

/// Names one playback, so its [`EndpointEvent::PlayFinished`] can be told from another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayId(pub u64);

/// What happened on an endpoint's leg.
#[derive(Debug)]
pub enum EndpointEvent {
    /// The phone pressed a key (reported once per press).
    Digit(Digit),
    /// A playback ended: [`PlayEnd::SourceEnded`] when it played to its end,
    /// [`PlayEnd::Stopped`] when `stop` or another playback ended it.
    PlayFinished {
        /// The playback.
        id: PlayId,
        /// Why it ended.
        end: PlayEnd,
    },
    /// A music-on-hold class could not be listened to (it has no encoder for the call's
    /// codec); nothing was played.
    PlayFailed {
        /// The playback.
        id: PlayId,
        /// Why.
        error: MohError,
    },
    /// A recording stopped (by its stop digit, silence or length limit, or
    /// [`MediaEndpoint::stop_recording`]) and its file is in place.
    RecordFinished(Recording),
    /// A recording could not be started or written.
    RecordFailed(RecordError),
    /// No RTP has arrived from the phone for the configured inactivity timeout while it
    /// should be sending (not on hold). Reported once until media flows again.
    MediaTimeout,
}

/// A call leg the PBX terminates; see the [module documentation](self).
#[derive(Debug)]
pub struct MediaEndpoint {
    advertise_ip: IpAddr,
    port: u16,
    origin: Mutex<Origin>,
    commands: mpsc::UnboundedSender<Command>,
    events: tokio::sync::Mutex<mpsc::Receiver<EndpointEvent>>,
    next_id: AtomicU64,
    /// Where a joined peer's task puts what it forwards to this leg.
    inbox: mpsc::Sender<Forwarded>,
    /// The current pairing, if joined.
    pairing: Mutex<Option<Arc<Link>>>,
}

impl Media {
    /// Opens a leg the PBX terminates: binds one RTP/RTCP port pair from the pool and starts
    /// the leg's task. Fails with [`MediaError::Exhausted`] when the range has no free pair.
    /// Must be called within a tokio runtime.
    pub fn open_endpoint(&self) -> Result<MediaEndpoint, MediaError> {
        let pair = self.pool().allocate()?;
        let port = pair.rtp.port;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::channel(EVENT_BACKLOG);
        let (inbox, inbox_rx) = mpsc::channel(FORWARD_BACKLOG);
        let timeout = self.config().inactivity_timeout;
        let task = Task::new(pair, command_rx, inbox_rx, event_tx, timeout);
        tokio::spawn(task.run());
        tracing::debug!(port, "media endpoint opened");
        Ok(MediaEndpoint {
            advertise_ip: self.config().advertise_ip,
            port,
            origin: Mutex::new(Origin::new(rand::random())),
            commands,
            events: tokio::sync::Mutex::new(events),
            next_id: AtomicU64::new(1),
            inbox,
            pairing: Mutex::new(None),
        })
    }
}

impl MediaEndpoint {
    /// The PBX's RTP port for this leg (its RTCP port is the next one).
    pub fn local_port(&self) -> u16 {
        self.port
    }

    /// Answers a phone's SDP offer: the offerer's first of PCMU and PCMA (keeping its payload
    /// type), telephone-event at 8 kHz if offered (keeping its payload type), the PBX's
    /// address and this leg's port, and the direction complementing the offer's (`sendrecv`
    /// for a normal call). Every other stream is declined with port 0.
    ///
    /// Also for a re-INVITE: the `o=` version goes up only when the answer changes. On error
    /// nothing changes (answer the INVITE with 488).
    pub fn answer(&self, offer: &[u8]) -> Result<Vec<u8>, SdpError> {
        self.answer_with(offer, true)
    }

    /// [`answer`](Self::answer), with telephone-event left out when `rfc4733` is false:
    /// for a phone or trunk configured to send digits by SIP INFO or in-band only, so it
    /// does not send events nobody listens for.
    pub fn answer_with(&self, offer: &[u8], rfc4733: bool) -> Result<Vec<u8>, SdpError> {
        let answer = answer::answer(offer, self.advertise_ip, self.port, rfc4733)?;
        self.send(Command::Negotiated(answer.negotiated));
        Ok(self.with_origin(&answer.body))
    }

    /// The PBX's offer for a leg it calls: PCMU, PCMA and telephone-event 101, `sendrecv`.
    pub fn offer(&self) -> Vec<u8> {
        self.with_origin(&answer::offer(self.advertise_ip, self.port))
    }

    /// Takes the phone's answer to [`offer`](Self::offer): its first G.711 format and its
    /// telephone-event, and where it wants media.
    pub fn accept_answer(&self, answer: &[u8]) -> Result<Negotiated, SdpError> {
        let negotiated = answer::accept(answer)?;
        self.send(Command::Negotiated(negotiated));
        Ok(negotiated)
    }

    /// Plays `clips` one after the other, as one continuous stream, replacing whatever is
    /// playing.
    pub fn play(&self, clips: impl IntoIterator<Item = Arc<Clip>>) -> PlayId {
        let playlist = Playlist::new(clips.into_iter().map(SharedClip));
        self.play_source(Box::new(playlist))
    }

    /// Plays `clip` over and over, seamlessly, until stopped or replaced.
    pub fn play_loop(&self, clip: Arc<Clip>) -> PlayId {
        self.play_source(Box::new(Looping::new(SharedClip(clip))))
    }

    /// Plays a call-progress tone (ringback, busy, beep...) as its plan describes it; a tone
    /// that repeats plays until stopped or replaced.
    pub fn play_tone(&self, tone: Tone) -> PlayId {
        self.play_source(Box::new(ToneSource(ToneGenerator::new(tone))))
    }

    /// Plays any source of 20 ms frames (silence, a generated announcement...).
    pub fn play_source(&self, source: Box<dyn FrameSource>) -> PlayId {
        self.start(Playback::Source(source))
    }

    /// Puts the leg on a music-on-hold class: it hears the class's shared music from where
    /// the class is now, until stopped or replaced.
    pub fn moh(&self, class: Arc<MohClass>) -> PlayId {
        self.start(Playback::Moh(class))
    }

    /// Stops the current playback within one 20 ms frame; it is reported as
    /// [`PlayEnd::Stopped`]. Nothing is sent afterwards until the next playback.
    pub fn stop(&self) {
        self.send(Command::Stop);
    }

    /// Starts recording what the phone sends to `path` (a `.wav` file, which appears when
    /// the recording is finished). A recording already running is finished first. The end
    /// is reported as [`EndpointEvent::RecordFinished`] or [`EndpointEvent::RecordFailed`].
    pub fn record(&self, path: impl Into<PathBuf>, config: RecorderConfig) {
        self.send(Command::Record(path.into(), config, false));
    }

    /// Records both sides of the conversation to `path`, mixed into one file: what this
    /// leg's phone sends and what the [joined](Self::join) peer's phone sends, lined up by
    /// arrival in 20 ms frames (a side that lags or is silent counts as silence). Before a
    /// join, or after the pairing ends, only this leg is heard. Otherwise as
    /// [`record`](Self::record): its stop conditions apply to the mix, and digits pressed on
    /// this leg count.
    pub fn record_both_legs(&self, path: impl Into<PathBuf>, config: RecorderConfig) {
        self.send(Command::Record(path.into(), config, true));
    }

    /// Finishes the recording in progress, if any (reported with the reason
    /// [`StopReason::HangUp`](crate::playout::StopReason::HangUp) unless a stop condition was
    /// already met).
    pub fn stop_recording(&self) {
        self.send(Command::StopRecording);
    }

    /// Whether digits are also looked for in the audio (for phones and gateways that send
    /// DTMF in-band). By default they are exactly when no telephone-event was negotiated;
    /// turning detection on for a phone that sends RFC 4733 events as well as the tones
    /// (some do) reports each press twice.
    pub fn detect_inband(&self, enabled: bool) {
        self.send(Command::Inband(enabled));
    }

    /// Sends `digits` (`0`-`9`, `*`, `#`, `A`-`D`; other characters are passed over) to the
    /// phone as a playback on the leg's stream, replacing whatever plays; its end is
    /// reported as for any playback. [`DigitMethod::Rfc4733`] sends telephone events on the
    /// negotiated payload type, or in-band tones if the leg negotiated none.
    pub fn send_digits(&self, digits: &str, method: DigitMethod) -> PlayId {
        self.start(Playback::Digits(Digits::new(digits, method)))
    }

    /// Joins this leg to `other`: from now on each forwards what its phone sends to the
    /// other's phone, on the receiving leg's own stream (its SSRC, numbering and payload
    /// types; PCMU and PCMA transcoded where the legs differ), so neither phone sees the
    /// switch as anything but a talkspurt. Any pairing either leg had ends first.
    ///
    /// While joined, a playback on a leg takes precedence over what is forwarded into it
    /// (the shell plays ringback to the caller until the callee answers, or whispers), and
    /// nothing is forwarded to a phone on hold. Digits are still reported by the endpoint
    /// where they arrive, and their RFC 4733 packets forwarded too. Recording goes on as
    /// before (the leg's own phone).
    pub fn join(&self, other: &MediaEndpoint) {
        if std::ptr::eq(self, other) {
            return;
        }
        self.unjoin();
        other.unjoin();
        let link = Link::new();
        *lock(&self.pairing) = Some(Arc::clone(&link));
        *lock(&other.pairing) = Some(Arc::clone(&link));
        let to_other = Outgoing::new(Arc::clone(&link), other.inbox.clone());
        self.send(Command::Join(to_other));
        other.send(Command::Join(Outgoing::new(link, self.inbox.clone())));
    }

    /// Ends the pairing made by [`join`](Self::join), for both legs; nothing if not joined.
    /// Dropping either endpoint ends it too.
    pub fn unjoin(&self) {
        if let Some(link) = lock(&self.pairing).take() {
            link.end();
            self.send(Command::Unjoin(link.id()));
        }
    }

    /// The next event, in the order they happened; `None` only if the leg's task has ended
    /// (which it does only when the runtime shuts down). Cancel-safe.
    pub async fn next_event(&self) -> Option<EndpointEvent> {
        self.events.lock().await.recv().await
    }

    fn start(&self, playback: Playback) -> PlayId {
        let id = PlayId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.send(Command::Play(id, playback));
        id
    }

    fn send(&self, command: Command) {
        // Fails only once the task has ended, when there is nothing left to drive.
        let _ = self.commands.send(command);
    }

    fn with_origin(&self, body: &[u8]) -> Vec<u8> {
        let origin = lock(&self.origin).line(body, self.advertise_ip);
        let mut out = Vec::with_capacity(5 + origin.len() + body.len());
        out.extend_from_slice(b"v=0\r\n");
        out.extend_from_slice(&origin);
        out.extend_from_slice(body);
        out
    }
}

impl Drop for MediaEndpoint {
    fn drop(&mut self) {
        self.unjoin();
        tracing::debug!(port = self.port, "media endpoint closed");
    }
}

/// A shared clip as the playout sources want it: samples by reference.
#[derive(Debug, Clone)]
struct SharedClip(Arc<Clip>);

impl AsRef<[i16]> for SharedClip {
    fn as_ref(&self) -> &[i16] {
        self.0.samples()
    }
}

/// A tone generator as a frame source.
struct ToneSource(ToneGenerator);

impl FrameSource for ToneSource {
    fn next_frame(&mut self) -> Option<crate::playout::Frame> {
        self.0.next()
    }
}
