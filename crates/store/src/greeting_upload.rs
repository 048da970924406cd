//! Greetings uploaded as a file (`switchboard greeting`, `PUT /api/mailboxes/{box}/greetings/
//! {kind}`), beside those an owner records by phone, and their removal (how an owner back from
//! holiday ends the temporary greeting without a phone).
//!
//! Whatever arrives is stored as the phone's recorder writes a greeting, 8 kHz mono 16-bit
//! PCM WAV: the file is the same whichever way it came, and no call pays for converting it.
//! Decoding and resampling are sb-media's, the very code that loads prompts
//! ([`WavAudio`], [`Clip::from_wav`]): PCM of 8 to 32 bits, 32-bit float, G.711 A-law and
//! μ-law (format tags 6 and 7); the channels averaged to mono; any rate from 1 to 384 kHz
//! resampled through a Kaiser-windowed sinc low-pass at 4 kHz. That filter was chosen over the
//! simpler linear interpolation because it is already there and measured (a 5 kHz tone in a
//! 48 kHz file comes out 89 dB down instead of folding to 3 kHz), and because studio
//! recordings, the usual upload, are at 44.1 or 48 kHz with much above 4 kHz to fold.
//!
//! Refused, each with its own [`GreetingError`]: an empty body, a body over
//! [`MAX_GREETING_BYTES`] (checked before anything is decoded), anything not WAV, an encoding
//! not decoded, a damaged file, audio shorter than [`MIN_GREETING`] (the phone menu's own
//! threshold) or longer than [`MAX_UPLOADED_GREETING`] (both checked before resampling, so a
//! long file at a low rate never makes the resampler produce hours). Memory is bounded by the
//! byte cap: the body, at most one `f32` per byte of it decoded, and the 8 kHz result.
//!
//! Installing is atomic: the greeting is written to `.<kind>.wav.<random>.part` in the
//! greetings directory (created if need be), synced, and renamed over the old one. A call
//! reaching the box meanwhile plays the old greeting or the new one, never part of either; a
//! refused upload or a failed write leaves the old greeting as it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, ErrorKind};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hound::{SampleFormat, WavSpec, WavWriter};
use sb_media::audio::{Clip, WavAudio, WavError};
use sb_voicemail::menu::MIN_GREETING;
use sb_voicemail::GreetingKind;

use crate::error::StoreError;
use crate::store::Store;

/// The largest greeting file accepted, in bytes (20 MiB): almost two minutes of 44.1 kHz
/// 16-bit stereo, ten of 16 kHz mono, four times what 8 kHz audio of
/// [`MAX_UPLOADED_GREETING`] needs; and what the HTTP API lets a request body be, so an
/// upload never holds unbounded memory.
pub const MAX_GREETING_BYTES: usize = 20 * 1024 * 1024;

/// The longest greeting accepted from a file. Longer than the two minutes the phone menu
/// records ([`MAX_RECORDING`](sb_voicemail::menu::MAX_RECORDING)): an uploaded greeting may be
/// produced, with music; but a caller waiting to leave a message should not wait longer.
pub const MAX_UPLOADED_GREETING: Duration = Duration::from_secs(5 * 60);

/// What every greeting file holds, as the phone's recorder writes it: what G.711 decodes to.
const SPEC: WavSpec = WavSpec {
    channels: 1,
    sample_rate: Clip::RATE,
    bits_per_sample: 16,
    sample_format: SampleFormat::Int,
};

/// Why an uploaded greeting was not installed; the old greeting, if any, stays.
///
/// Every variant but [`GreetingError::Store`] is a fault of the file given, which its sender
/// can fix from the message alone.
#[derive(Debug, thiserror::Error)]
pub enum GreetingError {
    /// No bytes at all.
    #[error("the greeting file is empty (0 bytes)")]
    Empty,
    /// More bytes than [`MAX_GREETING_BYTES`].
    #[error(
        "the greeting file is larger than {} MiB; shorten it, or save it as mono or at a lower rate",
        MAX_GREETING_BYTES / (1024 * 1024)
    )]
    TooLarge,
    /// Another format altogether (MP3, Ogg, text).
    #[error("the greeting is not a WAV file (no RIFF/WAVE header); convert it to WAV first")]
    NotWav,
    /// A WAV whose encoding is not decoded (ADPCM, GSM, MP3 inside WAV, an absurd rate).
    #[error("the greeting's WAV encoding is not supported: {0}")]
    Unsupported(String),
    /// A broken WAV: truncated, inconsistent.
    #[error("the greeting is a damaged WAV file: {0}")]
    Damaged(String),
    /// Shorter than [`MIN_GREETING`], which the phone menu takes as nothing said.
    #[error(
        "the greeting lasts {:.2} s; a greeting must last at least {:.1} s",
        length.as_secs_f64(),
        MIN_GREETING.as_secs_f64()
    )]
    TooShort {
        /// How long it plays.
        length: Duration,
    },
    /// Longer than [`MAX_UPLOADED_GREETING`].
    #[error(
        "the greeting lasts {:.1} s; a greeting may last at most {} s",
        length.as_secs_f64(),
        MAX_UPLOADED_GREETING.as_secs()
    )]
    TooLong {
        /// How long it plays.
        length: Duration,
    },
    /// The greeting could not be written (no voicemail directory, permissions, a full
    /// disk); the store's error names the file.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WavError> for GreetingError {
    fn from(error: WavError) -> GreetingError {
        match error {
            WavError::NotWav => GreetingError::NotWav,
            WavError::Unsupported(reason) => GreetingError::Unsupported(reason),
            WavError::Malformed(reason) => GreetingError::Damaged(reason),
        }
    }
}

impl Store {
    /// Installs `bytes`, a WAV file, as `mailbox`'s greeting of `kind`, replacing any (see
    /// the module documentation for what is accepted and how it is stored); returns how long
    /// it plays. Decoding runs on a blocking thread, not on the caller's runtime thread.
    ///
    /// The caller checks that `mailbox` is a box of the configuration: the store keeps the
    /// files of any name.
    pub async fn install_greeting(
        &self,
        mailbox: &str,
        kind: GreetingKind,
        bytes: impl AsRef<[u8]> + Send + 'static,
    ) -> Result<Duration, GreetingError> {
        let path = self.greeting_path(mailbox, kind)?;
        tokio::task::spawn_blocking(move || {
            let clip = convert(bytes.as_ref())?;
            write_atomically(&path, &clip)?;
            Ok(clip.duration())
        })
        .await
        .unwrap_or_else(|join| {
            Err(GreetingError::Damaged(format!(
                "decoding it failed unexpectedly ({join})"
            )))
        })
    }

    /// Removes `mailbox`'s greeting of `kind`: callers hear the next greeting in line again
    /// (the busy or unavailable one when the temporary one goes, else the system's). Returns
    /// whether there was one; removing what is not there is no error, so a retried request
    /// succeeds.
    pub async fn remove_greeting(
        &self,
        mailbox: &str,
        kind: GreetingKind,
    ) -> Result<bool, StoreError> {
        let path = self.greeting_path(mailbox, kind)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(source) => Err(StoreError::File {
                action: "remove greeting",
                path,
                source,
            }),
        }
    }
}

/// `bytes` as the greeting they make, or why they make none.
fn convert(bytes: &[u8]) -> Result<Clip, GreetingError> {
    if bytes.is_empty() {
        return Err(GreetingError::Empty);
    }
    if bytes.len() > MAX_GREETING_BYTES {
        return Err(GreetingError::TooLarge);
    }
    let audio = WavAudio::decode(bytes)?;
    let length = audio.duration();
    if length < MIN_GREETING {
        return Err(GreetingError::TooShort { length });
    }
    if length > MAX_UPLOADED_GREETING {
        return Err(GreetingError::TooLong { length });
    }
    Ok(Clip::from_wav(&audio))
}

/// Writes `clip` to `path` through a temporary file beside it, so `path` is either the old
/// file or the whole new one; the temporary file is removed when anything fails.
fn write_atomically(path: &Path, clip: &Clip) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|source| StoreError::File {
        action: "create greetings directory",
        path: dir.to_owned(),
        source,
    })?;
    let temp = temp_path(path);
    let written = write_wav(&temp, clip).and_then(|()| fs::rename(&temp, path));
    if written.is_err() {
        // Nothing to add if this fails too: the write's error is the one to report.
        let _ = fs::remove_file(&temp);
    }
    written.map_err(|source| StoreError::File {
        action: "write greeting",
        path: path.to_owned(),
        source,
    })?;
    // Make the rename itself durable; not every platform can sync a directory.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A hidden name beside `path` that no other writer uses: `.<name>.<random>.part`, as the
/// recorder names its temporary files.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    let unique: u64 = rand::random();
    path.with_file_name(format!(".{name}.{unique:016x}.part"))
}

/// Writes `clip` as a new file `temp` (never over an existing one) and syncs it to disk.
fn write_wav(temp: &Path, clip: &Clip) -> io::Result<()> {
    let file = OpenOptions::new().write(true).create_new(true).open(temp)?;
    let mut writer = WavWriter::new(BufWriter::new(file), SPEC).map_err(io_error)?;
    for &sample in clip.samples() {
        writer.write_sample(sample).map_err(io_error)?;
    }
    writer.finalize().map_err(io_error)?;
    File::open(temp)?.sync_all()
}

fn io_error(error: hound::Error) -> io::Error {
    match error {
        hound::Error::IoError(error) => error,
        other => io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;
    use std::io::Cursor;

    use sb_media::audio::Codec;
    use sb_voicemail::Greetings;

    use super::*;

    /// `channels` interleaved per frame, as 16-bit PCM at `rate`.
    fn pcm16_wav(rate: u32, frames: &[Vec<f64>]) -> Vec<u8> {
        let spec = WavSpec {
            channels: frames.first().map_or(1, |frame| frame.len() as u16),
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        };
        let mut bytes = Vec::new();
        let mut writer = WavWriter::new(Cursor::new(&mut bytes), spec).expect("header");
        for frame in frames {
            for &value in frame {
                writer
                    .write_sample((value * 32767.0).round() as i16)
                    .expect("sample");
            }
        }
        writer.finalize().expect("finalize");
        bytes
    }

    /// `secs` of silence as 8-bit mono PCM at `rate`: the fewest bytes per second of audio.
    fn pcm8_silence(rate: u32, secs: f64) -> Vec<u8> {
        let spec = WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 8,
            sample_format: SampleFormat::Int,
        };
        let mut bytes = Vec::new();
        let mut writer = WavWriter::new(Cursor::new(&mut bytes), spec).expect("header");
        for _ in 0..(f64::from(rate) * secs).round() as usize {
            writer.write_sample(0i8).expect("sample");
        }
        writer.finalize().expect("finalize");
        bytes
    }

    /// A WAV holding G.711 codes (format tag 6 A-law, 7 μ-law), mono at 8 kHz, with the
    /// `fact` chunk such files carry.
    fn g711_wav(tag: u16, data: &[u8]) -> Vec<u8> {
        let mut fmt = Vec::new();
        fmt.extend(tag.to_le_bytes());
        fmt.extend(1u16.to_le_bytes());
        fmt.extend(8000u32.to_le_bytes());
        fmt.extend(8000u32.to_le_bytes());
        fmt.extend(1u16.to_le_bytes());
        fmt.extend(8u16.to_le_bytes());
        fmt.extend(0u16.to_le_bytes());
        let mut body = b"WAVE".to_vec();
        let samples = (data.len() as u32).to_le_bytes();
        for (id, chunk) in [
            (b"fmt ", &fmt[..]),
            (b"fact", &samples[..]),
            (b"data", data),
        ] {
            body.extend(id);
            body.extend((chunk.len() as u32).to_le_bytes());
            body.extend(chunk);
        }
        let mut file = b"RIFF".to_vec();
        file.extend((body.len() as u32).to_le_bytes());
        file.extend(body);
        file
    }

    /// `hz` at `rate`, sample `i`, peak 1.
    fn sine(hz: f64, rate: u32, i: usize) -> f64 {
        (2.0 * PI * hz * i as f64 / f64::from(rate)).sin()
    }

    async fn store(dir: &Path) -> Store {
        Store::open_in_memory()
            .await
            .expect("open")
            .with_voicemail_dir(dir)
    }

    /// The greeting file's samples, after checking it is what the recorder writes.
    fn installed(path: &Path) -> Vec<i16> {
        let mut reader = hound::WavReader::open(path).expect("a WAV");
        assert_eq!(reader.spec(), SPEC);
        reader
            .samples::<i16>()
            .collect::<Result<_, _>>()
            .expect("samples")
    }

    /// Every file in the greetings directory of box 101, sorted.
    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir.join("101/greetings"))
            .expect("greetings dir")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_16_khz_stereo_file_becomes_8_khz_mono_of_its_tone() {
        let temp = tempfile::tempdir().expect("temp dir");
        let store = store(temp.path()).await;
        // One second: 1 kHz louder on the left, and 5 kHz on both, which must be filtered
        // out (a plain decimation would fold it to 3 kHz at full level).
        let frames: Vec<Vec<f64>> = (0..16_000)
            .map(|i| {
                let (low, high) = (sine(1000.0, 16_000, i), sine(5000.0, 16_000, i));
                vec![0.6 * low + 0.2 * high, 0.2 * low + 0.2 * high]
            })
            .collect();
        let length = store
            .install_greeting("101", GreetingKind::Unavailable, pcm16_wav(16_000, &frames))
            .await
            .expect("installed");
        assert_eq!(length, Duration::from_secs(1));

        let samples = installed(&temp.path().join("101/greetings/unavailable.wav"));
        assert_eq!(samples.len(), 8000);
        // The channels' average of the 1 kHz tone, 0.4, as if sampled at 8 kHz directly:
        // same frequency, same phase, no 5 kHz left (away from the edges' transients).
        let middle = 2000..6000;
        for i in middle.clone() {
            let expected = 0.4 * sine(1000.0, 8000, i) * 32768.0;
            assert!(
                (f64::from(samples[i]) - expected).abs() < 60.0,
                "sample {i}: {} instead of {expected:.0}",
                samples[i]
            );
        }
        // Half a second of 1 kHz crosses zero a thousand times.
        let crossings = samples[middle]
            .windows(2)
            .filter(|pair| (pair[0] < 0) != (pair[1] < 0))
            .count();
        assert!((999..=1001).contains(&crossings), "{crossings} crossings");
        assert_eq!(
            files(temp.path()),
            ["unavailable.wav"],
            "no temporary file left"
        );
    }

    #[tokio::test]
    async fn g711_files_are_decoded() {
        let temp = tempfile::tempdir().expect("temp dir");
        let store = store(temp.path()).await;
        let pcm: Vec<i16> = (0..4800)
            .map(|i| (0.5 * sine(440.0, 8000, i) * 32767.0) as i16)
            .collect();
        for (tag, codec, kind, file) in [
            (6, Codec::Pcma, GreetingKind::Busy, "busy.wav"),
            (7, Codec::Pcmu, GreetingKind::Name, "name.wav"),
        ] {
            let mut codes = Vec::new();
            codec.encode(&pcm, &mut codes);
            let length = store
                .install_greeting("101", kind, g711_wav(tag, &codes))
                .await
                .expect("installed");
            assert_eq!(length, Duration::from_millis(600));
            let mut expected = Vec::new();
            codec.decode(&codes, &mut expected);
            let samples = installed(&temp.path().join("101/greetings").join(file));
            assert_eq!(samples, expected, "format tag {tag}");
        }
    }

    #[tokio::test]
    async fn a_new_greeting_replaces_the_old_and_removal_is_idempotent() {
        let temp = tempfile::tempdir().expect("temp dir");
        let store = store(temp.path()).await;
        let tone =
            |hz| -> Vec<Vec<f64>> { (0..8000).map(|i| vec![0.5 * sine(hz, 8000, i)]).collect() };
        let first = pcm16_wav(8000, &tone(500.0));
        let second = pcm16_wav(8000, &tone(700.0));
        let path = store
            .greeting_path("101", GreetingKind::Temporary)
            .expect("path");
        store
            .install_greeting("101", GreetingKind::Temporary, first)
            .await
            .expect("first");
        store
            .install_greeting("101", GreetingKind::Temporary, second.clone())
            .await
            .expect("second");
        // At 8 kHz mono 16-bit nothing is converted: the file is the upload, sample for sample.
        let sent: Vec<i16> = hound::WavReader::new(Cursor::new(&second))
            .expect("WAV")
            .samples::<i16>()
            .collect::<Result<_, _>>()
            .expect("samples");
        assert_eq!(installed(&path), sent);
        assert_eq!(files(temp.path()), ["temporary.wav"]);
        assert!(store.greetings("101").await.expect("list").temporary);

        assert!(store
            .remove_greeting("101", GreetingKind::Temporary)
            .await
            .expect("remove"));
        assert!(!path.exists());
        assert_eq!(
            store.greetings("101").await.expect("list"),
            Greetings::default()
        );
        assert!(!store
            .remove_greeting("101", GreetingKind::Temporary)
            .await
            .expect("remove again"));
        assert!(!store
            .remove_greeting("999", GreetingKind::Busy)
            .await
            .expect("a box never used"));
    }

    /// Whether an error is the one a refusal expects.
    type Expected = fn(&GreetingError) -> bool;

    #[tokio::test]
    async fn refused_files_leave_the_old_greeting() {
        let temp = tempfile::tempdir().expect("temp dir");
        let store = store(temp.path()).await;
        let half_second: Vec<Vec<f64>> = (0..4000).map(|i| vec![sine(300.0, 8000, i)]).collect();
        store
            .install_greeting("101", GreetingKind::Busy, pcm16_wav(8000, &half_second))
            .await
            .expect("exactly the minimum is accepted");
        let path = store
            .greeting_path("101", GreetingKind::Busy)
            .expect("path");
        let before = fs::read(&path).expect("greeting");

        let valid = pcm16_wav(8000, &half_second);
        let refusals: Vec<(&str, Vec<u8>, Expected)> = vec![
            ("empty", Vec::new(), |e| matches!(e, GreetingError::Empty)),
            ("too large", vec![0; MAX_GREETING_BYTES + 1], |e| {
                matches!(e, GreetingError::TooLarge)
            }),
            (
                "MP3",
                b"ID3\x04\0\0\0\0\0\0 and then frames".to_vec(),
                |e| matches!(e, GreetingError::NotWav),
            ),
            ("text", b"<html>not found</html>".to_vec(), |e| {
                matches!(e, GreetingError::NotWav)
            }),
            (
                "GSM",
                g711_wav(0x31, &[0; 650]),
                |e| matches!(e, GreetingError::Unsupported(reason) if reason.contains("GSM 6.10")),
            ),
            ("truncated", valid[..valid.len() / 2].to_vec(), |e| {
                matches!(e, GreetingError::Damaged(_))
            }),
            (
                "no samples",
                pcm16_wav(8000, &[]),
                |e| matches!(e, GreetingError::TooShort { length } if length.is_zero()),
            ),
            ("0.49 s", pcm8_silence(8000, 0.49), |e| {
                matches!(e, GreetingError::TooShort { .. })
            }),
            (
                "5 min 1 s",
                pcm8_silence(8000, 301.0),
                |e| matches!(e, GreetingError::TooLong { length } if length.as_secs() == 301),
            ),
        ];
        for (what, bytes, expected) in refusals {
            let err = store
                .install_greeting("101", GreetingKind::Busy, bytes)
                .await
                .expect_err(what);
            assert!(expected(&err), "{what}: {err:?}");
            assert_eq!(fs::read(&path).expect("greeting"), before, "{what}");
            assert_eq!(files(temp.path()), ["busy.wav"], "{what}");
        }
        assert!(store
            .install_greeting("101", GreetingKind::Busy, pcm8_silence(8000, 300.0))
            .await
            .is_ok_and(|length| length == MAX_UPLOADED_GREETING));
    }

    #[test]
    fn refusals_say_why() {
        let said = |err: GreetingError| err.to_string();
        assert_eq!(
            said(GreetingError::TooShort {
                length: Duration::from_millis(300)
            }),
            "the greeting lasts 0.30 s; a greeting must last at least 0.5 s"
        );
        assert_eq!(
            said(GreetingError::TooLong {
                length: Duration::from_secs(400)
            }),
            "the greeting lasts 400.0 s; a greeting may last at most 300 s"
        );
        assert!(said(GreetingError::TooLarge).contains("larger than 20 MiB"));
        assert!(said(GreetingError::NotWav).contains("not a WAV file"));
    }

    #[tokio::test]
    async fn without_a_voicemail_directory_nothing_is_written() {
        let store = Store::open_in_memory().await.expect("open");
        let err = store
            .install_greeting("101", GreetingKind::Busy, pcm8_silence(8000, 1.0))
            .await
            .expect_err("no directory");
        assert!(
            matches!(err, GreetingError::Store(StoreError::NoVoicemailDir)),
            "{err:?}"
        );
    }
}
