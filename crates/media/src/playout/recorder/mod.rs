//! Recording a leg to a WAV file: voicemail, recorded greetings, call recording.
//!
//! The recorder is fed decoded PCM (`push`), or both legs' PCM to mix (`push_mixed`), and
//! tells the caller when one of its stop conditions is met; it does no network I/O and reads
//! no clock (length is counted in samples), so every stop rule is tested exactly. Received
//! RTP becomes PCM through [`RtpDecoder`]. The stop conditions:
//! * a digit: the caller reports each digit the leg pressed ([`Recorder::digit`]); one of the
//!   configured stop digits stops the recording;
//! * silence: the level stayed below the threshold for the configured time; that trailing
//!   silence is left out of the file, so a message ends where the caller stopped speaking;
//! * the maximum length: the file holds exactly that much audio;
//! * hang-up, or any other end the caller decides: [`Recorder::finish`] at any time.
//!
//! Whatever the stop, [`Recorder::finish`] writes a valid WAV file, atomically (see `file`).

mod file;
mod level;
mod rtp_input;

pub use rtp_input::RtpDecoder;

use file::WavFile;
use level::level_dbfs;
use std::path::PathBuf;
use std::time::Duration;

/// Samples per second of a recording.
const RATE: u64 = 8_000;

/// When a recording stops by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderConfig {
    /// The longest recording; it stops when this much audio has been pushed.
    pub max_length: Duration,
    /// Stop after this much silence, if set.
    pub silence: Option<SilenceRule>,
    /// Digits that stop the recording (for example `"#"`); others are ignored.
    pub stop_digits: String,
}

/// What counts as the caller having finished speaking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SilenceRule {
    /// Audio whose RMS level is below this, in dBFS, is silence (around -45 on most lines).
    pub threshold_dbfs: f64,
    /// How long the silence must last.
    pub duration: Duration,
}

/// Why a recording stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The leg pressed this stop digit.
    Digit(char),
    /// The leg was silent for the configured time.
    Silence,
    /// The maximum length was reached.
    MaxLength,
    /// The leg hung up.
    HangUp,
}

/// What the recorder says after each input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Keep feeding it.
    Recording,
    /// A stop condition was met: call [`Recorder::finish`]. Further input is ignored.
    Stop(StopReason),
}

/// A finished recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// Where the WAV file is.
    pub path: PathBuf,
    /// How much audio it holds.
    pub duration: Duration,
    /// Why it stopped.
    pub reason: StopReason,
}

/// Why a recording could not be made or kept.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The path ends in `..` or is a root: there is no file name to record to.
    #[error("recording path {} names no file", .0.display())]
    NoFileName(PathBuf),
    /// The file could not be created (no such directory, no permission).
    #[error("cannot create recording {}: {source}", path.display())]
    Create {
        /// The recording's path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: hound::Error,
    },
    /// Writing samples or the final header failed (a full disk).
    #[error("cannot write recording {}: {source}", path.display())]
    Write {
        /// The temporary file being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: hound::Error,
    },
    /// The finished file could not be synced or renamed into place; what was recorded is in
    /// `path`.
    #[error("cannot finish recording {}: {source}", path.display())]
    Finish {
        /// The temporary file, which still holds the recording.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A recording in progress.
pub struct Recorder {
    file: WavFile,
    config: RecorderConfig,
    /// Trailing silence not yet written: written if sound follows, dropped on a silence stop.
    pending: Vec<i16>,
    stopped: Option<StopReason>,
    mixed: Vec<i16>,
}

impl Recorder {
    /// Starts recording to `path` (a `.wav` file, created when finished; its directory must
    /// exist).
    pub fn create(
        path: impl Into<PathBuf>,
        config: RecorderConfig,
    ) -> Result<Recorder, RecordError> {
        Ok(Recorder {
            file: WavFile::create(path.into())?,
            config,
            pending: Vec::new(),
            stopped: None,
            mixed: Vec::new(),
        })
    }

    /// Records `pcm` (8 kHz mono), as far as the maximum length allows.
    pub fn push(&mut self, pcm: &[i16]) -> Result<Progress, RecordError> {
        if let Some(reason) = self.stopped {
            return Ok(Progress::Stop(reason));
        }
        let room = samples_in(self.config.max_length).saturating_sub(self.length());
        let chunk = &pcm[..pcm.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
        match self.config.silence {
            _ if chunk.is_empty() => {}
            Some(rule) if level_dbfs(chunk) < rule.threshold_dbfs => {
                self.pending.extend_from_slice(chunk);
                if self.pending.len() as u64 >= samples_in(rule.duration) {
                    self.pending.clear();
                    return Ok(self.stop(StopReason::Silence));
                }
            }
            _ => {
                self.write_pending()?;
                self.file.write(chunk)?;
            }
        }
        if self.length() >= samples_in(self.config.max_length) {
            return Ok(self.stop(StopReason::MaxLength));
        }
        Ok(Progress::Recording)
    }

    /// Records both legs of a call mixed into one: the sum of `a` and `b`, saturating rather
    /// than wrapping where both are loud; the longer one's tail is recorded alone.
    pub fn push_mixed(&mut self, a: &[i16], b: &[i16]) -> Result<Progress, RecordError> {
        let mut mixed = std::mem::take(&mut self.mixed);
        mixed.clear();
        mixed.extend((0..a.len().max(b.len())).map(|i| {
            let (x, y) = (a.get(i).copied(), b.get(i).copied());
            x.unwrap_or(0).saturating_add(y.unwrap_or(0))
        }));
        let progress = self.push(&mixed);
        self.mixed = mixed;
        progress
    }

    /// Reports a digit the leg pressed; a stop digit stops the recording.
    pub fn digit(&mut self, digit: char) -> Progress {
        if let Some(reason) = self.stopped {
            return Progress::Stop(reason);
        }
        if self.config.stop_digits.contains(digit) {
            return self.stop(StopReason::Digit(digit));
        }
        Progress::Recording
    }

    /// How much audio has been recorded so far (including trailing silence that may yet be
    /// dropped).
    pub fn duration(&self) -> Duration {
        duration_of(self.length())
    }

    /// Ends the recording and puts the file in place. `reason` is why, unless a stop
    /// condition was already met, whose reason is kept (hanging up after `#` is still a
    /// recording stopped by `#`).
    pub fn finish(mut self, reason: StopReason) -> Result<Recording, RecordError> {
        let reason = self.stopped.unwrap_or(reason);
        self.write_pending()?;
        let samples = self.file.samples();
        let path = self.file.commit()?;
        Ok(Recording {
            path,
            duration: duration_of(samples),
            reason,
        })
    }

    fn stop(&mut self, reason: StopReason) -> Progress {
        self.stopped = Some(reason);
        Progress::Stop(reason)
    }

    fn length(&self) -> u64 {
        self.file.samples() + self.pending.len() as u64
    }

    fn write_pending(&mut self) -> Result<(), RecordError> {
        self.file.write(&self.pending)?;
        self.pending.clear();
        Ok(())
    }
}

fn samples_in(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros() * u128::from(RATE) / 1_000_000).unwrap_or(u64::MAX)
}

fn duration_of(samples: u64) -> Duration {
    Duration::from_micros(samples * 1_000_000 / RATE)
}

#[cfg(test)]
mod tests;
