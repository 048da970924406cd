//! The WAV file of a recording, which appears under its name only when complete.
//!
//! Samples go to a hidden temporary file in the same directory (`.<name>.<random>.part`); on
//! commit the WAV header is finalised with the true length, the data is synced to disk, and
//! the file is renamed into place, an atomic step on one file system. A crash mid-recording
//! therefore never leaves a file under the final name with a header that lies about its
//! length; only a `.part` file, which a sweep may delete. The header is valid from the first
//! byte, so even a recording of no samples is a proper 44-byte WAV.
//!
//! A file dropped without a commit (its task aborted, the call torn down) is committed on drop,
//! since keeping what a caller said matters more than how the recording ended.

use super::RecordError;
use hound::{SampleFormat, WavSpec, WavWriter};
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// 16-bit mono at 8 kHz: what G.711 decodes to, and what every player opens.
const SPEC: WavSpec = WavSpec {
    channels: 1,
    sample_rate: 8_000,
    bits_per_sample: 16,
    sample_format: SampleFormat::Int,
};

/// A WAV file being written under a temporary name.
pub(super) struct WavFile {
    writer: Option<WavWriter<BufWriter<File>>>,
    temp: PathBuf,
    path: PathBuf,
    samples: u64,
}

impl WavFile {
    /// Starts the recording that will be `path`.
    pub fn create(path: PathBuf) -> Result<WavFile, RecordError> {
        let temp = temp_path(&path)?;
        let writer = WavWriter::create(&temp, SPEC).map_err(|source| RecordError::Create {
            path: path.clone(),
            source,
        })?;
        Ok(WavFile {
            writer: Some(writer),
            temp,
            path,
            samples: 0,
        })
    }

    /// Samples written so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The temporary name the samples are written under until commit.
    #[cfg(test)]
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// Appends `pcm`.
    pub fn write(&mut self, pcm: &[i16]) -> Result<(), RecordError> {
        let Some(writer) = &mut self.writer else {
            return Ok(());
        };
        for &sample in pcm {
            writer
                .write_sample(sample)
                .map_err(|source| RecordError::Write {
                    path: self.temp.clone(),
                    source,
                })?;
            self.samples += 1;
        }
        Ok(())
    }

    /// Finalises the header, syncs, and renames the file into place; returns its path.
    pub fn commit(mut self) -> Result<PathBuf, RecordError> {
        self.finish()?;
        Ok(self.path.clone())
    }

    fn finish(&mut self) -> Result<(), RecordError> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        writer.finalize().map_err(|source| RecordError::Write {
            path: self.temp.clone(),
            source,
        })?;
        let finished = || -> std::io::Result<()> {
            File::open(&self.temp)?.sync_all()?;
            fs::rename(&self.temp, &self.path)?;
            // Make the rename itself durable; not all platforms can sync a directory.
            if let Ok(dir) = File::open(parent(&self.path)) {
                let _ = dir.sync_all();
            }
            Ok(())
        };
        finished().map_err(|source| RecordError::Finish {
            path: self.temp.clone(),
            source,
        })
    }
}

impl Drop for WavFile {
    fn drop(&mut self) {
        if let Err(err) = self.finish() {
            tracing::warn!(path = %self.path.display(), %err, "recording not committed");
        }
    }
}

/// The directory of `path`, `.` for a bare file name.
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A hidden, unique name next to `path`, so the rename stays within one file system.
fn temp_path(path: &Path) -> Result<PathBuf, RecordError> {
    let name = path
        .file_name()
        .ok_or_else(|| RecordError::NoFileName(path.to_path_buf()))?;
    let unique: u64 = rand::random();
    let temp = format!(".{}.{unique:016x}.part", name.to_string_lossy());
    Ok(parent(path).join(temp))
}
