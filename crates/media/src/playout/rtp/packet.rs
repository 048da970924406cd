//! The RTP packet (RFC 3550 §5.1): written for what the PBX sends, read from what phones send.
//!
//! The PBX writes only the 12-byte fixed header: it has no contributing sources to name, no
//! header extensions and no need for padding. Reading accepts all of them, since phones and
//! gateways do send CSRC lists, extensions (RFC 8285 audio levels) and padding (SRTP-style
//! block alignment), and a payload read without skipping them would decode as noise. Reading
//! never panics: every length is checked against the bytes present, since these bytes come
//! from the network.

/// The RTP version this module reads and writes; version 0 and 1 are long obsolete and 3 is
/// unassigned, so anything else is not RTP.
const VERSION: u8 = 2;

/// Length of the fixed header, the whole header of every packet the PBX sends.
pub const FIXED_HEADER_LEN: usize = 12;

/// The fields of the fixed header that vary from packet to packet and stream to stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Set on the first packet of a talkspurt, so the receiver may resize its jitter buffer
    /// there, where a change is inaudible.
    pub marker: bool,
    /// The payload format (0 PCMU, 8 PCMA, ...); 7 bits on the wire, higher bits dropped.
    pub payload_type: u8,
    /// +1 per packet, so the receiver can spot loss and reordering.
    pub sequence: u16,
    /// The sampling instant of the first sample, in samples (8 kHz for G.711).
    pub timestamp: u32,
    /// The stream's random identifier.
    pub ssrc: u32,
}

impl RtpHeader {
    /// Appends a packet with this header and `payload` to `out`: version 2, no padding, no
    /// extension, no CSRC.
    pub fn write(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.reserve(FIXED_HEADER_LEN + payload.len());
        out.push(VERSION << 6);
        out.push(u8::from(self.marker) << 7 | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(payload);
    }
}

/// A header extension (RFC 3550 §5.3.1): a profile-defined identifier and its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    /// The 16-bit "defined by profile" field (0xBEDE for RFC 8285 one-byte headers).
    pub profile: u16,
    /// The extension's data, a multiple of four bytes.
    pub data: &'a [u8],
}

/// A received RTP packet, borrowed from the receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The fixed header's fields.
    pub header: RtpHeader,
    csrcs: &'a [u8],
    /// The header extension, when the X bit is set.
    pub extension: Option<Extension<'a>>,
    /// The media: what follows the header, CSRCs and extension, without the padding.
    pub payload: &'a [u8],
}

/// Why received bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Fewer bytes than the fixed header.
    #[error("RTP packet of {0} bytes is shorter than the 12-byte fixed header")]
    TooShort(usize),
    /// The version bits are not 2 (STUN, a keep-alive, or garbage).
    #[error("RTP version {0}, expected 2")]
    Version(u8),
    /// The CSRC count or extension length runs past the end of the packet.
    #[error("RTP {part} runs past the end of a {len}-byte packet")]
    Truncated {
        /// Which part of the header is cut short: "CSRC list" or "header extension".
        part: &'static str,
        /// The packet's length.
        len: usize,
    },
    /// The padding count is zero or longer than what follows the header.
    #[error("RTP padding of {padding} bytes does not fit the {available} bytes after the header")]
    Padding {
        /// The count in the packet's last byte.
        padding: u8,
        /// The bytes after the header, which the padding must fit in.
        available: usize,
    },
}

impl<'a> RtpPacket<'a> {
    /// Reads `bytes` as an RTP packet.
    pub fn parse(bytes: &'a [u8]) -> Result<RtpPacket<'a>, RtpError> {
        let len = bytes.len();
        let Some((fixed, rest)) = bytes.split_first_chunk::<FIXED_HEADER_LEN>() else {
            return Err(RtpError::TooShort(len));
        };
        let version = fixed[0] >> 6;
        if version != VERSION {
            return Err(RtpError::Version(version));
        }
        let padded = fixed[0] & 0x20 != 0;
        let extended = fixed[0] & 0x10 != 0;
        let csrc_len = usize::from(fixed[0] & 0x0f) * 4;
        let header = RtpHeader {
            marker: fixed[1] & 0x80 != 0,
            payload_type: fixed[1] & 0x7f,
            sequence: u16::from_be_bytes([fixed[2], fixed[3]]),
            timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
        };
        let truncated = |part| RtpError::Truncated { part, len };
        let (csrcs, rest) = rest
            .split_at_checked(csrc_len)
            .ok_or(truncated("CSRC list"))?;
        let (extension, rest) = if extended {
            let (ext_header, rest) = rest
                .split_first_chunk::<4>()
                .ok_or(truncated("header extension"))?;
            let words = usize::from(u16::from_be_bytes([ext_header[2], ext_header[3]]));
            let (data, rest) = rest
                .split_at_checked(words * 4)
                .ok_or(truncated("header extension"))?;
            let profile = u16::from_be_bytes([ext_header[0], ext_header[1]]);
            (Some(Extension { profile, data }), rest)
        } else {
            (None, rest)
        };
        let payload = if padded {
            let padding = rest.last().copied().unwrap_or(0);
            let available = rest.len();
            match available.checked_sub(usize::from(padding)) {
                Some(end) if padding > 0 => &rest[..end],
                _ => return Err(RtpError::Padding { padding, available }),
            }
        } else {
            rest
        };
        Ok(RtpPacket {
            header,
            csrcs,
            extension,
            payload,
        })
    }

    /// The contributing sources (a mixer's inputs), in the packet's order.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + '_ {
        self.csrcs
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn header() -> RtpHeader {
        RtpHeader {
            marker: true,
            payload_type: 8,
            sequence: 0xfffe,
            timestamp: 0xdead_beef,
            ssrc: 0x0102_0304,
        }
    }

    #[test]
    fn a_written_packet_reads_back() {
        let mut out = Vec::new();
        header().write(&[1, 2, 3], &mut out);
        assert_eq!(
            out,
            [0x80, 0x88, 0xff, 0xfe, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 1, 2, 3]
        );
        let packet = RtpPacket::parse(&out).unwrap();
        assert_eq!(packet.header, header());
        assert_eq!(packet.payload, [1, 2, 3]);
        assert_eq!(packet.extension, None);
        assert_eq!(packet.csrcs().count(), 0);
    }

    #[test]
    fn write_appends_and_keeps_payload_type_to_seven_bits() {
        let mut out = vec![9];
        let header = RtpHeader {
            marker: false,
            payload_type: 0x80,
            ..header()
        };
        header.write(&[], &mut out);
        assert_eq!(out.len(), 1 + FIXED_HEADER_LEN);
        assert_eq!(out[2], 0x00);
    }

    #[test]
    fn csrcs_extension_and_padding_are_skipped() {
        let mut bytes = vec![0x80 | 0x20 | 0x10 | 2, 0x00, 0, 7, 0, 0, 0, 160, 0, 0, 0, 9];
        bytes.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // two CSRCs
        bytes.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]); // one-word extension
        bytes.extend_from_slice(&[0x55; 5]); // payload
        bytes.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let packet = RtpPacket::parse(&bytes).unwrap();
        assert_eq!(packet.header.sequence, 7);
        assert_eq!(packet.header.timestamp, 160);
        assert_eq!(packet.header.ssrc, 9);
        assert!(!packet.header.marker);
        assert_eq!(packet.csrcs().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            packet.extension,
            Some(Extension {
                profile: 0xbede,
                data: &[0x10, 0xaa, 0, 0]
            })
        );
        assert_eq!(packet.payload, [0x55; 5]);
    }

    #[test]
    fn malformed_packets_are_named() {
        assert_eq!(RtpPacket::parse(&[0x80; 11]), Err(RtpError::TooShort(11)));
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(RtpError::Version(1)));
        let mut csrc = vec![0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
        assert!(matches!(
            RtpPacket::parse(&csrc),
            Err(RtpError::Truncated {
                part: "CSRC list",
                ..
            })
        ));
        csrc.push(4);
        assert!(RtpPacket::parse(&csrc).is_ok());
        let extension = [
            0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 2, 0, 0, 0, 0,
        ];
        assert!(matches!(
            RtpPacket::parse(&extension),
            Err(RtpError::Truncated {
                part: "header extension",
                ..
            })
        ));
        let zero_padding = [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
        assert_eq!(
            RtpPacket::parse(&zero_padding),
            Err(RtpError::Padding {
                padding: 0,
                available: 2
            })
        );
        let long_padding = [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3];
        assert!(matches!(
            RtpPacket::parse(&long_padding),
            Err(RtpError::Padding { padding: 3, .. })
        ));
        let empty_padded = [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(RtpPacket::parse(&empty_padded).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let mut parsed = 0;
        for _ in 0..100_000 {
            let len = rng.random_range(0..80);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            if rng.random_bool(0.5) && !bytes.is_empty() {
                bytes[0] = 0x80 | (bytes[0] & 0x3f); // version 2, to reach the deeper checks
            }
            if let Ok(packet) = RtpPacket::parse(&bytes) {
                parsed += 1;
                assert!(packet.payload.len() + FIXED_HEADER_LEN <= bytes.len());
                assert!(packet.csrcs().count() <= 15);
            }
        }
        assert!(parsed > 1000, "only {parsed} random packets parsed");
    }
}
