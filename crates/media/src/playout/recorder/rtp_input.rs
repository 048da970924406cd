//! From received RTP to the recorder's PCM, with the stream's timing kept: a lost packet
//! becomes silence of its length, so a recording lasts as long as the call did and what
//! follows a loss is not pulled earlier; a late or repeated packet is dropped, since its
//! place in the recording has passed.

use crate::playout::rtp::RtpPacket;

/// The longest gap filled with silence, in samples (1 s); a longer jump of the timestamp is
/// the far end restarting its stream, not loss, and is taken as it comes.
const MAX_GAP: u32 = 8_000;

/// Decodes one leg's RTP for a recorder, through a decoder the caller chooses.
///
/// The decoder is given each packet's payload type and payload and appends 8 kHz samples
/// (for G.711: `Codec::from_payload_type(pt).map(|c| c.decode(payload, out))`); appending
/// nothing means "not audio" (telephone-event, comfort noise) and the packet is passed over.
pub struct RtpDecoder<D> {
    decode: D,
    pcm: Vec<i16>,
    /// The SSRC and timestamp the next audio packet should have.
    expected: Option<(u32, u32)>,
}

impl<D: FnMut(u8, &[u8], &mut Vec<i16>)> RtpDecoder<D> {
    /// A decoder using `decode` for payloads.
    pub fn new(decode: D) -> RtpDecoder<D> {
        RtpDecoder {
            decode,
            pcm: Vec::new(),
            expected: None,
        }
    }

    /// The samples `packet` adds to the recording (preceded by silence for any gap), or none
    /// for a packet that is not RTP, not audio, late or a duplicate.
    pub fn decode(&mut self, packet: &[u8]) -> &[i16] {
        self.pcm.clear();
        let Ok(packet) = RtpPacket::parse(packet) else {
            return &self.pcm;
        };
        let header = packet.header;
        (self.decode)(header.payload_type, packet.payload, &mut self.pcm);
        let decoded = u32::try_from(self.pcm.len()).unwrap_or(u32::MAX);
        if decoded == 0 {
            return &self.pcm;
        }
        if let Some((ssrc, timestamp)) = self.expected {
            // The signed distance from where the stream should be, in samples.
            let ahead = header.timestamp.wrapping_sub(timestamp) as i32;
            if ssrc == header.ssrc {
                if (-(MAX_GAP as i32)..0).contains(&ahead) {
                    self.pcm.clear();
                    return &self.pcm;
                }
                if (1..=MAX_GAP as i32).contains(&ahead) {
                    self.pcm
                        .splice(0..0, std::iter::repeat_n(0, ahead as usize));
                }
            }
        }
        self.expected = Some((header.ssrc, header.timestamp.wrapping_add(decoded)));
        &self.pcm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playout::rtp::RtpHeader;

    /// A packet of `len` payload bytes all `value`, at `timestamp`.
    fn packet(payload_type: u8, ssrc: u32, timestamp: u32, value: u8, len: usize) -> Vec<u8> {
        let header = RtpHeader {
            marker: false,
            payload_type,
            sequence: 0,
            timestamp,
            ssrc,
        };
        let mut out = Vec::new();
        header.write(&vec![value; len], &mut out);
        out
    }

    /// "Decodes" payload type 0 by widening each byte; anything else is not audio.
    fn widen(pt: u8, payload: &[u8], out: &mut Vec<i16>) {
        if pt == 0 {
            out.extend(payload.iter().map(|&b| i16::from(b)));
        }
    }

    #[test]
    fn audio_is_decoded_in_order() {
        let mut decoder = RtpDecoder::new(widen);
        assert_eq!(decoder.decode(&packet(0, 1, 1000, 7, 4)), [7; 4]);
        assert_eq!(decoder.decode(&packet(0, 1, 1004, 9, 4)), [9; 4]);
    }

    #[test]
    fn a_gap_becomes_silence_of_its_length() {
        let mut decoder = RtpDecoder::new(widen);
        decoder.decode(&packet(0, 1, u32::MAX - 1, 7, 4)); // the timestamp wraps in the gap
        assert_eq!(
            decoder.decode(&packet(0, 1, 10, 9, 4)),
            [0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9]
        );
        assert_eq!(decoder.decode(&packet(0, 1, 14, 5, 2)), [5, 5]);
    }

    #[test]
    fn late_and_repeated_packets_are_dropped() {
        let mut decoder = RtpDecoder::new(widen);
        decoder.decode(&packet(0, 1, 100, 7, 4));
        decoder.decode(&packet(0, 1, 104, 7, 4));
        assert!(decoder.decode(&packet(0, 1, 104, 7, 4)).is_empty());
        assert!(decoder.decode(&packet(0, 1, 100, 7, 4)).is_empty());
        assert_eq!(decoder.decode(&packet(0, 1, 108, 3, 1)), [3]);
    }

    #[test]
    fn a_new_stream_or_a_long_jump_is_taken_as_it_comes() {
        let mut decoder = RtpDecoder::new(widen);
        decoder.decode(&packet(0, 1, 100, 7, 4));
        assert_eq!(decoder.decode(&packet(0, 2, 5, 1, 2)), [1, 1]);
        assert_eq!(decoder.decode(&packet(0, 2, 5 + 2 + 50_000, 2, 2)), [2, 2]);
        assert_eq!(decoder.decode(&packet(0, 2, 3, 3, 2)), [3, 3]);
    }

    #[test]
    fn garbage_and_non_audio_add_nothing() {
        let mut decoder = RtpDecoder::new(widen);
        assert!(decoder.decode(&[1, 2, 3]).is_empty());
        assert!(decoder.decode(&packet(101, 1, 100, 7, 4)).is_empty());
        decoder.decode(&packet(0, 1, 100, 7, 4));
        // A digit's events in between do not count as a gap or move the expected timestamp.
        assert!(decoder.decode(&packet(101, 1, 104, 7, 4)).is_empty());
        assert_eq!(decoder.decode(&packet(0, 1, 104, 8, 4)), [8; 4]);
    }
}
