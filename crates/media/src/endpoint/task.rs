//! The endpoint's task: owns the leg's socket, plays what it is told, and listens to what
//! the phone sends (digits, audio for recording, liveness).
//!
//! The loop alternates between two states. Idle: wait for a command or a packet. Playing:
//! run one `play` (or music-on-hold listen) future while still taking packets and commands;
//! a command that changes what is played (another playback, `Stop`, a new negotiation), a
//! new destination (latching, hold) or the endpoint's drop fires the playback's stop signal,
//! which `play` checks before every frame, and the loop goes round again with the new
//! state. The one `RtpStream` is lent to each playback in turn, so the numbering continues.
//!
//! In both states the task also takes what a joined peer forwards (its inbox), and the
//! leg's RTCP. Forwarded packets go out on the same `RtpStream` only while idle (no playback
//! to take precedence) and while the phone receives; while playing they are dropped. The
//! phone's packets themselves are the `listener` module's.

use super::answer::Negotiated;
use super::digits::Digits;
use super::join::{Forwarded, Incoming, Outgoing};
use super::listener::Listener;
use super::rtcp::REPORT_INTERVAL;
use super::{EndpointEvent, PlayId};
use crate::playout::{
    play, FrameSource, MohClass, PlayEnd, PlayOutcome, RecorderConfig, RtpStream, StopReason,
    TokioClock,
};
use crate::ports::{Port, PortPair};

use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

/// Larger than any RTP packet on an Ethernet path.
const RECEIVE_BUFFER: usize = 2048;

/// What the endpoint handle asks of its task.
pub(crate) enum Command {
    Negotiated(Negotiated),
    Play(PlayId, Playback),
    Stop,
    /// Record to the path; with the joined peer's audio mixed in if the flag is set.
    Record(PathBuf, RecorderConfig, bool),
    StopRecording,
    Inband(bool),
    /// Forward the phone's packets to a joined endpoint.
    Join(Outgoing),
    /// End the pairing of this id, if it is still the current one.
    Unjoin(u64),
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
            Command::Record(path, _, mixed) => {
                f.debug_tuple("Record").field(path).field(mixed).finish()
            }
            Command::StopRecording => f.write_str("StopRecording"),
            Command::Inband(on) => f.debug_tuple("Inband").field(on).finish(),
            Command::Join(out) => f.debug_tuple("Join").field(&out.link().id()).finish(),
            Command::Unjoin(id) => f.debug_tuple("Unjoin").field(id).finish(),
        }
    }
}

/// What a playback plays.
pub(crate) enum Playback {
    Source(Box<dyn FrameSource>),
    Moh(Arc<MohClass>),
    Digits(Digits),
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

/// The task's state, before it runs.
pub(crate) struct Task {
    rtp: Port,
    rtcp: Port,
    commands: mpsc::UnboundedReceiver<Command>,
    /// Packets a joined endpoint forwards to this leg's phone.
    inbox: mpsc::Receiver<Forwarded>,
    listener: Listener,
}

impl Task {
    pub fn new(
        pair: PortPair,
        commands: mpsc::UnboundedReceiver<Command>,
        inbox: mpsc::Receiver<Forwarded>,
        events: mpsc::Sender<EndpointEvent>,
        inactivity_timeout: Duration,
    ) -> Task {
        let socket_v6 = pair.rtp.socket.local_addr().is_ok_and(|a| a.is_ipv6());
        Task {
            rtp: pair.rtp,
            rtcp: pair.rtcp,
            commands,
            inbox,
            listener: Listener::new(events, socket_v6, inactivity_timeout),
        }
    }

    /// Runs until the endpoint is dropped.
    pub async fn run(self) {
        let Task {
            rtp,
            rtcp,
            mut commands,
            mut inbox,
            mut listener,
        } = self;
        let mut stream = RtpStream::new();
        let (ssrc, sent) = (stream.ssrc(), stream.sent());
        let mut incoming = Incoming::default();
        let mut reports =
            tokio::time::interval_at(Instant::now() + REPORT_INTERVAL, REPORT_INTERVAL);
        reports.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut current: Option<(PlayId, Playback)> = None;
        let mut buffer = [0u8; RECEIVE_BUFFER];
        let mut control = [0u8; RECEIVE_BUFFER];
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
                    () = listener.recording_gap() => {
                        listener.fill_recording_gap(Instant::now());
                    }
                    Some(forwarded) = inbox.recv() => {
                        listener.record_peer(&forwarded);
                        // Dropped while a playback waits (on hold) to take precedence.
                        let target = listener.forward_target(&forwarded);
                        if let (Some((dest, negotiated)), None) = (target, &current) {
                            incoming
                                .deliver(&rtp.socket, dest, &negotiated, &mut stream, &forwarded)
                                .await;
                        }
                    }
                    received = rtcp.socket.recv_from(&mut control) => {
                        listener.rtcp_received(received, &control).await;
                    }
                    _ = reports.tick() => listener.report(&rtcp.socket, ssrc, &sent).await,
                }
                continue;
            };
            let id = *id;
            // A playback interrupts forwarding: the next forwarded packet picks the stream
            // up from where the playback left it.
            incoming.restart();
            let mut events_pt = 0;
            if let Playback::Digits(digits) = playback {
                match digits.events(listener.negotiated.and_then(|n| n.events)) {
                    Some(pt) => events_pt = pt,
                    None => *playback = Playback::Source(digits.inband()),
                }
            }
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
                        Playback::Digits(digits) => {
                            let socket = &rtp.socket;
                            let stop = stop.notified();
                            Ok(digits
                                .send_events(socket, dest, events_pt, &mut stream, stop)
                                .await)
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
                        () = listener.recording_gap() => {
                            listener.fill_recording_gap(Instant::now());
                        }
                        // The playback takes precedence over what the peer forwards; a
                        // recording of both legs still has it.
                        Some(forwarded) = inbox.recv() => listener.record_peer(&forwarded),
                        received = rtcp.socket.recv_from(&mut control) => {
                            listener.rtcp_received(received, &control).await;
                        }
                        _ = reports.tick() => listener.report(&rtcp.socket, ssrc, &sent).await,
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
        tracing::debug!(
            port = rtp.port,
            rtcp_received = listener.rtcp.reports_received(),
            "media endpoint task ended"
        );
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
