//! The endpoint's task: owns the leg's socket, plays what it is told, and listens to what
//! the phone sends (digits, audio for recording, liveness).
//!
//! The loop alternates between two states. Idle: wait for a command or a packet. Playing:
//! run one `play` (or music-on-hold listen) future while still taking packets and commands;
//! a command that changes what is played (another playback, `Stop`, a new negotiation), a
//! new destination (latching, hold) or the endpoint's drop fires the playback's stop signal,
//! which `play` checks before every frame, and the loop goes round again with the new
//! state. The one `RtpStream` is lent to each playback in turn, so the numbering continues.

use super::answer::Negotiated;
use super::{EndpointEvent, PlayId};
use crate::activity::Activity;
use crate::audio::Codec;
use crate::dtmf::inband::InbandDetector;
use crate::dtmf::rfc4733::EventReceiver;
use crate::dtmf::Digit;
use crate::latch::Latch;
use crate::playout::{
    play, Encoder, FrameSource, MohClass, PlayEnd, PlayOutcome, Progress, Recorder, RecorderConfig,
    RtpDecoder, RtpPacket, RtpStream, StopReason, TokioClock,
};
use crate::ports::{Port, PortPair};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

/// Larger than any RTP packet on an Ethernet path.
const RECEIVE_BUFFER: usize = 2048;

/// A pause after a socket error, so that an error that repeats cannot spin the task.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// What the endpoint handle asks of its task.
pub(crate) enum Command {
    Negotiated(Negotiated),
    Play(PlayId, Playback),
    Stop,
    Record(PathBuf, RecorderConfig),
    StopRecording,
    Inband(bool),
}

impl Command {
    /// Whether the command changes what is being played, so a running playback must stop.
    fn changes_playback(&self) -> bool {
        matches!(
            self,
            Command::Negotiated(_) | Command::Play(..) | Command::Stop
        )
    }
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Negotiated(n) => f.debug_tuple("Negotiated").field(n).finish(),
            Command::Play(id, _) => f.debug_tuple("Play").field(id).finish(),
            Command::Stop => f.write_str("Stop"),
            Command::Record(path, _) => f.debug_tuple("Record").field(path).finish(),
            Command::StopRecording => f.write_str("StopRecording"),
            Command::Inband(on) => f.debug_tuple("Inband").field(on).finish(),
        }
    }
}

/// What a playback plays.
pub(crate) enum Playback {
    Source(Box<dyn FrameSource>),
    Moh(Arc<MohClass>),
}

/// Why a playback's stop signal was fired.
enum Interrupt {
    /// A command that changes the playback; applied once it has stopped.
    Command(Command),
    /// The destination changed (latching, hold): play the same source on.
    Moved,
    /// The endpoint was dropped.
    Closed,
}

/// The negotiated G.711 codec at the negotiated payload type.
#[derive(Clone, Copy)]
struct Voice {
    codec: Codec,
    payload_type: u8,
}

impl Encoder for Voice {
    fn payload_type(&self) -> u8 {
        self.payload_type
    }

    fn encode(&self, pcm: &[i16], out: &mut Vec<u8>) {
        self.codec.encode(pcm, out);
    }
}

type Decode = Box<dyn FnMut(u8, &[u8], &mut Vec<i16>) + Send>;

/// The task's state, before it runs.
pub(crate) struct Task {
    rtp: Port,
    rtcp: Port,
    commands: mpsc::UnboundedReceiver<Command>,
    listener: Listener,
}

/// The receiving half: what the phone's packets mean, and the events they make.
struct Listener {
    events: mpsc::Sender<EndpointEvent>,
    socket_v6: bool,
    negotiated: Option<Negotiated>,
    latch: Latch,
    activity: Activity,
    timed_out: bool,
    digits: EventReceiver,
    digits_ssrc: Option<u32>,
    decoder: RtpDecoder<Decode>,
    inband_override: Option<bool>,
    inband: Option<InbandDetector>,
    recorder: Option<Recorder>,
}

impl Task {
    pub fn new(
        pair: PortPair,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::Sender<EndpointEvent>,
        inactivity_timeout: Duration,
    ) -> Task {
        let socket_v6 = pair.rtp.socket.local_addr().is_ok_and(|a| a.is_ipv6());
        Task {
            rtp: pair.rtp,
            rtcp: pair.rtcp,
            commands,
            listener: Listener {
                events,
                socket_v6,
                negotiated: None,
                latch: Latch::default(),
                activity: Activity::new(inactivity_timeout),
                timed_out: false,
                digits: EventReceiver::new(),
                digits_ssrc: None,
                decoder: RtpDecoder::new(decoder(None)),
                inband_override: None,
                inband: None,
                recorder: None,
            },
        }
    }

    /// Runs until the endpoint is dropped.
    pub async fn run(self) {
        let Task {
            rtp,
            rtcp,
            mut commands,
            mut listener,
        } = self;
        let mut stream = RtpStream::new();
        let mut current: Option<(PlayId, Playback)> = None;
        let mut buffer = [0u8; RECEIVE_BUFFER];
        loop {
            let ready = listener.destination().zip(listener.voice());
            let (Some((dest, voice)), Some((id, playback))) = (ready, current.as_mut()) else {
                tokio::select! {
                    command = commands.recv() => match command {
                        Some(command) => apply(command, &mut current, &mut listener),
                        None => break,
                    },
                    received = rtp.socket.recv_from(&mut buffer) => {
                        listener.received(received, &buffer).await;
                    }
                    () = listener.activity.inactive(), if !listener.timed_out => {
                        listener.timeout();
                    }
                }
                continue;
            };
            let id = *id;
            let stop = Notify::new();
            let mut interrupt = None;
            let result = {
                let playing = async {
                    match playback {
                        Playback::Source(source) => Ok(play(
                            &rtp.socket,
                            dest,
                            &voice,
                            source,
                            &mut stream,
                            &TokioClock,
                            stop.notified(),
                        )
                        .await),
                        Playback::Moh(class) => {
                            class
                                .listen(
                                    &rtp.socket,
                                    dest,
                                    voice.payload_type,
                                    &mut stream,
                                    stop.notified(),
                                )
                                .await
                        }
                    }
                };
                let mut playing = pin!(playing);
                loop {
                    tokio::select! {
                        result = &mut playing => break result,
                        command = commands.recv(), if interrupt.is_none() => {
                            match command {
                                Some(command) if command.changes_playback() => {
                                    interrupt = Some(Interrupt::Command(command));
                                    stop.notify_one();
                                }
                                Some(command) => listener.command(command),
                                None => {
                                    interrupt = Some(Interrupt::Closed);
                                    stop.notify_one();
                                }
                            }
                        }
                        received = rtp.socket.recv_from(&mut buffer) => {
                            listener.received(received, &buffer).await;
                            if interrupt.is_none() && listener.destination() != Some(dest) {
                                interrupt = Some(Interrupt::Moved);
                                stop.notify_one();
                            }
                        }
                        () = listener.activity.inactive(), if !listener.timed_out => {
                            listener.timeout();
                        }
                    }
                }
            };
            if let Some(Interrupt::Closed) = interrupt {
                break;
            }
            // A playback that ended by itself (or failed) just as it was interrupted is
            // reported as it ended; one that was stopped is reported by `apply`, or plays on
            // after a move.
            if !matches!(
                result,
                Ok(PlayOutcome {
                    end: PlayEnd::Stopped,
                    ..
                })
            ) {
                current = None;
                listener.emit(match result {
                    Ok(PlayOutcome { end, .. }) => EndpointEvent::PlayFinished { id, end },
                    Err(error) => EndpointEvent::PlayFailed { id, error },
                });
            }
            if let Some(Interrupt::Command(command)) = interrupt {
                apply(command, &mut current, &mut listener);
            }
        }
        listener.finish_recording(StopReason::HangUp);
        drop(rtcp);
        tracing::debug!(port = rtp.port, "media endpoint task ended");
    }
}

/// Applies a command between playbacks.
fn apply(command: Command, current: &mut Option<(PlayId, Playback)>, listener: &mut Listener) {
    match command {
        Command::Play(id, playback) => {
            if let Some((old, _)) = current.replace((id, playback)) {
                listener.stopped(old);
            }
        }
        Command::Stop => {
            if let Some((old, _)) = current.take() {
                listener.stopped(old);
            }
        }
        other => listener.command(other),
    }
}

/// A decoder of the phone's audio: the negotiated payload type, and the static G.711 ones.
fn decoder(voice: Option<(Codec, u8)>) -> Decode {
    Box::new(move |pt, payload, out| {
        let codec = match voice {
            Some((codec, negotiated)) if pt == negotiated => Some(codec),
            _ => Codec::from_payload_type(pt),
        };
        if let Some(codec) = codec {
            codec.decode(payload, out);
        }
    })
}

impl Listener {
    /// Where to send, if anywhere: the phone's latched or signalled address, unless its SDP
    /// says it does not receive.
    fn destination(&self) -> Option<SocketAddr> {
        let negotiated = self.negotiated?;
        if !negotiated.remote_receives {
            return None;
        }
        let dest = self.latch.destination()?;
        Some(match dest {
            SocketAddr::V4(v4) if self.socket_v6 => {
                SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
            }
            other => other,
        })
    }

    fn voice(&self) -> Option<Voice> {
        self.negotiated.map(|n| Voice {
            codec: n.codec,
            payload_type: n.payload_type,
        })
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Negotiated(negotiated) => self.negotiate(negotiated),
            Command::Record(path, config) => {
                self.finish_recording(StopReason::HangUp);
                // A fresh decoder, so the recording starts at its first packet rather than
                // with the silence of the time since the last one.
                let voice = self.negotiated.map(|n| (n.codec, n.payload_type));
                self.decoder = RtpDecoder::new(decoder(voice));
                match Recorder::create(path, config) {
                    Ok(recorder) => self.recorder = Some(recorder),
                    Err(error) => self.emit(EndpointEvent::RecordFailed(error)),
                }
            }
            Command::StopRecording => self.finish_recording(StopReason::HangUp),
            Command::Inband(enabled) => {
                self.inband_override = Some(enabled);
                self.update_inband();
            }
            // Handled by `apply`; nothing to do if one arrives here.
            Command::Play(..) | Command::Stop => {}
        }
    }

    fn negotiate(&mut self, negotiated: Negotiated) {
        self.latch.signal(negotiated.remote);
        if self.negotiated.map(|n| (n.codec, n.payload_type))
            != Some((negotiated.codec, negotiated.payload_type))
        {
            self.decoder =
                RtpDecoder::new(decoder(Some((negotiated.codec, negotiated.payload_type))));
        }
        self.negotiated = Some(negotiated);
        self.activity.signalled(true, !negotiated.remote_sends);
        self.timed_out = false;
        self.update_inband();
    }

    fn update_inband(&mut self) {
        let auto = self.negotiated.is_some_and(|n| n.events.is_none());
        let enabled = self.inband_override.unwrap_or(auto);
        match (enabled, self.inband.is_some()) {
            (true, false) => self.inband = Some(InbandDetector::new()),
            (false, true) => self.inband = None,
            _ => {}
        }
    }

    /// Takes what one receive returned.
    async fn received(&mut self, received: io::Result<(usize, SocketAddr)>, buffer: &[u8]) {
        match received {
            Ok((len, source)) => {
                let source = SocketAddr::new(source.ip().to_canonical(), source.port());
                self.packet(&buffer[..len], source, Instant::now());
            }
            Err(err) => {
                // An ICMP error reported for an earlier send, typically; carry on.
                tracing::debug!(%err, "endpoint receive failed");
                tokio::time::sleep(ERROR_PAUSE).await;
            }
        }
    }

    /// One datagram from the network: garbage, strangers and unknown payload types are
    /// passed over.
    fn packet(&mut self, bytes: &[u8], source: SocketAddr, now: Instant) {
        let Some(negotiated) = self.negotiated else {
            return;
        };
        let Ok(packet) = RtpPacket::parse(bytes) else {
            return;
        };
        if !self.latch.accept(source, now) {
            return;
        }
        self.activity.rtp_received(now);
        self.timed_out = false;
        let header = packet.header;
        if Some(header.payload_type) == negotiated.events {
            if self.digits_ssrc != Some(header.ssrc) {
                self.digits = EventReceiver::new();
                self.digits_ssrc = Some(header.ssrc);
            }
            let pressed = self
                .digits
                .push(header.timestamp, header.marker, packet.payload);
            if let Ok(Some(received)) = pressed {
                if let Some(digit) = received.new_press() {
                    self.digit(digit);
                }
            }
            return;
        }
        let pcm = self.decoder.decode(bytes);
        if pcm.is_empty() {
            return;
        }
        let heard = self
            .inband
            .as_mut()
            .map(|detector| detector.push(pcm))
            .unwrap_or_default();
        let progress = self.recorder.as_mut().map(|recorder| recorder.push(pcm));
        match progress {
            Some(Ok(Progress::Stop(reason))) => self.finish_recording(reason),
            Some(Err(error)) => {
                self.recorder = None;
                self.emit(EndpointEvent::RecordFailed(error));
            }
            Some(Ok(Progress::Recording)) | None => {}
        }
        for digit in heard {
            self.digit(digit);
        }
    }

    fn digit(&mut self, digit: Digit) {
        self.emit(EndpointEvent::Digit(digit));
        let progress = self
            .recorder
            .as_mut()
            .map(|recorder| recorder.digit(digit.to_char()));
        if let Some(Progress::Stop(reason)) = progress {
            self.finish_recording(reason);
        }
    }

    fn finish_recording(&mut self, reason: StopReason) {
        if let Some(recorder) = self.recorder.take() {
            self.emit(match recorder.finish(reason) {
                Ok(recording) => EndpointEvent::RecordFinished(recording),
                Err(error) => EndpointEvent::RecordFailed(error),
            });
        }
    }

    fn timeout(&mut self) {
        self.timed_out = true;
        self.emit(EndpointEvent::MediaTimeout);
    }

    fn stopped(&mut self, id: PlayId) {
        self.emit(EndpointEvent::PlayFinished {
            id,
            end: PlayEnd::Stopped,
        });
    }

    fn emit(&self, event: EndpointEvent) {
        if let Err(mpsc::error::TrySendError::Full(event)) = self.events.try_send(event) {
            tracing::warn!(?event, "endpoint events not read; event dropped");
        }
    }
}
