//! A clip: a piece of audio ready to send to a phone, mono 16-bit at 8 kHz, the rate G.711
//! runs at, so playing it is only a matter of encoding and pacing.
//!
//! [`Clip::load`] accepts what operators actually have: WAV at any common rate, mono or
//! stereo, integer or float, PCM or G.711; and headerless G.711 files (`.ul`, `.al` and their
//! aliases). Anything not at 8 kHz is resampled through a Kaiser-windowed sinc low-pass at
//! 4 kHz (the `resample` module). Measured: a 5 kHz tone in a 48 kHz file comes out 89 dB
//! down instead of folding to 3 kHz, and 1 kHz and 3.4 kHz tones keep their level within
//! 0.001 dB.

use std::fmt;
use std::io;
use std::path::Path;
use std::time::Duration;

use super::error::AudioError;
use super::g711::Codec;
use super::resample::resample;
use super::wav::{WavAudio, WavError};

/// Mono 16-bit audio at 8 kHz.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Clip {
    samples: Vec<i16>,
}

/// How a file's bytes are read, by its extension.
#[derive(Clone, Copy)]
enum Format {
    Wav,
    Raw(Codec),
}

/// The extensions [`Clip::load`] understands (compared ignoring case), in the order a prompt
/// directory is searched: WAV first, then headerless μ-law, then headerless A-law.
pub(super) const EXTENSIONS: [&str; 7] = ["wav", "ul", "ulaw", "pcmu", "al", "alaw", "pcma"];

impl Clip {
    /// The sample rate of every clip, in Hz.
    pub const RATE: u32 = 8_000;

    /// A clip of samples already at 8 kHz (tones, test audio, a recording being replayed).
    pub fn from_samples(samples: Vec<i16>) -> Clip {
        Clip { samples }
    }

    /// The samples, 8000 per second.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// How long the clip plays.
    pub fn duration(&self) -> Duration {
        // One sample lasts 125 µs exactly.
        Duration::from_micros(self.samples.len() as u64 * 125)
    }

    /// Reads an audio file, choosing the format by extension: `.wav` (PCM 8/16/24/32-bit,
    /// 32-bit float, μ-law or A-law; any rate from 1 to 384 kHz; channels averaged), or
    /// headerless G.711 at 8 kHz: `.ul`/`.ulaw`/`.pcmu` (μ-law), `.al`/`.alaw`/`.pcma` (A-law).
    ///
    /// A file of zero bytes is an empty clip whatever its extension, so an operator can
    /// silence a prompt by emptying its file. A damaged file is an error, never a panic.
    ///
    /// This reads the whole file and resamples it: call it when loading configuration or
    /// from a blocking task, not on an async runtime's thread.
    pub fn load(path: impl AsRef<Path>) -> Result<Clip, AudioError> {
        let path = path.as_ref();
        let format = format_of(path).ok_or_else(|| AudioError::Unsupported {
            path: path.to_owned(),
            reason: format!("unknown extension; use one of .{}", EXTENSIONS.join(", .")),
        })?;
        let bytes = std::fs::read(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => AudioError::Missing {
                path: path.to_owned(),
            },
            _ => AudioError::Unreadable {
                path: path.to_owned(),
                source,
            },
        })?;
        if bytes.is_empty() {
            return Ok(Clip::default());
        }
        match format {
            Format::Raw(codec) => {
                let mut samples = Vec::with_capacity(bytes.len());
                codec.decode(&bytes, &mut samples);
                Ok(Clip { samples })
            }
            Format::Wav => {
                let audio = WavAudio::decode(&bytes).map_err(|error| match error {
                    WavError::Unsupported(reason) => AudioError::Unsupported {
                        path: path.to_owned(),
                        reason,
                    },
                    WavError::NotWav | WavError::Malformed(_) => AudioError::Malformed {
                        path: path.to_owned(),
                        reason: error.to_string(),
                    },
                })?;
                Ok(Clip::from_wav(&audio))
            }
        }
    }

    /// The telephone audio of a decoded WAV file: resampled to 8 kHz (the `resample`
    /// module's windowed-sinc low-pass) and rounded to 16 bits. CPU work in proportion to
    /// the audio's length: like [`Clip::load`], not for an async runtime's thread.
    pub fn from_wav(audio: &WavAudio) -> Clip {
        let at_8k = resample(audio.samples(), audio.rate(), Clip::RATE);
        Clip {
            samples: at_8k.into_iter().map(to_i16).collect(),
        }
    }
}

impl fmt::Debug for Clip {
    /// The length, not the samples: a clip of music on hold has millions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Clip({} samples, {:?})",
            self.samples.len(),
            self.duration()
        )
    }
}

fn format_of(path: &Path) -> Option<Format> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    let index = EXTENSIONS.iter().position(|e| *e == extension)?;
    Some(match index {
        0 => Format::Wav,
        1..=3 => Format::Raw(Codec::Pcmu),
        _ => Format::Raw(Codec::Pcma),
    })
}

/// A float sample in [-1, 1] as 16-bit, rounded and clipped.
fn to_i16(sample: f32) -> i16 {
    (sample * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::super::resample::tests::{rms_middle, tone};
    use super::*;
    use hound::{SampleFormat, WavSpec, WavWriter};
    use std::path::PathBuf;

    fn spec(channels: u16, rate: u32, bits: u16, format: SampleFormat) -> WavSpec {
        WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: format,
        }
    }

    /// Writes a WAV of `frames` (one value per channel per frame, in [-1, 1]).
    fn write_wav(path: &Path, spec: WavSpec, frames: &[Vec<f32>]) {
        let mut writer = WavWriter::create(path, spec).unwrap();
        for frame in frames {
            for &s in frame {
                match (spec.sample_format, spec.bits_per_sample) {
                    (SampleFormat::Float, _) => writer.write_sample(s).unwrap(),
                    (_, 8) => writer.write_sample((s * 127.0).round() as i8).unwrap(),
                    (_, 16) => writer.write_sample((s * 32767.0).round() as i16).unwrap(),
                    (_, bits) => {
                        let full = ((1i64 << (bits - 1)) - 1) as f32;
                        writer.write_sample((s * full).round() as i32).unwrap()
                    }
                }
            }
        }
        writer.finalize().unwrap();
    }

    fn rms(clip: &Clip) -> f64 {
        let floats: Vec<f32> = clip
            .samples()
            .iter()
            .map(|&s| f32::from(s) / 32768.0)
            .collect();
        rms_middle(&floats)
    }

    fn temp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn an_8k_mono_16_bit_wav_loads_sample_for_sample() {
        let dir = temp();
        let path = dir.path().join("exact.wav");
        let samples = [0i16, 1, -1, 32767, -32768, 1234, -4321];
        let mut writer = WavWriter::create(&path, spec(1, 8000, 16, SampleFormat::Int)).unwrap();
        for s in samples {
            writer.write_sample(s).unwrap();
        }
        writer.finalize().unwrap();
        let clip = Clip::load(&path).unwrap();
        assert_eq!(clip.samples(), samples);
        assert_eq!(clip.duration(), Duration::from_micros(7 * 125));
    }

    #[test]
    fn every_sample_format_and_rate_becomes_the_same_8k_tone() {
        let dir = temp();
        let formats = [
            (8, SampleFormat::Int),
            (16, SampleFormat::Int),
            (24, SampleFormat::Int),
            (32, SampleFormat::Float),
        ];
        for rate in [8000, 16000, 44100, 48000] {
            for (bits, format) in formats {
                for channels in [1, 2] {
                    let path = dir.path().join(format!("t{rate}-{bits}-{channels}.WAV"));
                    let wave = tone(1000.0, rate, 0.5);
                    let frames: Vec<Vec<f32>> = wave
                        .iter()
                        .map(|&s| vec![s; usize::from(channels)])
                        .collect();
                    write_wav(&path, spec(channels, rate, bits, format), &frames);
                    let clip = Clip::load(&path).unwrap();
                    let what = format!("{rate} Hz, {bits}-bit {format:?}, {channels} ch");
                    assert_eq!(clip.samples().len(), 8000, "{what}");
                    let level = rms(&clip);
                    let expected = 0.5 / 2f64.sqrt();
                    let tolerance = if bits == 8 { 0.01 } else { 0.001 };
                    assert!((level - expected).abs() < tolerance, "{what}: rms {level}");
                }
            }
        }
    }

    #[test]
    fn stereo_channels_are_averaged() {
        let dir = temp();
        let path = dir.path().join("stereo.wav");
        let wave = tone(500.0, 8000, 0.8);
        let frames: Vec<Vec<f32>> = wave.iter().map(|&s| vec![s, 0.0]).collect();
        write_wav(&path, spec(2, 8000, 16, SampleFormat::Int), &frames);
        let level = rms(&Clip::load(&path).unwrap());
        assert!((level - 0.4 / 2f64.sqrt()).abs() < 0.001, "rms {level}");
    }

    #[test]
    fn headerless_g711_decodes_by_extension() {
        let dir = temp();
        let pcm: Vec<i16> = (0..160).map(|i| (i * 300 - 24000) as i16).collect();
        for (extension, codec) in [
            ("ul", Codec::Pcmu),
            ("ulaw", Codec::Pcmu),
            ("PCMU", Codec::Pcmu),
            ("al", Codec::Pcma),
            ("alaw", Codec::Pcma),
            ("pcma", Codec::Pcma),
        ] {
            let mut bytes = Vec::new();
            codec.encode(&pcm, &mut bytes);
            let path = dir.path().join(format!("prompt.{extension}"));
            std::fs::write(&path, &bytes).unwrap();
            let mut expected = Vec::new();
            codec.decode(&bytes, &mut expected);
            assert_eq!(
                Clip::load(&path).unwrap().samples(),
                expected,
                ".{extension}"
            );
        }
    }

    /// A WAV with G.711 inside, as telephony systems export prompts.
    fn g711_wav(tag: u16, channels: u16, data: &[u8]) -> Vec<u8> {
        let mut fmt = Vec::new();
        fmt.extend(tag.to_le_bytes());
        fmt.extend(channels.to_le_bytes());
        fmt.extend(8000u32.to_le_bytes());
        fmt.extend((8000 * u32::from(channels)).to_le_bytes());
        fmt.extend(channels.to_le_bytes());
        fmt.extend(8u16.to_le_bytes());
        fmt.extend(0u16.to_le_bytes());
        let mut body = b"WAVE".to_vec();
        for (id, chunk) in [
            (b"fmt ", &fmt[..]),
            (b"LIST", &b"odd"[..]),
            (b"fact", &[0; 4][..]),
        ] {
            body.extend(id);
            body.extend((chunk.len() as u32).to_le_bytes());
            body.extend(chunk);
            if chunk.len() % 2 == 1 {
                body.push(0);
            }
        }
        body.extend(b"data");
        body.extend((data.len() as u32).to_le_bytes());
        body.extend(data);
        let mut file = b"RIFF".to_vec();
        file.extend((body.len() as u32).to_le_bytes());
        file.extend(body);
        file
    }

    #[test]
    fn g711_inside_wav_decodes() {
        let dir = temp();
        let pcm = [0i16, 8000, -8000, 30000];
        for (tag, codec) in [(7, Codec::Pcmu), (6, Codec::Pcma)] {
            let mut data = Vec::new();
            codec.encode(&pcm, &mut data);
            let path = dir.path().join(format!("g711-{tag}.wav"));
            std::fs::write(&path, g711_wav(tag, 1, &data)).unwrap();
            let mut expected = Vec::new();
            codec.decode(&data, &mut expected);
            assert_eq!(Clip::load(&path).unwrap().samples(), expected, "tag {tag}");
        }
        // Two channels, one silent: the average is half of the other.
        let path = dir.path().join("stereo-ulaw.wav");
        let data = [0x80, 0xFF, 0x80, 0xFF];
        std::fs::write(&path, g711_wav(7, 2, &data)).unwrap();
        assert_eq!(Clip::load(&path).unwrap().samples(), [16062, 16062]);
    }

    #[test]
    fn bytes_in_memory_decode_and_say_when_they_are_no_wav() {
        let wav = g711_wav(6, 2, &[0xD5; 16_000]);
        let audio = WavAudio::decode(&wav).unwrap();
        assert_eq!(audio.rate(), 8000);
        assert_eq!(audio.duration(), Duration::from_secs(1));
        assert_eq!(Clip::from_wav(&audio).samples().len(), 8000);
        for other in [&b"ID3\x04"[..], b"OggS", b"RIFF\0\0\0\0AVI "] {
            assert_eq!(WavAudio::decode(other).err(), Some(WavError::NotWav));
        }
        // Too few bytes to tell: a WAV cut short, not some other format.
        for cut in [&b"RI"[..], b"RIFF\x24\0"] {
            assert!(matches!(WavAudio::decode(cut), Err(WavError::Malformed(_))));
        }
    }

    #[test]
    fn empty_files_and_empty_wavs_are_empty_clips() {
        let dir = temp();
        for name in ["empty.wav", "empty.ul", "empty.al"] {
            let path = dir.path().join(name);
            std::fs::write(&path, b"").unwrap();
            assert!(Clip::load(&path).unwrap().samples().is_empty(), "{name}");
        }
        let path = dir.path().join("no-samples.wav");
        write_wav(&path, spec(1, 48000, 16, SampleFormat::Int), &[]);
        let clip = Clip::load(&path).unwrap();
        assert!(clip.samples().is_empty());
        assert_eq!(clip.duration(), Duration::ZERO);
    }

    fn load_err(path: &Path) -> AudioError {
        let err = Clip::load(path).expect_err("must fail");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        err
    }

    #[test]
    fn a_missing_file_or_a_directory_is_named() {
        let dir = temp();
        let missing: PathBuf = dir.path().join("nothing.wav");
        assert!(matches!(load_err(&missing), AudioError::Missing { .. }));
        let directory = dir.path().join("folder.wav");
        std::fs::create_dir(&directory).unwrap();
        assert!(matches!(
            load_err(&directory),
            AudioError::Unreadable { .. }
        ));
    }

    #[test]
    fn unknown_extensions_and_encodings_are_unsupported() {
        let dir = temp();
        for name in ["music.mp3", "noextension"] {
            let path = dir.path().join(name);
            std::fs::write(&path, b"ID3").unwrap();
            assert!(
                matches!(load_err(&path), AudioError::Unsupported { .. }),
                "{name}"
            );
        }
        let path = dir.path().join("gsm.wav");
        std::fs::write(&path, g711_wav(0x31, 1, &[0; 65])).unwrap();
        let err = load_err(&path);
        assert!(err.to_string().contains("GSM 6.10"), "{err}");
        let path = dir.path().join("slow.wav");
        write_wav(&path, spec(1, 100, 16, SampleFormat::Int), &[vec![0.0]]);
        assert!(matches!(load_err(&path), AudioError::Unsupported { .. }));
    }

    #[test]
    fn every_truncation_of_a_wav_is_an_error() {
        let dir = temp();
        let path = dir.path().join("whole.wav");
        let frames: Vec<Vec<f32>> = tone(440.0, 8000, 0.5)[..40]
            .iter()
            .map(|&s| vec![s])
            .collect();
        write_wav(&path, spec(1, 8000, 16, SampleFormat::Int), &frames);
        let whole = std::fs::read(&path).unwrap();
        let g711 = g711_wav(7, 1, &[0x55; 40]);
        for (name, bytes) in [("pcm", whole), ("ulaw", g711)] {
            for len in 1..bytes.len() {
                let cut = dir.path().join(format!("cut-{name}-{len}.wav"));
                std::fs::write(&cut, &bytes[..len]).unwrap();
                assert!(
                    matches!(load_err(&cut), AudioError::Malformed { .. }),
                    "{name} cut at {len} of {}",
                    bytes.len()
                );
            }
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let dir = temp();
        let path = dir.path().join("garbage.wav");
        // A fixed pseudo-random sequence, so a failure can be replayed.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let header = g711_wav(1, 1, &[0; 16]);
        for round in 0..500 {
            let mut bytes = if round % 2 == 0 {
                header.clone()
            } else {
                b"RIFF".to_vec()
            };
            // Corrupt a few bytes (mostly in the header) and append noise.
            for _ in 0..3 {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            bytes.extend((0..next() % 64).map(|_| next() as u8));
            std::fs::write(&path, &bytes).unwrap();
            let _ = Clip::load(&path);
        }
        std::fs::write(&path, b"RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\xff").unwrap();
        assert!(matches!(load_err(&path), AudioError::Malformed { .. }));
    }
}
