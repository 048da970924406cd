//! G.711 μ-law (PCMU) and A-law (PCMA): the two codecs every SIP phone speaks, converted to
//! and from 16-bit linear samples.
//!
//! The arithmetic is that of the ITU-T reference implementation (G.191 Software Tools
//! Library, `g711.c`): negative samples are taken by one's complement, so `-1` encodes as the
//! negative zero code and the table is symmetric. Decoding goes through two 256-entry tables
//! built at compile time; encoding is a few shifts per sample.

/// A G.711 variant: which companding law an RTP payload uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// μ-law, static RTP payload type 0: North America and Japan, and most SIP phones' first
    /// choice.
    Pcmu,
    /// A-law, static RTP payload type 8: Europe and Russia's networks.
    Pcma,
}

impl Codec {
    /// The static RTP payload type (RFC 3551): 0 for PCMU, 8 for PCMA.
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec of a static RTP payload type, or `None` for any other type.
    pub fn from_payload_type(pt: u8) -> Option<Codec> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// Appends one code byte per sample of `pcm` to `out`.
    pub fn encode(self, pcm: &[i16], out: &mut Vec<u8>) {
        let law = match self {
            Codec::Pcmu => linear_to_ulaw,
            Codec::Pcma => linear_to_alaw,
        };
        out.extend(pcm.iter().map(|&s| law(s)));
    }

    /// Appends one sample per code byte of `codes` to `out`.
    pub fn decode(self, codes: &[u8], out: &mut Vec<i16>) {
        let table = match self {
            Codec::Pcmu => &ULAW_TO_LINEAR,
            Codec::Pcma => &ALAW_TO_LINEAR,
        };
        out.extend(codes.iter().map(|&c| table[usize::from(c)]));
    }
}

/// The μ-law code of a 16-bit sample. Only the top 14 bits count; beyond ±32124 it clips.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    // Magnitude in 14 bits, one's complement for negatives, plus the bias of 33 that lets
    // every segment start at a power of two.
    let magnitude = if sample < 0 { !sample } else { sample };
    let biased = ((magnitude >> 2) + 33).min(0x1FFF) as u16;
    // Segment 1..=8: the position of the highest set bit above bit 5.
    let segment = 16 - (biased >> 6).leading_zeros() as u16 + 1;
    let mantissa = (biased >> segment) & 0x0F;
    let code = ((8 - segment) << 4) | (0x0F - mantissa);
    let sign = if sample >= 0 { 0x80 } else { 0x00 };
    (code | sign) as u8
}

/// The 16-bit sample a μ-law code stands for.
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_TO_LINEAR[usize::from(code)]
}

/// The A-law code of a 16-bit sample. Only the top 13 bits count; beyond ±32256 it clips.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut ix = if sample < 0 {
        !sample >> 4
    } else {
        sample >> 4
    } as u16;
    if ix > 15 {
        let mut exponent = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            exponent += 1;
        }
        ix -= 16;
        ix += exponent << 4;
    }
    if sample >= 0 {
        ix |= 0x80;
    }
    (ix ^ 0x55) as u8
}

/// The 16-bit sample an A-law code stands for.
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_TO_LINEAR[usize::from(code)]
}

/// Every μ-law code's sample, by code.
static ULAW_TO_LINEAR: [i16; 256] = ulaw_table();
/// Every A-law code's sample, by code.
static ALAW_TO_LINEAR: [i16; 256] = alaw_table();

const fn ulaw_table() -> [i16; 256] {
    let mut table = [0; 256];
    let mut code = 0;
    while code < 256 {
        let inverted = !(code as u8) as i32;
        let exponent = (inverted >> 4) & 0x07;
        let mantissa = inverted & 0x0F;
        let step = 4 << (exponent + 1);
        let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
        table[code] = if code < 0x80 { -magnitude } else { magnitude } as i16;
        code += 1;
    }
    table
}

const fn alaw_table() -> [i16; 256] {
    let mut table = [0; 256];
    let mut code = 0;
    while code < 256 {
        let ix = (code as i32 ^ 0x55) & 0x7F;
        let exponent = ix >> 4;
        let mut mantissa = ix & 0x0F;
        if exponent > 0 {
            mantissa += 16;
        }
        mantissa = (mantissa << 4) + 8;
        if exponent > 1 {
            mantissa <<= exponent - 1;
        }
        table[code] = if code > 127 { mantissa } else { -mantissa } as i16;
        code += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from the G.711 tables (and the G.191 reference code): silence, the smallest
    /// steps, segment edges and full scale.
    #[test]
    fn ulaw_reference_values() {
        for (code, linear) in [
            (0xFF, 0),
            (0x7F, 0),
            (0xFE, 8),
            (0x7E, -8),
            (0xF0, 120),
            (0xEF, 132),
            (0xDF, 396),
            (0x80, 32124),
            (0x00, -32124),
            (0x81, 31100),
            (0x8F, 16764),
            (0x90, 15996),
        ] {
            assert_eq!(ulaw_to_linear(code), linear, "code {code:#04x}");
        }
        for (linear, code) in [
            (0, 0xFF),
            (-1, 0x7F),
            (1, 0xFF),
            (7, 0xFE),
            (-8, 0x7E),
            (32767, 0x80),
            (-32768, 0x00),
            (32124, 0x80),
            (-32124, 0x00),
        ] {
            assert_eq!(linear_to_ulaw(linear), code, "sample {linear}");
        }
    }

    #[test]
    fn alaw_reference_values() {
        for (code, linear) in [
            (0xD5, 8),
            (0x55, -8),
            (0xD4, 24),
            (0xC5, 264),
            (0xAA, 32256),
            (0x2A, -32256),
            (0x80, 5504),
        ] {
            assert_eq!(alaw_to_linear(code), linear, "code {code:#04x}");
        }
        for (linear, code) in [
            (0, 0xD5),
            (-1, 0x55),
            (15, 0xD5),
            (16, 0xD4),
            (32767, 0xAA),
            (-32768, 0x2A),
        ] {
            assert_eq!(linear_to_alaw(linear), code, "sample {linear}");
        }
    }

    /// Decoding then encoding gives every code back, except μ-law's negative zero (0x7F),
    /// which decodes to 0 and so comes back as positive zero (0xFF).
    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            let expected = if code == 0x7F { 0xFF } else { code };
            assert_eq!(
                linear_to_ulaw(ulaw_to_linear(code)),
                expected,
                "μ-law {code:#04x}"
            );
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "A-law {code:#04x}"
            );
        }
    }

    /// Every 16-bit sample lands on the code whose value is nearest to it (within the
    /// segment's half step), and the codes are monotonic in the sample.
    #[test]
    fn encoding_is_monotonic_and_close() {
        for (encode, decode, max) in [
            (
                linear_to_ulaw as fn(i16) -> u8,
                ulaw_to_linear as fn(u8) -> i16,
                32124,
            ),
            (linear_to_alaw, alaw_to_linear, 32256),
        ] {
            let mut previous = i32::MIN;
            for sample in i16::MIN..=i16::MAX {
                let back = i32::from(decode(encode(sample)));
                assert!(back >= previous, "not monotonic at {sample}");
                previous = back;
                let clipped = i32::from(sample).clamp(-max, max);
                // The top segment of both laws has steps of 1024, so half a step is 512.
                assert!(
                    (back - clipped).abs() <= 512,
                    "sample {sample} decoded as {back}"
                );
            }
        }
    }

    #[test]
    fn codec_encodes_and_decodes_slices() {
        let pcm = [0, 1000, -1000, 32767, -32768];
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut codes = vec![0xAB];
            codec.encode(&pcm, &mut codes);
            assert_eq!(codes.len(), 6, "appends, keeping what was there");
            let mut back = Vec::new();
            codec.decode(&codes[1..], &mut back);
            assert_eq!(back.len(), pcm.len());
            for (a, b) in pcm.iter().zip(&back) {
                assert!(
                    (i32::from(*a) - i32::from(*b)).abs() <= 1024,
                    "{codec:?}: {a} -> {b}"
                );
            }
            assert_eq!(Codec::from_payload_type(codec.payload_type()), Some(codec));
        }
        assert_eq!(Codec::Pcmu.payload_type(), 0);
        assert_eq!(Codec::Pcma.payload_type(), 8);
        assert_eq!(Codec::from_payload_type(101), None);
    }
}
