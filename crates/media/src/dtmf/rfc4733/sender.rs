//! The packets that send one key press as RFC 4733 events, for the playout to a leg.
//!
//! A press of `D` units (8 per ms) starting at RTP timestamp `T` becomes, all with timestamp
//! `T` (RFC 4733 §2.3: the timestamp is the event's start):
//! - a first packet with the marker bit (§2.5.1.2), sent at once;
//! - an update every 50 ms, the interval §2.5.1.2 suggests, while the key is held;
//! - at `D`, the end packet (E bit, duration `D`), sent three times at the update interval
//!   (§2.5.1.4), so that losing one or two still ends the event at the far end.
//!
//! Each packet before the end reports the duration up to the next update (at most `D`), so
//! that no packet reports a duration of zero, which some receivers take badly.

use std::time::Duration;

use crate::dtmf::rfc4733::payload::EventPayload;
use crate::dtmf::Digit;

/// Timestamp units per millisecond: the PBX offers telephone-event at 8000 Hz only.
const UNITS_PER_MS: u64 = 8;
/// Units between updates while the key is held, and between the copies of the end packet
/// (50 ms).
const UPDATE_INTERVAL: u32 = 400;
/// How many times the end packet is sent.
const END_COPIES: u32 = 3;
/// The volume reported when none is chosen: -10 dBm0, a common level for DTMF.
const DEFAULT_VOLUME: u8 = 10;

/// One telephone-event packet to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// When to send it, in timestamp units (8 per ms) after the key went down.
    pub send_at: u32,
    /// Its RTP timestamp: the press's start, the same for every packet of the press.
    pub timestamp: u32,
    /// Its RTP marker bit: set on the first packet only.
    pub marker: bool,
    /// Its payload; [`EventPayload::to_bytes`] gives the bytes.
    pub payload: EventPayload,
}

/// Makes the packets of key presses, at 8000 timestamp units per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSender {
    volume: u8,
}

impl Default for EventSender {
    fn default() -> EventSender {
        EventSender::new()
    }
}

impl EventSender {
    /// A sender that reports its tones at -10 dBm0.
    pub fn new() -> EventSender {
        EventSender {
            volume: DEFAULT_VOLUME,
        }
    }

    /// The same sender reporting `volume` (dBm0 below zero, RFC 4733 §2.3.4); values above
    /// 63, the field's limit, become 63.
    pub fn with_volume(self, volume: u8) -> EventSender {
        EventSender {
            volume: volume.min(63),
        }
    }

    /// The packets of one press of `digit` held for `duration`, starting at RTP timestamp
    /// `timestamp`, in sending order.
    ///
    /// The duration field holds at most 0xFFFF units, so a press longer than 8.19 s is sent
    /// as 8.19 s (an IVR never needs longer). After the press, audio resumes at timestamp
    /// `timestamp + duration`.
    pub fn press(&self, digit: Digit, duration: Duration, timestamp: u32) -> Vec<EventPacket> {
        let units = u64::try_from(duration.as_micros() * u128::from(UNITS_PER_MS) / 1000)
            .unwrap_or(u64::MAX);
        let total = u16::try_from(units).unwrap_or(u16::MAX);
        let packet = |send_at: u32, end: bool, duration: u16| EventPacket {
            send_at,
            timestamp,
            marker: send_at == 0 && !end,
            payload: EventPayload {
                event: digit.event(),
                end,
                volume: self.volume,
                duration,
            },
        };
        let total_units = u32::from(total);
        let updates = (0..)
            .map(|k| k * UPDATE_INTERVAL)
            .take_while(|&at| at == 0 || at < total_units)
            .map(|at| {
                let reported = (at + UPDATE_INTERVAL).min(total_units);
                packet(at, false, u16::try_from(reported).unwrap_or(u16::MAX))
            });
        let ends = (0..END_COPIES).map(|k| packet(total_units + k * UPDATE_INTERVAL, true, total));
        updates.chain(ends).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(packets: &[EventPacket]) -> Vec<(u32, bool, bool, u16)> {
        packets
            .iter()
            .map(|p| (p.send_at, p.marker, p.payload.end, p.payload.duration))
            .collect()
    }

    #[test]
    fn a_press_is_a_marked_start_updates_and_three_ends() {
        let packets = EventSender::new().press(Digit::Nine, Duration::from_millis(160), 1234);
        assert_eq!(
            summary(&packets),
            vec![
                (0, true, false, 400),
                (400, false, false, 800),
                (800, false, false, 1200),
                (1200, false, false, 1280),
                (1280, false, true, 1280),
                (1680, false, true, 1280),
                (2080, false, true, 1280),
            ]
        );
        for p in &packets {
            assert_eq!(p.timestamp, 1234);
            assert_eq!(p.payload.digit(), Some(Digit::Nine));
            assert_eq!(p.payload.volume, 10);
        }
    }

    #[test]
    fn a_press_shorter_than_an_update_has_one_start_packet() {
        let packets = EventSender::new().press(Digit::Star, Duration::from_millis(40), 0);
        assert_eq!(
            summary(&packets),
            vec![
                (0, true, false, 320),
                (320, false, true, 320),
                (720, false, true, 320),
                (1120, false, true, 320),
            ]
        );
    }

    #[test]
    fn a_zero_length_press_still_starts_and_ends() {
        let packets = EventSender::new().press(Digit::One, Duration::ZERO, 0);
        assert_eq!(packets.len(), 4);
        assert!(packets[0].marker);
        assert!(packets[1..].iter().all(|p| p.payload.end));
    }

    #[test]
    fn durations_never_decrease_and_never_pass_the_press() {
        for ms in [1, 49, 50, 51, 100, 250, 1000] {
            let packets = EventSender::new().press(Digit::A, Duration::from_millis(ms), 0);
            let total = u16::try_from(ms * 8).unwrap();
            let durations: Vec<u16> = packets.iter().map(|p| p.payload.duration).collect();
            assert!(
                durations.windows(2).all(|w| w[0] <= w[1]),
                "{ms}: {durations:?}"
            );
            assert_eq!(*durations.last().unwrap(), total);
            assert!(packets.windows(2).all(|w| w[0].send_at <= w[1].send_at));
            assert_eq!(packets.iter().filter(|p| p.marker).count(), 1);
            assert_eq!(packets.iter().filter(|p| p.payload.end).count(), 3);
        }
    }

    #[test]
    fn presses_longer_than_the_field_are_capped() {
        let packets = EventSender::new().press(Digit::B, Duration::from_secs(60), 0);
        let last = packets.last().unwrap();
        assert_eq!(last.payload.duration, u16::MAX);
        assert_eq!(last.send_at, u32::from(u16::MAX) + 2 * UPDATE_INTERVAL);
    }

    #[test]
    fn the_volume_is_chosen_and_capped() {
        let quiet = EventSender::new().with_volume(20);
        assert_eq!(
            quiet.press(Digit::D, Duration::from_millis(100), 0)[0]
                .payload
                .volume,
            20
        );
        let capped = EventSender::new().with_volume(200);
        assert_eq!(
            capped.press(Digit::D, Duration::from_millis(100), 0)[0]
                .payload
                .volume,
            63
        );
    }
}
