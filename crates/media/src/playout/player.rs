//! Playing a source to a leg: paced, encoded, numbered RTP out of the leg's socket until the
//! source ends or the caller says stop.
//!
//! The leg's [`RtpStream`] is borrowed, not owned, so the next prompt (or hold) on the same
//! leg continues its numbering; see the `rtp` module for the rules.

use super::clock::Clock;
use super::codec::Encoder;
use super::pacer::{Pace, Pacer};
use super::rtp::RtpStream;
use super::send::RtpSender;
use super::source::{FrameSource, FRAME_SAMPLES};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use tokio::net::UdpSocket;

/// Samples per packet, as the timestamp counts them.
const FRAME_STEP: u32 = FRAME_SAMPLES as u32;

/// Why playout ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayEnd {
    /// The source had nothing more to play (for music on hold: the class ended).
    SourceEnded,
    /// The stop signal fired.
    Stopped,
}

/// How playout went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayOutcome {
    /// Why it ended.
    pub end: PlayEnd,
    /// Packets handed to the socket.
    pub packets_sent: u64,
    /// Packets the socket refused (counted, not fatal).
    pub send_errors: u64,
}

/// Sends `source` to `dest` out of `socket`, one `encoder` packet per 20 ms paced by `clock`,
/// numbered by `stream`, until the source ends or `stop` completes.
///
/// `stop` is any future: `token.cancelled()` of a cancellation token, a oneshot receiver
/// mapped to `()`, `std::future::pending()` to play to the end. It is checked before every
/// packet, so at most the packet being sent goes out after it fires.
///
/// When the source ends, it returns at the moment the last frame's audio ends (the deadline
/// of the slot after it), so a caller that plays the next prompt at once continues the
/// stream without a gap or overlap.
///
/// `dest` must be of the socket's address family (IPv4-mapped for an IPv6 socket).
pub async fn play<S, C>(
    socket: &UdpSocket,
    dest: SocketAddr,
    encoder: &dyn Encoder,
    source: &mut S,
    stream: &mut RtpStream,
    clock: &C,
    stop: impl Future<Output = ()>,
) -> PlayOutcome
where
    S: FrameSource + ?Sized,
    C: Clock,
{
    let mut stop = pin!(stop);
    let mut pacer = Pacer::new(stream.rejoin(clock.now()));
    let mut sender = RtpSender::new(socket, dest);
    let mut payload = Vec::with_capacity(FRAME_SAMPLES);
    let end = loop {
        if has_fired(stop.as_mut()).await {
            stream.pause(pacer.due(pacer.next_slot()));
            break PlayEnd::Stopped;
        }
        match pacer.poll(clock.now()) {
            Pace::Wait(deadline) => {
                tokio::select! {
                    biased;
                    () = stop.as_mut() => {
                        stream.pause(deadline);
                        break PlayEnd::Stopped;
                    }
                    () = clock.sleep_until(deadline) => {}
                }
            }
            Pace::Send { slot, skipped } => {
                if skipped > 0 {
                    let samples = u32::try_from(skipped).map_or(u32::MAX, |s| s * FRAME_STEP);
                    stream.skip(samples);
                }
                let Some(frame) = source.next_frame() else {
                    stream.pause(pacer.due(slot));
                    break PlayEnd::SourceEnded;
                };
                payload.clear();
                encoder.encode(&frame, &mut payload);
                let header = stream.next_header(encoder.payload_type(), FRAME_STEP);
                sender.send(header, &payload).await;
            }
        }
    };
    PlayOutcome {
        end,
        packets_sent: sender.sent,
        send_errors: sender.errors,
    }
}

/// Whether `stop` has completed, without waiting for it.
async fn has_fired(stop: Pin<&mut impl Future<Output = ()>>) -> bool {
    tokio::select! {
        biased;
        () = stop => true,
        () = std::future::ready(()) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playout::source::{Looping, Playlist, Silence};
    use crate::playout::testing::{receive, ManualClock, MuLaw, Received};
    use crate::playout::TokioClock;
    use std::future::pending;
    use std::sync::Arc;
    use std::time::Duration;

    async fn pair() -> (UdpSocket, UdpSocket, SocketAddr) {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let dest = receiver.local_addr().unwrap();
        (sender, receiver, dest)
    }

    fn clip(frames: usize) -> Arc<[i16]> {
        (0..frames * FRAME_SAMPLES)
            .map(|i| (i % 2000) as i16)
            .collect()
    }

    /// Sequence +1, timestamp +160, one SSRC, marker only on the first packet.
    fn assert_one_line(packets: &[Received]) {
        let first = &packets[0].header;
        assert!(first.marker);
        for (i, p) in packets.iter().enumerate().skip(1) {
            let i16 = i as u16;
            assert_eq!(p.header.ssrc, first.ssrc);
            assert_eq!(
                p.header.sequence,
                first.sequence.wrapping_add(i16),
                "packet {i}"
            );
            let step = (i as u32) * 160;
            assert_eq!(
                p.header.timestamp,
                first.timestamp.wrapping_add(step),
                "packet {i}"
            );
            assert!(!p.header.marker, "marker on packet {i}");
        }
    }

    #[tokio::test]
    async fn packets_are_paced_every_20_ms_in_one_line() {
        let (socket, receiver, dest) = pair().await;
        let mut source = Playlist::new([clip(25)]);
        let mut stream = RtpStream::new();
        let (outcome, packets) = tokio::join!(
            play(
                &socket,
                dest,
                &MuLaw,
                &mut source,
                &mut stream,
                &TokioClock,
                pending(),
            ),
            receive(&receiver, 25)
        );
        assert_eq!(outcome.end, PlayEnd::SourceEnded);
        assert_eq!((outcome.packets_sent, outcome.send_errors), (25, 0));
        assert_one_line(&packets);
        assert!(packets.iter().all(|p| p.header.payload_type == 0));
        assert!(packets.iter().all(|p| p.payload.len() == 160));
        // A loaded two-core machine may delay a wake-up, but pacing is from absolute
        // deadlines: the whole run takes 24 frames, and most gaps are close to 20 ms.
        let span = packets[24].at - packets[0].at;
        assert!(
            span >= Duration::from_millis(470) && span < Duration::from_millis(560),
            "{span:?}"
        );
        let mut gaps: Vec<_> = packets.windows(2).map(|w| w[1].at - w[0].at).collect();
        gaps.sort();
        let median = gaps[gaps.len() / 2];
        assert!(
            median > Duration::from_millis(15) && median < Duration::from_millis(25),
            "{gaps:?}"
        );
    }

    #[tokio::test]
    async fn the_stop_signal_ends_playout() {
        let (socket, receiver, dest) = pair().await;
        let mut stream = RtpStream::new();
        let outcome = play(
            &socket,
            dest,
            &MuLaw,
            &mut Silence::endless(),
            &mut stream,
            &TokioClock,
            tokio::time::sleep(Duration::from_millis(100)),
        )
        .await;
        assert_eq!(outcome.end, PlayEnd::Stopped);
        assert!((3..=8).contains(&outcome.packets_sent), "{outcome:?}");
        let packets = receive(&receiver, outcome.packets_sent as usize).await;
        assert!(packets.iter().all(|p| p.payload == [0xff; 160]));
    }

    #[tokio::test]
    async fn a_stop_that_already_fired_sends_nothing() {
        let (socket, _receiver, dest) = pair().await;
        let outcome = play(
            &socket,
            dest,
            &MuLaw,
            &mut Silence::endless(),
            &mut RtpStream::new(),
            &TokioClock,
            std::future::ready(()),
        )
        .await;
        assert_eq!((outcome.end, outcome.packets_sent), (PlayEnd::Stopped, 0));
    }

    #[tokio::test]
    async fn the_next_source_continues_the_same_line() {
        let (socket, receiver, dest) = pair().await;
        let mut stream = RtpStream::new();
        let clock = TokioClock;
        let mut prompt = Playlist::new([clip(5)]);
        play(
            &socket,
            dest,
            &MuLaw,
            &mut prompt,
            &mut stream,
            &clock,
            pending(),
        )
        .await;
        let mut music = Looping::new(clip(3));
        let stop = tokio::time::sleep(Duration::from_millis(90));
        let outcome = play(&socket, dest, &MuLaw, &mut music, &mut stream, &clock, stop).await;
        let packets = receive(&receiver, 5 + outcome.packets_sent as usize).await;
        assert!(packets.len() >= 8);
        assert_one_line(&packets);
    }

    #[tokio::test]
    async fn after_a_pause_the_timestamp_jumps_and_the_marker_is_set() {
        let (socket, receiver, dest) = pair().await;
        let mut stream = RtpStream::new();
        let clock = TokioClock;
        play(
            &socket,
            dest,
            &MuLaw,
            &mut Playlist::new([clip(2)]),
            &mut stream,
            &clock,
            pending(),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        play(
            &socket,
            dest,
            &MuLaw,
            &mut Playlist::new([clip(2)]),
            &mut stream,
            &clock,
            pending(),
        )
        .await;
        let packets = receive(&receiver, 4).await;
        let (before, after) = (&packets[1].header, &packets[2].header);
        assert!(after.marker);
        assert_eq!(after.sequence, before.sequence.wrapping_add(1));
        let step = after.timestamp.wrapping_sub(before.timestamp);
        assert!((1600..4000).contains(&step), "timestamp step {step}");
        assert!(!packets[3].header.marker);
    }

    #[tokio::test]
    async fn a_ten_minute_prompt_ends_exactly_on_time_despite_late_timers() {
        let (socket, _receiver, dest) = pair().await;
        let clock = ManualClock::new(|n| Duration::from_micros(500 + n % 7 * 1000));
        let start = clock.now();
        let mut prompt = Playlist::new([clip(30_000)]);
        let mut stream = RtpStream::starting_at(1, 0, 0);
        let outcome = play(
            &socket,
            dest,
            &MuLaw,
            &mut prompt,
            &mut stream,
            &clock,
            pending(),
        )
        .await;
        assert_eq!(outcome.packets_sent, 30_000);
        // Playout returns when the prompt's audio ends, at 600 s on the grid, within one
        // timer's lateness (up to 6.5 ms here), however many late wake-ups came before.
        let end = start + Duration::from_secs(600);
        assert!(clock.now() >= end && clock.now() < end + Duration::from_millis(7));
        let header = stream.next_header(0, 160);
        assert_eq!((header.sequence, header.timestamp), (30_000, 30_000 * 160));
    }

    #[tokio::test]
    async fn a_stalled_task_bursts_at_most_three_packets_then_resynchronises() {
        let (socket, receiver, dest) = pair().await;
        // Every wake-up is on time except the fifth (for slot 5, due at 100 ms), which comes
        // at 285 ms.
        let clock = ManualClock::new(|n| Duration::from_millis(if n == 4 { 185 } else { 0 }));
        let mut prompt = Playlist::new([clip(12)]);
        let mut stream = RtpStream::starting_at(1, 0, 0);
        play(
            &socket,
            dest,
            &MuLaw,
            &mut prompt,
            &mut stream,
            &clock,
            pending(),
        )
        .await;
        let packets = receive(&receiver, 12).await;
        let line: Vec<_> = packets
            .iter()
            .map(|p| (p.header.sequence, p.header.timestamp / 160, p.header.marker))
            .collect();
        // Slots 5..=14 were due at the late wake-up: 5..=11 are skipped, 12..=14 sent at
        // once, and the rest follow on the grid. No frame of the prompt is lost.
        let expected: Vec<_> = (0..12u16)
            .map(|seq| {
                let slot = if seq < 5 { seq } else { seq + 7 };
                (seq, u32::from(slot), seq == 0 || seq == 5)
            })
            .collect();
        assert_eq!(line, expected);
    }
}
