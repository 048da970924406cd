//! One outgoing RTP stream: the line of SSRC, sequence numbers and timestamps that a phone
//! sees from the PBX on one leg, whatever is playing.
//!
//! Keeping one line across sources matters: a phone that sees a new SSRC, or a sequence
//! number that jumps, may reset its jitter buffer or count the jump as loss, and some play a
//! click. So the stream, not the player, owns the numbering, and every [`play`] or hold on a
//! leg continues the same one:
//! * the SSRC, initial sequence number and initial timestamp are random (RFC 3550 §5.1, to
//!   make known-plaintext attacks on SRTP harder and streams from restarts distinguishable);
//! * the sequence number steps by one per packet sent, never otherwise;
//! * the timestamp steps by the samples each packet carries, and also by the time during
//!   which nothing was sent (a pause), since it is the sampling instant (RFC 3550 §5.1);
//! * the marker bit is set on the first packet after a start, pause or skip: the start of a
//!   talkspurt (RFC 3551 §4.1), where the receiver may adapt its playout delay.
//!
//! A source that starts within one frame of where the previous one stopped continues the
//! timeline exactly (no marker, no jump): hold music after a prompt is one unbroken stream.
//!
//! [`play`]: crate::playout::play

use super::RtpHeader;
use crate::playout::pacer::FRAME_DURATION;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Samples per second of the 8 kHz clock that G.711's RTP timestamps count.
const RATE: u64 = 8_000;

/// The numbering state of one outgoing RTP stream.
#[derive(Debug, Clone)]
pub struct RtpStream {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    talkspurt: bool,
    resume: Option<Instant>,
    sent: Arc<SentCount>,
}

/// What a stream has sent so far, for its RTCP sender reports (RFC 3550 §6.4.1). Shared
/// (atomics behind an `Arc`) because the reports are written by the leg's task while a
/// playback holds the stream itself.
#[derive(Debug, Default)]
pub struct SentCount {
    packets: AtomicU32,
    octets: AtomicU32,
    timestamp: AtomicU32,
}

impl SentCount {
    /// Packets sent (wrapping, as the report's 32-bit field does).
    pub fn packets(&self) -> u32 {
        self.packets.load(Ordering::Relaxed)
    }

    /// Payload octets sent (wrapping).
    pub fn octets(&self) -> u32 {
        self.octets.load(Ordering::Relaxed)
    }

    /// The timestamp the stream's next packet will carry: within a frame of "now" while the
    /// stream sends, which is what a report's RTP timestamp must be.
    pub fn timestamp(&self) -> u32 {
        self.timestamp.load(Ordering::Relaxed)
    }

    fn add(&self, octets: u32, next_timestamp: u32) {
        self.packets.fetch_add(1, Ordering::Relaxed);
        self.octets.fetch_add(octets, Ordering::Relaxed);
        self.timestamp.store(next_timestamp, Ordering::Relaxed);
    }
}

impl Default for RtpStream {
    fn default() -> Self {
        RtpStream::new()
    }
}

impl RtpStream {
    /// A stream with a random SSRC, initial sequence number and initial timestamp.
    pub fn new() -> RtpStream {
        RtpStream::starting_at(rand::random(), rand::random(), rand::random())
    }

    /// A stream with chosen starting values, for tests and for continuing a stream the leg
    /// already had.
    pub fn starting_at(ssrc: u32, sequence: u16, timestamp: u32) -> RtpStream {
        RtpStream {
            ssrc,
            sequence,
            timestamp,
            talkspurt: true,
            resume: None,
            sent: Arc::default(),
        }
    }

    /// The stream's counts, shared: they keep counting as the stream sends.
    pub fn sent(&self) -> Arc<SentCount> {
        Arc::clone(&self.sent)
    }

    /// The stream's synchronisation source identifier.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The header of the next packet, carrying `samples` samples of `payload_type`; advances
    /// the sequence number by one and the timestamp by `samples`. The packet is counted as
    /// `samples` payload octets: G.711, the only audio the PBX sends, has one per sample.
    pub fn next_header(&mut self, payload_type: u8, samples: u32) -> RtpHeader {
        let header = RtpHeader {
            marker: std::mem::take(&mut self.talkspurt),
            payload_type,
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
        };
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(samples);
        self.sent.add(samples, self.timestamp);
        header
    }

    /// The header of a packet whose timestamp the caller chose (audio relayed from another
    /// stream, a telephone event, which keeps its start's timestamp): the next sequence
    /// number, the marker if asked or if a talkspurt starts, and the stream's timestamp
    /// moved on to `next_timestamp` unless that is behind it (a repeated event packet).
    /// `octets` is the payload's length, for the counts.
    pub(crate) fn custom_header(
        &mut self,
        payload_type: u8,
        timestamp: u32,
        marker: bool,
        next_timestamp: u32,
        octets: u32,
    ) -> RtpHeader {
        let header = RtpHeader {
            marker: std::mem::take(&mut self.talkspurt) || marker,
            payload_type,
            sequence: self.sequence,
            timestamp,
            ssrc: self.ssrc,
        };
        self.sequence = self.sequence.wrapping_add(1);
        // Signed distance, so that wrapping timestamps compare right.
        if next_timestamp.wrapping_sub(self.timestamp) as i32 > 0 {
            self.timestamp = next_timestamp;
        }
        self.sent.add(octets, self.timestamp);
        header
    }

    /// Picks the stream up at `now` as [`rejoin`](Self::rejoin) does, for a sender that
    /// numbers its own timestamps: when the next packet is due, and the timestamp it carries.
    pub(crate) fn resume_timestamp(&mut self, now: Instant) -> (Instant, u32) {
        let due = self.rejoin(now);
        (due, self.timestamp)
    }

    /// Records that `samples` samples' worth of time passed with nothing sent: the timestamp
    /// moves on by that much, the sequence number does not, and the next packet starts a
    /// talkspurt.
    pub fn skip(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
        self.talkspurt = true;
    }

    /// Picks the stream up again at `now` and returns when its next packet is due: where the
    /// last source left off if that is at most one frame ago (or still ahead), so the line
    /// continues seamlessly; otherwise `now`, after a [`skip`](Self::skip) over the pause.
    pub(crate) fn rejoin(&mut self, now: Instant) -> Instant {
        match self.resume.take() {
            Some(due) if now <= due + FRAME_DURATION => due,
            Some(due) => {
                self.skip(samples_in(now - due));
                now
            }
            None => now,
        }
    }

    /// Records that the stream stopped sending and that its next packet would have been due
    /// at `next_due`, for [`rejoin`](Self::rejoin).
    pub(crate) fn pause(&mut self, next_due: Instant) {
        self.resume = Some(next_due);
    }
}

/// How many 8 kHz samples `duration` holds, rounded down, saturating at the timestamp's range
/// (a pause of more than 6 days wraps the timestamp anyway).
fn samples_in(duration: Duration) -> u32 {
    let samples = duration.as_micros() * u128::from(RATE) / 1_000_000;
    u32::try_from(samples).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_steps_per_packet_and_marks_only_the_first() {
        let mut stream = RtpStream::starting_at(7, 100, 1000);
        let headers: Vec<_> = (0..3).map(|_| stream.next_header(0, 160)).collect();
        assert_eq!(
            headers
                .iter()
                .map(|h| (h.marker, h.sequence, h.timestamp, h.ssrc))
                .collect::<Vec<_>>(),
            [
                (true, 100, 1000, 7),
                (false, 101, 1160, 7),
                (false, 102, 1320, 7)
            ]
        );
    }

    #[test]
    fn sequence_and_timestamp_wrap() {
        let mut stream = RtpStream::starting_at(1, u16::MAX, u32::MAX - 79);
        stream.next_header(8, 160);
        let header = stream.next_header(8, 160);
        assert_eq!((header.sequence, header.timestamp), (0, 80));
    }

    #[test]
    fn a_skip_moves_the_timestamp_not_the_sequence_and_marks_the_next_packet() {
        let mut stream = RtpStream::starting_at(1, 10, 0);
        stream.next_header(0, 160);
        stream.skip(480);
        let header = stream.next_header(0, 160);
        assert!(header.marker);
        assert_eq!((header.sequence, header.timestamp), (11, 640));
        assert!(!stream.next_header(0, 160).marker);
    }

    #[test]
    fn random_streams_differ() {
        let (a, b) = (RtpStream::new(), RtpStream::new());
        assert_ne!(
            (a.ssrc, a.sequence, a.timestamp),
            (b.ssrc, b.sequence, b.timestamp)
        );
    }

    #[test]
    fn rejoining_within_a_frame_continues_the_line() {
        let t0 = Instant::now();
        let mut stream = RtpStream::starting_at(1, 0, 0);
        stream.next_header(0, 160);
        stream.pause(t0 + FRAME_DURATION);
        assert_eq!(
            stream.rejoin(t0 + Duration::from_millis(35)),
            t0 + FRAME_DURATION
        );
        let header = stream.next_header(0, 160);
        assert!(!header.marker);
        assert_eq!(header.timestamp, 160);
    }

    #[test]
    fn custom_headers_keep_their_timestamp_and_continue_the_line() {
        let mut stream = RtpStream::starting_at(1, 5, 1000);
        stream.next_header(0, 160);
        let relayed = stream.custom_header(0, 7777, true, 7777 + 160, 160);
        assert_eq!((relayed.sequence, relayed.timestamp), (6, 7777));
        assert!(relayed.marker);
        // A repeated event packet does not move the timestamp back.
        let event = stream.custom_header(101, 7000, false, 7400, 4);
        assert!(!event.marker);
        assert_eq!(stream.next_header(0, 160).timestamp, 7777 + 160);
        let sent = stream.sent();
        assert_eq!((sent.packets(), sent.octets()), (4, 160 + 160 + 4 + 160));
        assert_eq!(sent.timestamp(), 7777 + 320);
    }

    #[test]
    fn rejoining_after_a_pause_skips_it() {
        let t0 = Instant::now();
        let mut stream = RtpStream::starting_at(1, 0, 0);
        stream.next_header(0, 160);
        stream.pause(t0 + FRAME_DURATION);
        let later = t0 + Duration::from_millis(520);
        assert_eq!(stream.rejoin(later), later);
        let header = stream.next_header(0, 160);
        assert!(header.marker);
        assert_eq!((header.sequence, header.timestamp), (1, 160 + 4000));
    }
}
