//! The four-byte telephone-event payload of RFC 4733 §2.3:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::dtmf::Digit;

/// Why bytes are not a telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Fewer than the four bytes every event block has.
    #[error("telephone-event payload of {len} bytes is shorter than the 4 of one event")]
    TooShort {
        /// The payload's length.
        len: usize,
    },
}

/// One telephone event report, as carried in an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    /// The event code (RFC 4733 §2.3.1); 0-15 are the DTMF digits, see [`EventPayload::digit`].
    pub event: u8,
    /// The E bit (§2.3.2): set in the packets that report the end of the event.
    pub end: bool,
    /// The tone's power as dBm0 below zero, 0-63 (§2.3.4): 10 means -10 dBm0.
    pub volume: u8,
    /// How long the event has lasted so far, in RTP timestamp units (§2.3.5), counted from
    /// the packet's RTP timestamp, which is the event's start.
    pub duration: u16,
}

impl EventPayload {
    /// The length of one event block on the wire.
    pub const LEN: usize = 4;

    /// Reads the event block at the start of `payload`.
    ///
    /// The R bit is ignored as §2.3.3 asks. Bytes after the first block are ignored too:
    /// some senders pad, and a receiver that wants the digit has all it needs in the first
    /// block.
    pub fn parse(payload: &[u8]) -> Result<EventPayload, PayloadError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(PayloadError::TooShort { len: payload.len() });
        };
        Ok(EventPayload {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The block's bytes, ready to be an RTP payload. The R bit is zero and a volume above 63
    /// keeps only its six low bits, which is all the field holds.
    pub fn to_bytes(self) -> [u8; 4] {
        let [d0, d1] = self.duration.to_be_bytes();
        let flags = if self.end { 0x80 } else { 0 } | (self.volume & 0x3f);
        [self.event, flags, d0, d1]
    }

    /// The DTMF digit this event is, if it is one.
    pub fn digit(&self) -> Option<Digit> {
        Digit::from_event(self.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_field() {
        // Digit 9, end bit, R bit set (ignored), volume 10, duration 1600.
        let parsed = EventPayload::parse(&[9, 0x80 | 0x40 | 10, 0x06, 0x40]).unwrap();
        assert_eq!(
            parsed,
            EventPayload {
                event: 9,
                end: true,
                volume: 10,
                duration: 1600
            }
        );
        assert_eq!(parsed.digit(), Some(Digit::Nine));
    }

    #[test]
    fn start_packet_has_no_end_bit() {
        let parsed = EventPayload::parse(&[11, 63, 0xff, 0xff]).unwrap();
        assert!(!parsed.end);
        assert_eq!(parsed.volume, 63);
        assert_eq!(parsed.duration, u16::MAX);
        assert_eq!(parsed.digit(), Some(Digit::Hash));
    }

    #[test]
    fn round_trips() {
        for event in [0, 5, 15, 16, 255] {
            for end in [false, true] {
                for volume in [0, 10, 63] {
                    for duration in [0, 160, 400, u16::MAX] {
                        let payload = EventPayload {
                            event,
                            end,
                            volume,
                            duration,
                        };
                        assert_eq!(EventPayload::parse(&payload.to_bytes()), Ok(payload));
                    }
                }
            }
        }
    }

    #[test]
    fn writes_a_zero_r_bit_and_six_bit_volume() {
        let payload = EventPayload {
            event: 1,
            end: true,
            volume: 0xff,
            duration: 0x0102,
        };
        assert_eq!(payload.to_bytes(), [1, 0x80 | 0x3f, 1, 2]);
    }

    #[test]
    fn short_payloads_are_refused() {
        for len in 0..EventPayload::LEN {
            let bytes = vec![1; len];
            assert_eq!(
                EventPayload::parse(&bytes),
                Err(PayloadError::TooShort { len })
            );
        }
    }

    #[test]
    fn bytes_after_the_first_block_are_ignored() {
        let parsed = EventPayload::parse(&[3, 0x0a, 0, 160, 4, 0x8a, 1, 0]).unwrap();
        assert_eq!(parsed.event, 3);
        assert_eq!(parsed.duration, 160);
    }

    #[test]
    fn events_above_fifteen_are_not_digits() {
        let flash = EventPayload::parse(&[16, 0, 0, 0]).unwrap();
        assert_eq!(flash.digit(), None);
    }
}
