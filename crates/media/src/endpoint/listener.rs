//! The receiving half of an endpoint's task: what the phone's packets mean (digits, audio
//! for recording and in-band detection, liveness, packets to forward to a joined peer), what
//! its RTCP says, and the events all of it makes. No sending of RTP here: that is the task's.

use super::answer::Negotiated;
use super::join::{Forwarded, Outgoing};
use super::mix::Mixer;
use super::rtcp::Rtcp;
use super::task::Command;
use super::{EndpointEvent, PlayId};
use crate::activity::Activity;

/// How long a recording waits for audio before it records the gap as silence.
const RECORDING_GAP: Duration = Duration::from_millis(200);
use crate::audio::Codec;
use crate::dtmf::inband::InbandDetector;
use crate::dtmf::rfc4733::EventReceiver;
use crate::dtmf::Digit;
use crate::latch::Latch;
use crate::playout::{
    Encoder, PlayEnd, Progress, RecordError, Recorder, RtpDecoder, RtpPacket, SentCount, StopReason,
};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A pause after a socket error, so that an error that repeats cannot spin the task.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// The negotiated G.711 codec at the negotiated payload type.
#[derive(Clone, Copy)]
pub(super) struct Voice {
    pub(super) codec: Codec,
    pub(super) payload_type: u8,
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

/// The receiving half: what the phone's packets mean, and the events they make.
pub(super) struct Listener {
    events: mpsc::Sender<EndpointEvent>,
    socket_v6: bool,
    pub(super) negotiated: Option<Negotiated>,
    latch: Latch,
    pub(super) activity: Activity,
    pub(super) timed_out: bool,
    digits: EventReceiver,
    digits_ssrc: Option<u32>,
    decoder: RtpDecoder<Decode>,
    inband_override: Option<bool>,
    inband: Option<InbandDetector>,
    recorder: Option<Recorder>,
    /// Up to when the recording has been given audio (packets, or silence for a gap).
    recording_fed: Instant,
    /// When the recording started, whether any audio has reached it since, and its
    /// silence and length limits: a message starts at the caller's first packet, but a
    /// caller who never sends one must still be ended by those limits.
    recording_started: Instant,
    recording_heard: bool,
    recording_limits: (Option<Duration>, Duration),
    /// Both sides of a recording of both legs.
    mixer: Option<Mixer>,
    /// Reused for the peer's decoded audio.
    peer_pcm: Vec<i16>,
    joined: Option<Outgoing>,
    pub(super) rtcp: Rtcp,
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
    pub(super) fn new(
        events: mpsc::Sender<EndpointEvent>,
        socket_v6: bool,
        inactivity_timeout: Duration,
    ) -> Listener {
        Listener {
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
            recording_fed: Instant::now(),
            recording_started: Instant::now(),
            recording_heard: false,
            recording_limits: (None, Duration::MAX),
            mixer: None,
            peer_pcm: Vec::new(),
            joined: None,
            rtcp: Rtcp::new(format!("switchboard-{:016x}", rand::random::<u64>())),
        }
    }

    /// Where to send, if anywhere: the phone's latched or signalled address, unless its SDP
    /// says it does not receive.
    pub(super) fn destination(&self) -> Option<SocketAddr> {
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

    pub(super) fn voice(&self) -> Option<Voice> {
        self.negotiated.map(|n| Voice {
            codec: n.codec,
            payload_type: n.payload_type,
        })
    }

    pub(super) fn command(&mut self, command: Command) {
        match command {
            Command::Negotiated(negotiated) => self.negotiate(negotiated),
            Command::Record(path, config, mixed) => {
                self.finish_recording(StopReason::HangUp);
                self.mixer = mixed.then(Mixer::default);
                // A fresh decoder, so the recording starts at its first packet rather than
                // with the silence of the time since the last one.
                let voice = self.negotiated.map(|n| (n.codec, n.payload_type));
                self.decoder = RtpDecoder::new(decoder(voice));
                let limits = (config.silence.map(|rule| rule.duration), config.max_length);
                match Recorder::create(path, config) {
                    Ok(recorder) => {
                        self.recorder = Some(recorder);
                        self.recording_fed = Instant::now();
                        self.recording_started = self.recording_fed;
                        self.recording_heard = false;
                        self.recording_limits = limits;
                    }
                    Err(error) => {
                        self.mixer = None;
                        self.emit(EndpointEvent::RecordFailed(error));
                    }
                }
            }
            Command::StopRecording => self.finish_recording(StopReason::HangUp),
            Command::Inband(enabled) => {
                self.inband_override = Some(enabled);
                self.update_inband();
            }
            Command::Join(outgoing) => self.joined = Some(outgoing),
            Command::Unjoin(link) => {
                if self.joined.as_ref().is_some_and(|j| j.link().id() == link) {
                    self.joined = None;
                }
            }
            // Handled by `apply`; nothing to do if one arrives here.
            Command::Play(..) | Command::Stop => {}
        }
    }

    fn negotiate(&mut self, negotiated: Negotiated) {
        self.latch.signal(negotiated.remote);
        self.rtcp.negotiated(&negotiated);
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
    pub(super) async fn received(
        &mut self,
        received: io::Result<(usize, SocketAddr)>,
        buffer: &[u8],
    ) {
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

    /// Where and as what a packet forwarded by the joined peer goes: only while it is the
    /// current pairing's and the phone receives.
    pub(super) fn forward_target(&self, forwarded: &Forwarded) -> Option<(SocketAddr, Negotiated)> {
        if !self.joined.as_ref()?.carries(forwarded) {
            return None;
        }
        self.destination().zip(self.negotiated)
    }

    /// Takes what one receive on the RTCP port returned.
    pub(super) async fn rtcp_received(
        &mut self,
        received: io::Result<(usize, SocketAddr)>,
        buffer: &[u8],
    ) {
        match received {
            Ok((len, source)) => {
                let source = SocketAddr::new(source.ip().to_canonical(), source.port());
                self.rtcp.received(&buffer[..len], source, Instant::now());
            }
            Err(err) => {
                tracing::debug!(%err, "endpoint RTCP receive failed");
                tokio::time::sleep(ERROR_PAUSE).await;
            }
        }
    }

    /// Sends a sender report, if the stream sent since the last one.
    pub(super) async fn report(
        &mut self,
        socket: &tokio::net::UdpSocket,
        ssrc: u32,
        sent: &SentCount,
    ) {
        let Some(dest) = self.rtcp.destination(self.socket_v6) else {
            return;
        };
        if let Some(report) = self.rtcp.report(ssrc, sent) {
            if let Err(err) = socket.send_to(&report, dest).await {
                tracing::debug!(%dest, %err, "RTCP report not sent");
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
        if let Some(joined) = &self.joined {
            if joined.is_live() {
                joined.forward(&packet, &negotiated);
            } else {
                self.joined = None;
            }
        }
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
        match self.mixer.as_mut() {
            Some(mixer) => {
                mixer.push_own(pcm);
                self.record_mixed();
            }
            None => {
                let progress = self.recorder.as_mut().map(|recorder| recorder.push(pcm));
                self.recording_fed = now;
                self.recording_heard = true;
                self.recorded(progress);
            }
        }
        for digit in heard {
            self.digit(digit);
        }
    }

    /// Resolves when a one-leg recording has had no audio for [`RECORDING_GAP`]: a phone
    /// that sends nothing (muted, silence suppression, one-way media) must still be
    /// recorded as silent, so the silence and length limits end the message on time.
    pub(super) fn recording_gap(&self) -> impl std::future::Future<Output = ()> + Send {
        let deadline = match (&self.recorder, &self.mixer) {
            (Some(_), None) => Some(self.recording_fed + RECORDING_GAP),
            _ => None,
        };
        async move {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        }
    }

    /// Records the silence of the time since the last audio; before the first audio,
    /// only checks the limits.
    pub(super) fn fill_recording_gap(&mut self, now: Instant) {
        let missing = now.saturating_duration_since(self.recording_fed);
        self.recording_fed = now;
        if !self.recording_heard {
            let waited = now.saturating_duration_since(self.recording_started);
            let (silence, max_length) = self.recording_limits;
            if silence.is_some_and(|limit| waited >= limit) {
                self.finish_recording(StopReason::Silence);
            } else if waited >= max_length {
                self.finish_recording(StopReason::MaxLength);
            }
            return;
        }
        let samples = usize::try_from(missing.as_micros() * 8 / 1000).unwrap_or(0);
        let silence = vec![0i16; samples];
        let progress = self.recorder.as_mut().map(|r| r.push(&silence));
        self.recorded(progress);
        // The next packet starts afresh, rather than filling this gap a second time from
        // its timestamp.
        let voice = self.negotiated.map(|n| (n.codec, n.payload_type));
        self.decoder = RtpDecoder::new(decoder(voice));
    }

    /// What the recorder said of its last input.
    fn recorded(&mut self, progress: Option<Result<Progress, RecordError>>) {
        match progress {
            Some(Ok(Progress::Stop(reason))) => self.finish_recording(reason),
            Some(Err(error)) => {
                self.recorder = None;
                self.mixer = None;
                self.emit(EndpointEvent::RecordFailed(error));
            }
            Some(Ok(Progress::Recording)) | None => {}
        }
    }

    /// The joined peer's audio, for a recording of both legs.
    pub(super) fn record_peer(&mut self, forwarded: &Forwarded) {
        let current = self.joined.as_ref().is_some_and(|j| j.carries(forwarded));
        let Some(mixer) = self.mixer.as_mut().filter(|_| current) else {
            return;
        };
        self.peer_pcm.clear();
        forwarded.decode_voice(&mut self.peer_pcm);
        mixer.push_peer(&self.peer_pcm);
        self.record_mixed();
    }

    /// Records the frames of both legs that are ready.
    fn record_mixed(&mut self) {
        while let Some((own, peer)) = self.mixer.as_mut().and_then(Mixer::next) {
            let progress = self.recorder.as_mut().map(|r| r.push_mixed(&own, &peer));
            self.recorded(progress);
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

    pub(super) fn finish_recording(&mut self, reason: StopReason) {
        if let (Some(recorder), Some(mut mixer)) = (self.recorder.as_mut(), self.mixer.take()) {
            while let Some((own, peer)) = mixer.rest() {
                // A stop condition met by the rest changes nothing: this is the end anyway.
                if recorder.push_mixed(&own, &peer).is_err() {
                    break;
                }
            }
        }
        if let Some(recorder) = self.recorder.take() {
            self.emit(match recorder.finish(reason) {
                Ok(recording) => EndpointEvent::RecordFinished(recording),
                Err(error) => EndpointEvent::RecordFailed(error),
            });
        }
    }

    pub(super) fn timeout(&mut self) {
        self.timed_out = true;
        self.emit(EndpointEvent::MediaTimeout);
    }

    pub(super) fn stopped(&mut self, id: PlayId) {
        self.emit(EndpointEvent::PlayFinished {
            id,
            end: PlayEnd::Stopped,
        });
    }

    pub(super) fn emit(&self, event: EndpointEvent) {
        if let Err(mpsc::error::TrySendError::Full(event)) = self.events.try_send(event) {
            tracing::warn!(?event, "endpoint events not read; event dropped");
        }
    }
}
