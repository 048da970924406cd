//! WAV decoding to mono samples at the file's own rate.
//!
//! PCM (8, 16, 24, 32-bit) and 32-bit float are read by `hound`. G.711 inside WAV (format
//! tags 6 and 7, what telephony systems often export prompts as) is not something `hound`
//! reads, so those files are walked here: the RIFF chunk list is simple and the samples go
//! through the same tables as RTP.
//!
//! The file is decoded from memory; nothing here trusts a length from the header beyond the
//! bytes really present, so a garbage header cannot make it allocate gigabytes or panic.
//! What it allocates is bounded by the input: at most one `f32` per byte of it (8-bit and
//! G.711 samples are one byte each).

use std::io::Cursor;
use std::time::Duration;

use super::g711::Codec;

/// The lowest sample rate accepted: below it a "WAV" is almost surely a broken header.
const MIN_RATE: u32 = 1_000;
/// The highest sample rate accepted (studio gear tops out at 384 kHz).
const MAX_RATE: u32 = 384_000;

/// A WAV file's audio as the file holds it: at its own rate, its channels mixed to one, as
/// floats in [-1, 1]. [`Clip::from_wav`](super::Clip::from_wav) makes telephone audio of it;
/// the step between lets a caller refuse audio by its length before paying for resampling.
pub struct WavAudio {
    /// The file's sample rate in Hz.
    rate: u32,
    /// Mono samples, the average of the file's channels.
    samples: Vec<f32>,
}

impl WavAudio {
    /// Decodes a whole WAV file held in memory: PCM (8, 16, 24, 32-bit), 32-bit float,
    /// μ-law or A-law; any rate from 1 to 384 kHz; any number of channels.
    pub fn decode(bytes: &[u8]) -> Result<WavAudio, WavError> {
        if !could_be_wav(bytes) {
            return Err(WavError::NotWav);
        }
        match hound::WavReader::new(Cursor::new(bytes)) {
            Ok(reader) => decode_pcm(reader),
            Err(hound::Error::Unsupported) => decode_g711(bytes),
            Err(err) => Err(problem(err)),
        }
    }

    /// The file's sample rate in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// How long it plays.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.rate))
    }

    /// The mono samples at [`WavAudio::rate`].
    pub(super) fn samples(&self) -> &[f32] {
        &self.samples
    }
}

/// Why bytes could not be decoded as WAV; the caller adds which file or upload it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// The bytes do not begin as a WAV file does: another format altogether (MP3, Ogg,
    /// text), which no amount of repair would make playable.
    #[error("not a WAV file (it does not begin with a RIFF/WAVE header)")]
    NotWav,
    /// A valid WAV whose encoding is not decoded here (ADPCM, GSM, an absurd rate).
    #[error("{0}")]
    Unsupported(String),
    /// A WAV that is broken: truncated, garbage, inconsistent.
    #[error("{0}")]
    Malformed(String),
}

/// Whether `bytes` agree with a WAV header as far as they go: `RIFF`, a length, `WAVE`.
/// Bytes too few to tell are left to the decoder, which calls them truncated.
fn could_be_wav(bytes: &[u8]) -> bool {
    let agrees = |at: usize, tag: &[u8]| {
        let present = bytes.get(at..).unwrap_or_default();
        let n = present.len().min(tag.len());
        present[..n] == tag[..n]
    };
    agrees(0, b"RIFF") && agrees(8, b"WAVE")
}

fn decode_pcm(mut reader: hound::WavReader<Cursor<&[u8]>>) -> Result<WavAudio, WavError> {
    let spec = reader.spec();
    check_rate(spec.sample_rate)?;
    let mut mixer = Mixer::new(spec.channels);
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for sample in reader.samples::<f32>() {
                mixer.push(sample.map_err(problem)?);
            }
        }
        hound::SampleFormat::Int => {
            if !(1..=32).contains(&spec.bits_per_sample) {
                let bits = spec.bits_per_sample;
                return Err(WavError::Unsupported(format!("{bits}-bit integer samples")));
            }
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            for sample in reader.samples::<i32>() {
                mixer.push(sample.map_err(problem)? as f32 * scale);
            }
        }
    }
    Ok(WavAudio {
        rate: spec.sample_rate,
        samples: mixer.samples,
    })
}

/// Decodes a WAV holding μ-law or A-law, or says which encoding it holds instead.
fn decode_g711(bytes: &[u8]) -> Result<WavAudio, WavError> {
    // hound has checked the RIFF/WAVE header and found a fmt chunk before failing.
    let mut rest = bytes.get(12..).unwrap_or_default();
    let mut format = None;
    loop {
        let Some((id, declared, body)) = chunk(rest) else {
            return Err(WavError::Malformed("no data chunk".into()));
        };
        match id {
            b"fmt " => format = Some(G711Format::parse(body)?),
            b"data" => {
                let format = format.ok_or(WavError::Malformed("data before fmt chunk".into()))?;
                if body.len() < declared {
                    return Err(WavError::Malformed("the data chunk is truncated".into()));
                }
                return Ok(format.decode(body));
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        rest = rest.get(8 + declared + declared % 2..).unwrap_or_default();
    }
}

/// The next chunk of `bytes`: its id, its declared length and as much of its body as exists.
fn chunk(bytes: &[u8]) -> Option<(&[u8], usize, &[u8])> {
    let id = bytes.get(..4)?;
    let declared = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?) as usize;
    let body = &bytes[8..bytes.len().min(8 + declared)];
    Some((id, declared, body))
}

/// What a G.711 WAV's fmt chunk says.
#[derive(Clone, Copy)]
struct G711Format {
    codec: Codec,
    channels: u16,
    rate: u32,
}

impl G711Format {
    fn parse(fmt: &[u8]) -> Result<G711Format, WavError> {
        let field = |at: usize, len: usize| {
            fmt.get(at..at + len)
                .ok_or(WavError::Malformed("the fmt chunk is too short".into()))
        };
        let u16_at = |at| field(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let mut tag = u16_at(0)?;
        if tag == 0xFFFE {
            // WAVE_FORMAT_EXTENSIBLE: the real tag opens the sub-format GUID.
            tag = u16_at(24)?;
        }
        let codec = match tag {
            6 => Codec::Pcma,
            7 => Codec::Pcmu,
            _ => return Err(WavError::Unsupported(unsupported_tag(tag))),
        };
        let channels = u16_at(2)?;
        let rate = field(4, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))?;
        let bits = u16_at(14)?;
        if channels == 0 || bits != 8 {
            return Err(WavError::Malformed(format!(
                "G.711 with {channels} channels of {bits} bits"
            )));
        }
        check_rate(rate)?;
        Ok(G711Format {
            codec,
            channels,
            rate,
        })
    }

    fn decode(self, data: &[u8]) -> WavAudio {
        let mut linear = Vec::with_capacity(data.len());
        self.codec.decode(data, &mut linear);
        let mut mixer = Mixer::new(self.channels);
        for sample in linear {
            mixer.push(f32::from(sample) / 32768.0);
        }
        WavAudio {
            rate: self.rate,
            samples: mixer.samples,
        }
    }
}

/// Names the encodings a prompt is most likely to arrive in, for the operator's message.
fn unsupported_tag(tag: u16) -> String {
    let name = match tag {
        0x0002 => "MS ADPCM",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0055 => "MP3",
        _ => "an encoding",
    };
    format!("{name} (WAV format tag {tag:#06x}); use 16-bit PCM or G.711")
}

fn check_rate(rate: u32) -> Result<(), WavError> {
    if (MIN_RATE..=MAX_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(WavError::Unsupported(format!(
            "sample rate {rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz"
        )))
    }
}

fn problem(err: hound::Error) -> WavError {
    match err {
        // Reading from memory, the only I/O error is running out of bytes.
        hound::Error::IoError(_) => WavError::Malformed("the file ends early (truncated)".into()),
        hound::Error::FormatError(reason) => WavError::Malformed(reason.into()),
        other => WavError::Unsupported(other.to_string()),
    }
}

/// Averages interleaved channels into mono as samples arrive.
struct Mixer {
    channels: u16,
    pending: u16,
    sum: f32,
    samples: Vec<f32>,
}

impl Mixer {
    fn new(channels: u16) -> Mixer {
        Mixer {
            channels,
            pending: 0,
            sum: 0.0,
            samples: Vec::new(),
        }
    }

    fn push(&mut self, sample: f32) {
        self.sum += sample;
        self.pending += 1;
        if self.pending == self.channels {
            self.samples.push(self.sum / f32::from(self.channels));
            self.sum = 0.0;
            self.pending = 0;
        }
    }
}
