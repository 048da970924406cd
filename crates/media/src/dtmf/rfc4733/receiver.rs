//! Turning the packets of RFC 4733 events into key presses, once each.
//!
//! A sender reports one key press as many packets: a first one with the RTP marker bit, an
//! update every 50 ms or so with a growing duration, and the final packet with the E bit sent
//! three times (RFC 4733 §2.5.1.4), all with the same RTP timestamp, the moment the key went
//! down (§2.3). So the timestamp names the press: the first packet seen with a new, later
//! timestamp is a new press; every other packet of that timestamp only adds to it.
//!
//! **When a press is reported.** At its first packet to arrive, whichever that is, and not at
//! its end: an IVR acts on the digit at once, as most PBXs do, rather than waiting for the
//! key to be released. Its duration is reported separately at the first end packet; if all
//! three end packets are lost the press was still reported, only its release is not.
//!
//! **What is ignored.** Packets with an earlier timestamp than the current press (late or
//! reordered packets of earlier presses), repeats of the first packet and of the end packet,
//! updates after the end, and packets with the current timestamp but another event code
//! (no valid sender makes those). Events that are not digits (flash, fax tones) are followed,
//! so their packets are deduplicated too, but not reported.
//!
//! **Long presses.** The duration field holds at most 0xFFFF units (8.2 s at 8 kHz); a longer
//! event goes on in a new segment, reports with a new timestamp where the previous segment
//! ended (§2.5.1.3). A packet is taken for such a continuation when it carries the same event,
//! the current press has not ended, its segment had nearly reached the limit, and the packet
//! has no marker bit (a marked packet always starts a press); a new press of the same key
//! could only look like that if its marker packet and all end packets of an eight-second
//! press before it were lost.
//!
//! A new RTP stream (a new SSRC after a re-INVITE, say) starts its timestamps anywhere: give
//! it a new receiver.

use crate::dtmf::rfc4733::payload::{EventPayload, PayloadError};
use crate::dtmf::Digit;

/// A segment whose duration has come within this many units (1 s at 8 kHz) of the field's
/// limit may be continued by an unmarked segment; the slack covers lost updates at its end.
const SEGMENT_NEARLY_FULL: u16 = 8000;

/// What one packet told about a key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// The first packet of a new press: act on the digit now. Its release follows later as
    /// [`Received::Released`], unless every end packet is lost.
    Pressed(Digit),
    /// The first end packet of a press already reported by [`Received::Pressed`].
    Released {
        /// The key that was released.
        digit: Digit,
        /// How long it was held, in RTP timestamp units (8 per millisecond for the
        /// telephone-event/8000 the PBX offers).
        duration: u32,
    },
    /// A press whose first packet to arrive was already an end packet (its earlier packets
    /// were lost): pressed and released at once, reported once.
    PressedAndReleased {
        /// The key.
        digit: Digit,
        /// How long it was held, in RTP timestamp units.
        duration: u32,
    },
}

impl Received {
    /// The digit to act on if this packet began a new press: `Some` exactly once per press.
    pub fn new_press(&self) -> Option<Digit> {
        match *self {
            Received::Pressed(digit) | Received::PressedAndReleased { digit, .. } => Some(digit),
            Received::Released { .. } => None,
        }
    }
}

/// The press being received: the latest event seen.
#[derive(Debug, Clone, Copy)]
struct Current {
    /// RTP timestamp of the current segment (the press's start, for all but long presses).
    timestamp: u32,
    /// Its event code.
    event: u8,
    /// Whether an end packet has been seen.
    ended: bool,
    /// Units covered by the earlier segments of a long press.
    earlier: u32,
    /// The longest duration seen in the current segment.
    duration: u16,
}

impl Current {
    fn total(&self) -> u32 {
        self.earlier + u32::from(self.duration)
    }
}

/// Receives the telephone-event packets of one RTP stream and reports each key press once.
///
/// No I/O and no clock: feed it each telephone-event packet's timestamp, marker bit and
/// payload, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct EventReceiver {
    current: Option<Current>,
}

impl EventReceiver {
    /// A receiver that has seen no event yet.
    pub fn new() -> EventReceiver {
        EventReceiver::default()
    }

    /// Takes one telephone-event packet and says what it adds: a new press, the end of the
    /// current one, or nothing (`Ok(None)`) for the many packets that repeat what is known.
    ///
    /// Fails only when the payload is not a telephone event; the receiver is unchanged then.
    pub fn push(
        &mut self,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<Option<Received>, PayloadError> {
        let packet = EventPayload::parse(payload)?;
        let Some(current) = self.current.as_mut() else {
            return Ok(self.start(timestamp, packet));
        };
        if timestamp == current.timestamp {
            if packet.event != current.event {
                return Ok(None);
            }
            current.duration = current.duration.max(packet.duration);
            return Ok(end(current, packet));
        }
        if !is_later(timestamp, current.timestamp) {
            return Ok(None);
        }
        let continues = !marker
            && packet.event == current.event
            && !current.ended
            && current.duration >= u16::MAX - SEGMENT_NEARLY_FULL;
        if continues {
            current.earlier += timestamp.wrapping_sub(current.timestamp);
            current.timestamp = timestamp;
            current.duration = packet.duration;
            return Ok(end(current, packet));
        }
        Ok(self.start(timestamp, packet))
    }

    /// Makes `packet` the first of a new press.
    fn start(&mut self, timestamp: u32, packet: EventPayload) -> Option<Received> {
        self.current = Some(Current {
            timestamp,
            event: packet.event,
            ended: packet.end,
            earlier: 0,
            duration: packet.duration,
        });
        let digit = packet.digit()?;
        Some(if packet.end {
            Received::PressedAndReleased {
                digit,
                duration: u32::from(packet.duration),
            }
        } else {
            Received::Pressed(digit)
        })
    }
}

/// Marks `current` ended if `packet` is its first end packet, and says so.
fn end(current: &mut Current, packet: EventPayload) -> Option<Received> {
    if !packet.end || current.ended {
        return None;
    }
    current.ended = true;
    Some(Received::Released {
        digit: packet.digit()?,
        duration: current.total(),
    })
}

/// Whether RTP timestamp `a` is after `b`, in the wrapping arithmetic of RFC 3550 (a half
/// range of 2^31 units, three days at 8 kHz).
fn is_later(a: u32, b: u32) -> bool {
    let ahead = a.wrapping_sub(b);
    ahead != 0 && ahead < 1 << 31
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf::rfc4733::EventSender;
    use std::time::Duration;

    fn payload(digit: Digit, end: bool, duration: u16) -> [u8; 4] {
        EventPayload {
            event: digit.event(),
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    fn push(rx: &mut EventReceiver, ts: u32, marker: bool, p: [u8; 4]) -> Option<Received> {
        rx.push(ts, marker, &p).unwrap()
    }

    #[test]
    fn a_press_is_reported_at_its_first_packet_and_released_once() {
        let mut rx = EventReceiver::new();
        let d = Digit::Five;
        assert_eq!(
            push(&mut rx, 1000, true, payload(d, false, 400)),
            Some(Received::Pressed(d))
        );
        assert_eq!(push(&mut rx, 1000, false, payload(d, false, 800)), None);
        assert_eq!(push(&mut rx, 1000, false, payload(d, false, 1200)), None);
        assert_eq!(
            push(&mut rx, 1000, false, payload(d, true, 1280)),
            Some(Received::Released {
                digit: d,
                duration: 1280
            })
        );
        assert_eq!(push(&mut rx, 1000, false, payload(d, true, 1280)), None);
        assert_eq!(push(&mut rx, 1000, false, payload(d, true, 1280)), None);
    }

    #[test]
    fn a_repeated_first_packet_is_one_press() {
        let mut rx = EventReceiver::new();
        let first = payload(Digit::One, false, 160);
        assert!(push(&mut rx, 0, true, first).is_some());
        assert_eq!(push(&mut rx, 0, true, first), None);
    }

    #[test]
    fn a_press_whose_end_packets_were_lost_is_still_reported_and_the_next_one_too() {
        let mut rx = EventReceiver::new();
        assert_eq!(
            push(&mut rx, 0, true, payload(Digit::One, false, 400)),
            Some(Received::Pressed(Digit::One))
        );
        // Its end packets never arrive; the next press of the same key does.
        assert_eq!(
            push(&mut rx, 4000, true, payload(Digit::One, false, 400)),
            Some(Received::Pressed(Digit::One))
        );
    }

    #[test]
    fn a_new_press_is_recognised_without_its_marker_packet() {
        let mut rx = EventReceiver::new();
        push(&mut rx, 0, true, payload(Digit::Two, false, 400));
        push(&mut rx, 0, false, payload(Digit::Two, true, 800));
        assert_eq!(
            push(&mut rx, 2000, false, payload(Digit::Two, false, 800)),
            Some(Received::Pressed(Digit::Two))
        );
    }

    #[test]
    fn a_press_seen_only_by_its_end_packets_is_reported_once() {
        let mut rx = EventReceiver::new();
        assert_eq!(
            push(&mut rx, 500, false, payload(Digit::Hash, true, 960)),
            Some(Received::PressedAndReleased {
                digit: Digit::Hash,
                duration: 960
            })
        );
        assert_eq!(
            push(&mut rx, 500, false, payload(Digit::Hash, true, 960)),
            None
        );
    }

    #[test]
    fn late_packets_of_an_earlier_press_are_ignored() {
        let mut rx = EventReceiver::new();
        push(&mut rx, 1000, true, payload(Digit::Three, false, 400));
        push(&mut rx, 3000, true, payload(Digit::Four, false, 400));
        assert_eq!(
            push(&mut rx, 1000, false, payload(Digit::Three, true, 800)),
            None
        );
        assert_eq!(
            push(&mut rx, 1000, true, payload(Digit::Three, false, 400)),
            None
        );
        assert_eq!(
            push(&mut rx, 3000, false, payload(Digit::Four, true, 800)),
            Some(Received::Released {
                digit: Digit::Four,
                duration: 800
            })
        );
    }

    #[test]
    fn reordered_packets_of_one_press_give_one_press_and_one_release() {
        let mut rx = EventReceiver::new();
        assert_eq!(
            push(&mut rx, 7, false, payload(Digit::Six, false, 800)),
            Some(Received::Pressed(Digit::Six))
        );
        assert_eq!(
            push(&mut rx, 7, true, payload(Digit::Six, false, 400)),
            None
        );
        assert!(matches!(
            push(&mut rx, 7, false, payload(Digit::Six, true, 1000)),
            Some(Received::Released { .. })
        ));
        assert_eq!(
            push(&mut rx, 7, false, payload(Digit::Six, false, 800)),
            None
        );
    }

    #[test]
    fn the_release_carries_the_longest_duration_seen() {
        let mut rx = EventReceiver::new();
        push(&mut rx, 0, true, payload(Digit::Seven, false, 1200));
        // A (broken) end packet smaller than an update already seen.
        assert_eq!(
            push(&mut rx, 0, false, payload(Digit::Seven, true, 800)),
            Some(Received::Released {
                digit: Digit::Seven,
                duration: 1200
            })
        );
    }

    #[test]
    fn another_event_code_with_the_current_timestamp_is_ignored() {
        let mut rx = EventReceiver::new();
        push(&mut rx, 0, true, payload(Digit::Eight, false, 400));
        assert_eq!(
            push(&mut rx, 0, true, payload(Digit::Nine, false, 400)),
            None
        );
        assert_eq!(
            push(&mut rx, 0, false, payload(Digit::Nine, true, 800)),
            None
        );
    }

    #[test]
    fn timestamps_wrap_around() {
        let mut rx = EventReceiver::new();
        push(
            &mut rx,
            u32::MAX - 100,
            true,
            payload(Digit::One, false, 400),
        );
        assert_eq!(
            push(&mut rx, 300, true, payload(Digit::Two, false, 400)),
            Some(Received::Pressed(Digit::Two))
        );
        assert_eq!(
            push(
                &mut rx,
                u32::MAX - 100,
                false,
                payload(Digit::One, true, 800)
            ),
            None
        );
    }

    #[test]
    fn a_long_press_continues_in_unmarked_segments() {
        let mut rx = EventReceiver::new();
        let d = Digit::Zero;
        assert_eq!(
            push(&mut rx, 0, true, payload(d, false, 60_000)),
            Some(Received::Pressed(d))
        );
        push(&mut rx, 0, false, payload(d, false, u16::MAX));
        assert_eq!(push(&mut rx, 0xffff, false, payload(d, false, 400)), None);
        assert_eq!(
            push(&mut rx, 0xffff, false, payload(d, true, 1000)),
            Some(Received::Released {
                digit: d,
                duration: 0xffff + 1000
            })
        );
    }

    #[test]
    fn a_marked_packet_after_a_long_segment_is_a_new_press() {
        let mut rx = EventReceiver::new();
        let d = Digit::Zero;
        push(&mut rx, 0, true, payload(d, false, u16::MAX));
        assert_eq!(
            push(&mut rx, 0x1_0000, true, payload(d, false, 400)),
            Some(Received::Pressed(d))
        );
    }

    #[test]
    fn non_digit_events_are_followed_but_not_reported() {
        let mut rx = EventReceiver::new();
        push(&mut rx, 0, true, payload(Digit::One, false, 400));
        let flash = EventPayload {
            event: 16,
            end: false,
            volume: 10,
            duration: 400,
        };
        assert_eq!(rx.push(1000, true, &flash.to_bytes()).unwrap(), None);
        let flash_end = EventPayload { end: true, ..flash };
        assert_eq!(rx.push(1000, false, &flash_end.to_bytes()).unwrap(), None);
        // A late packet of the digit before the flash is still recognised as late.
        assert_eq!(
            push(&mut rx, 0, false, payload(Digit::One, true, 800)),
            None
        );
    }

    #[test]
    fn a_bad_payload_is_an_error_and_changes_nothing() {
        let mut rx = EventReceiver::new();
        push(&mut rx, 0, true, payload(Digit::One, false, 400));
        assert_eq!(
            rx.push(5000, true, &[1, 2]),
            Err(PayloadError::TooShort { len: 2 })
        );
        assert!(push(&mut rx, 0, false, payload(Digit::One, true, 800)).is_some());
    }

    /// Two presses of the same key, as the sender makes them, through every pattern of loss
    /// that lets at least one packet of each through: each press is reported exactly once, and
    /// released at most once.
    #[test]
    fn every_loss_pattern_reports_each_press_exactly_once() {
        let sender = EventSender::new();
        let first = sender.press(Digit::Four, Duration::from_millis(120), 0);
        let second = sender.press(Digit::Four, Duration::from_millis(120), 2400);
        let (n1, n2) = (first.len(), second.len());
        assert_eq!((n1, n2), (6, 6));
        for kept1 in 1u32..1 << n1 {
            for kept2 in 1u32..1 << n2 {
                let packets = (0..n1)
                    .filter(|i| kept1 & 1 << i != 0)
                    .map(|i| first[i])
                    .chain((0..n2).filter(|i| kept2 & 1 << i != 0).map(|i| second[i]));
                let mut rx = EventReceiver::new();
                let mut presses = 0;
                let mut releases = 0;
                for p in packets {
                    match rx
                        .push(p.timestamp, p.marker, &p.payload.to_bytes())
                        .unwrap()
                    {
                        Some(r) if r.new_press().is_some() => {
                            presses += 1;
                            releases +=
                                usize::from(matches!(r, Received::PressedAndReleased { .. }));
                        }
                        Some(_) => releases += 1,
                        None => {}
                    }
                }
                assert_eq!(presses, 2, "kept {kept1:b} {kept2:b}");
                assert!(releases <= 2, "kept {kept1:b} {kept2:b}");
            }
        }
    }

    /// The packets of one press in every order give one press and one release.
    #[test]
    fn every_arrival_order_reports_one_press_and_one_release() {
        let packets = EventSender::new().press(Digit::C, Duration::from_millis(100), 80);
        let mut order: Vec<usize> = (0..packets.len()).collect();
        for_each_permutation(&mut order, 0, &mut |order| {
            let mut rx = EventReceiver::new();
            let got: Vec<Received> = order
                .iter()
                .filter_map(|&i| {
                    let p = packets[i];
                    rx.push(p.timestamp, p.marker, &p.payload.to_bytes())
                        .unwrap()
                })
                .collect();
            let presses = got.iter().filter(|r| r.new_press().is_some()).count();
            let releases = got
                .iter()
                .filter(|r| !matches!(r, Received::Pressed(_)))
                .count();
            assert_eq!((presses, releases), (1, 1), "{order:?}: {got:?}");
        });
    }

    fn for_each_permutation(items: &mut [usize], k: usize, f: &mut dyn FnMut(&[usize])) {
        if k == items.len() {
            f(items);
            return;
        }
        for i in k..items.len() {
            items.swap(k, i);
            for_each_permutation(items, k + 1, f);
            items.swap(k, i);
        }
    }
}
