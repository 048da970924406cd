//! Voicemail recovery at start-up: settles whatever a crash (a SIGKILL, a power cut) left
//! between the database and the voicemail directory, so that afterwards every message row
//! has its file and every message file its row, and nothing already recorded is lost.
//!
//! [`Store::recover_voicemail`] goes through the rows in id order:
//!
//! - `deleting`: a deletion was under way; its file (if still there) and its row are removed.
//! - `recording`: the recorder was writing, or had just committed. If the final file exists,
//!   its length is read from its header and the message becomes `new`. Otherwise the
//!   recorder's `.msg-<id>.wav.<random>.part` (the largest, if several) is repaired: the RIFF
//!   and data sizes the recorder had not yet written are set from the file's length (a torn
//!   last sample dropped), the file is synced and renamed into place, and the message
//!   becomes `new`, since a partial message is still what the caller said. With no file, or
//!   a `.part` too short to hold a header (the recorder buffers its first half second), the
//!   message is kept empty, as when a caller hangs up at the tone: the caller's number is
//!   the message. A `.part` whose header is not the recorder's is not guessed at: it goes to
//!   `lost+found`, the row is removed.
//! - `new` and `saved`: a row whose file is missing is removed.
//!
//! Each message made `new` gets its notification e-mails queued in the same transaction,
//! exactly as [`Store::finish_message`] does. Then every box directory is swept: a
//! `msg-<id>.wav` that no row describes (its row lost with the last commits of a power cut)
//! and every `.part` left over are moved to `<voicemail dir>/lost+found/<box>/`, never
//! deleted, and reported.
//!
//! Before any of this, the voicemail directory itself is checked: message rows with the
//! directory missing or empty mean its disk is not there (it did not mount), and recovery
//! refuses to start rather than drop every message ([`StoreError::VoicemailDirGone`]).
//!
//! Every step is a file operation made durable before the row change that depends on it
//! (repair, sync, rename, then the commit), and every step is redone from what is on disk,
//! so a crash during recovery leaves a state the next recovery settles the same way.

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::StoreError;
use crate::mailbox::{
    box_dir_name, is_part_file, is_part_of, message_file_name, message_id_of, LOST_AND_FOUND,
};
use crate::outbox::queue_emails;
use crate::store::Store;
use crate::voicemail::mark_new;

/// The length of the header the recorder (hound, 16-bit PCM) writes before the samples.
const HEADER_LEN: u64 = 44;

/// What [`Store::recover_voicemail`] did, for the operator's log: empty after a clean stop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Messages whose recording had been committed but not yet recorded as finished.
    pub completed: Vec<RecoveredMessage>,
    /// Messages cut short mid-recording, repaired and kept (empty when nothing had reached
    /// the disk).
    pub repaired: Vec<RecoveredMessage>,
    /// Rows removed because there is no audio for them.
    pub dropped: Vec<DroppedMessage>,
    /// Messages whose interrupted deletion was finished.
    pub deleted: Vec<i64>,
    /// Files no row describes, moved to `lost+found`.
    pub moved: Vec<MovedFile>,
}

impl RecoveryReport {
    /// Whether there was nothing to recover.
    pub fn is_empty(&self) -> bool {
        self.completed.is_empty()
            && self.repaired.is_empty()
            && self.dropped.is_empty()
            && self.deleted.is_empty()
            && self.moved.is_empty()
    }
}

/// A message that recovery made `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredMessage {
    /// The message's id.
    pub id: i64,
    /// Its box.
    pub mailbox: String,
    /// Its length as its file says (zero if the header cannot be read).
    pub duration: Duration,
}

/// A message row that recovery removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedMessage {
    /// The message's id.
    pub id: i64,
    /// Its box.
    pub mailbox: String,
    /// Why it was removed.
    pub reason: DropReason,
}

/// Why recovery removed a message row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The recording's temporary file does not start with the recorder's WAV header; it was
    /// moved to `lost+found` (listed in [`RecoveryReport::moved`]).
    Unrecognised,
    /// A finished message's file is gone (deleted by hand, or its directory lost).
    FileMissing,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Unrecognised => "its recording is not a WAV file the recorder wrote",
            DropReason::FileMissing => "its file is missing",
        })
    }
}

/// A file moved to `lost+found`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedFile {
    /// Where it was.
    pub from: PathBuf,
    /// Where it is now.
    pub to: PathBuf,
}

/// What became of a recording's temporary file.
enum Repair {
    /// Its header now tells its true length, and it is in place under the final name.
    Repaired,
    /// It was too short to hold a header, so held no audio.
    NoAudio,
    /// Its beginning is not the recorder's WAV header.
    Unrecognised,
}

impl Store {
    /// Settles the voicemail a crash left behind, as the module documentation describes, and
    /// says what it did. Messages it makes `new` get e-mails queued to `emails_for(mailbox)`,
    /// the addresses [`Store::finish_message`] would have been given.
    ///
    /// Run it at start-up, before anything records: it takes every `recording` row for one
    /// its recorder abandoned, and moves every `.part` file aside.
    ///
    /// A voicemail directory that is missing or empty while message rows exist is refused
    /// with [`StoreError::VoicemailDirGone`], changing nothing: that is an unmounted disk, not
    /// a crash, and settling it would delete every message. Without rows a missing
    /// directory is created.
    pub async fn recover_voicemail(
        &self,
        emails_for: impl Fn(&str) -> Vec<String>,
    ) -> Result<RecoveryReport, StoreError> {
        let root = self.voicemail_root()?.to_owned();
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, mailbox, state FROM voicemail_messages ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(|source| StoreError::Database {
                    action: "read voicemail messages to recover".to_owned(),
                    source,
                })?;
        let (checked, count) = (root.clone(), rows.len());
        blocking("check voicemail directory", &root, move || {
            ensure_root(&checked, count)
        })
        .await??;
        let mut report = RecoveryReport::default();
        let mut kept = HashSet::new();
        for (id, mailbox, state) in rows {
            let dir = root.join(box_dir_name(&mailbox));
            let path = dir.join(message_file_name(id));
            match state.as_str() {
                "deleting" => {
                    let target = path.clone();
                    blocking("delete voicemail message", &path, move || {
                        remove_if_present(&target)
                    })
                    .await?;
                    self.drop_row(id).await?;
                    report.deleted.push(id);
                }
                "recording" => {
                    let recovered = self
                        .settle_recording(&root, id, &mailbox, &emails_for, &mut report)
                        .await?;
                    if recovered {
                        kept.insert(path);
                    }
                }
                "new" | "saved" => {
                    let target = path.clone();
                    let present = blocking("read voicemail message", &path, move || {
                        file_present(&target)
                    })
                    .await?;
                    if present {
                        kept.insert(path);
                    } else {
                        self.drop_row(id).await?;
                        report.dropped.push(DroppedMessage {
                            id,
                            mailbox,
                            reason: DropReason::FileMissing,
                        });
                    }
                }
                other => {
                    return Err(StoreError::InvalidRow {
                        table: "voicemail_messages",
                        id,
                        column: "state",
                        detail: format!("{other:?} is not a message's state"),
                    })
                }
            }
        }
        let swept_root = root.clone();
        report.moved.extend(
            blocking("sweep voicemail directory", &root, move || {
                sweep(&swept_root, &kept)
            })
            .await?,
        );
        Ok(report)
    }

    /// Settles the `recording` row `id`; whether it is now a message.
    async fn settle_recording(
        &self,
        root: &Path,
        id: i64,
        mailbox: &str,
        emails_for: &impl Fn(&str) -> Vec<String>,
        report: &mut RecoveryReport,
    ) -> Result<bool, StoreError> {
        let box_name = box_dir_name(mailbox);
        let dir = root.join(&box_name);
        let path = dir.join(message_file_name(id));
        let target = path.clone();
        let committed = blocking("read voicemail message", &path, move || {
            file_present(&target)
        })
        .await?;
        let recovered = RecoveredMessage {
            id,
            mailbox: mailbox.to_owned(),
            duration: Duration::ZERO,
        };
        if committed {
            let duration = self.mark_recovered(id, &path, mailbox, emails_for).await?;
            report.completed.push(RecoveredMessage {
                duration,
                ..recovered
            });
            return Ok(true);
        }

        let listed_dir = dir.clone();
        let part = blocking("list voicemail box", &dir, move || {
            largest_part(&listed_dir, id)
        })
        .await?;
        let dropped = |reason| DroppedMessage {
            id,
            mailbox: mailbox.to_owned(),
            reason,
        };
        let Some(part) = part else {
            self.keep_empty(id, &path, mailbox, emails_for, report)
                .await?;
            return Ok(true);
        };
        let (from, to) = (part.clone(), path.clone());
        let repair = blocking("repair voicemail recording", &part, move || {
            repair_part(&from, &to)
        })
        .await?;
        match repair {
            Repair::Repaired => {
                let duration = self.mark_recovered(id, &path, mailbox, emails_for).await?;
                report.repaired.push(RecoveredMessage {
                    duration,
                    ..recovered
                });
                Ok(true)
            }
            Repair::NoAudio => {
                let stub = part.clone();
                blocking("remove voicemail recording", &part, move || {
                    remove_if_present(&stub)
                })
                .await?;
                self.keep_empty(id, &path, mailbox, emails_for, report)
                    .await?;
                Ok(true)
            }
            Repair::Unrecognised => {
                let (lost, from) = (root.to_owned(), part.clone());
                let to = blocking("move to lost+found", &part, move || {
                    move_aside(&lost, &box_name, &from)
                })
                .await?;
                self.drop_row(id).await?;
                report.dropped.push(dropped(DropReason::Unrecognised));
                report.moved.push(MovedFile { from: part, to });
                Ok(false)
            }
        }
    }

    /// A message whose recording had not reached the disk when the PBX died (the recorder
    /// buffers its first half second) is kept as an empty one, like a caller who hung up at
    /// the tone: the caller's number is the message, and its e-mail and callback task follow.
    async fn keep_empty(
        &self,
        id: i64,
        path: &Path,
        mailbox: &str,
        emails_for: &impl Fn(&str) -> Vec<String>,
        report: &mut RecoveryReport,
    ) -> Result<(), StoreError> {
        let target = path.to_owned();
        blocking("write an empty voicemail message", path, move || {
            write_empty_wav(&target)
        })
        .await?;
        let duration = self.mark_recovered(id, path, mailbox, emails_for).await?;
        report.repaired.push(RecoveredMessage {
            id,
            mailbox: mailbox.to_owned(),
            duration,
        });
        Ok(())
    }

    /// Makes the `recording` row `id`, whose file is in place at `path`, a `new` message with
    /// the duration its header gives, and queues its e-mails, in one transaction.
    async fn mark_recovered(
        &self,
        id: i64,
        path: &Path,
        mailbox: &str,
        emails_for: &impl Fn(&str) -> Vec<String>,
    ) -> Result<Duration, StoreError> {
        let read = path.to_owned();
        let duration = blocking("read voicemail message", path, move || {
            Ok(wav_duration(&read))
        })
        .await?
        .unwrap_or_else(|err| {
            tracing::warn!(
                path = %path.display(),
                %err,
                "voicemail message header unreadable; kept with no duration"
            );
            Duration::ZERO
        });
        let db_error = |source| StoreError::Database {
            action: format!("recover voicemail message {id}"),
            source,
        };
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        mark_new(&mut tx, id, duration).await.map_err(db_error)?;
        queue_emails(&mut tx, id, &emails_for(mailbox))
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(duration)
    }

    /// Removes message row `id` (and, by cascade, its e-mails).
    async fn drop_row(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM voicemail_messages WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: format!("drop voicemail message {id}"),
                source,
            })?;
        Ok(())
    }
}

/// Runs the file operation `f` on the blocking pool, so a slow disk does not stall the
/// runtime; its error names `action` and `path`.
async fn blocking<T: Send + 'static>(
    action: &'static str,
    path: &Path,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|join| Err(io::Error::other(join)))
        .map_err(|source| StoreError::File {
            action,
            path: path.to_owned(),
            source,
        })
}

/// Checks that the voicemail directory `root` can hold the files of `rows` message rows,
/// creating it when there are none; see [`StoreError::VoicemailDirGone`] for the refusal.
fn ensure_root(root: &Path, rows: usize) -> io::Result<Result<(), StoreError>> {
    let gone = |missing| {
        Ok(Err(StoreError::VoicemailDirGone {
            dir: root.to_owned(),
            missing,
            rows,
        }))
    };
    match fs::read_dir(root) {
        Ok(mut entries) => {
            if rows > 0 && entries.next().is_none() {
                gone(false)
            } else {
                Ok(Ok(()))
            }
        }
        Err(err) if err.kind() == ErrorKind::NotFound && rows > 0 => gone(true),
        Err(err) if err.kind() == ErrorKind::NotFound => fs::create_dir_all(root).map(Ok),
        Err(err) => Err(err),
    }
}

/// How long the WAV file at `path` plays, by its header.
fn wav_duration(path: &Path) -> Result<Duration, hound::Error> {
    let reader = hound::WavReader::open(path)?;
    let rate = u64::from(reader.spec().sample_rate.max(1));
    Ok(Duration::from_millis(
        u64::from(reader.duration()) * 1_000 / rate,
    ))
}

/// The largest temporary file of message `id`'s recording in `dir`, if any.
fn largest_part(dir: &Path, id: i64) -> io::Result<Option<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    let mut largest: Option<(u64, PathBuf)> = None;
    for entry in entries {
        let entry = entry?;
        let is_part = entry
            .file_name()
            .to_str()
            .is_some_and(|name| is_part_of(name, id));
        if !is_part || !entry.file_type()?.is_file() {
            continue;
        }
        let len = entry.metadata()?.len();
        if largest.as_ref().is_none_or(|(most, _)| len > *most) {
            largest = Some((len, entry.path()));
        }
    }
    Ok(largest.map(|(_, path)| path))
}

/// Writes a WAV of no samples in the recorder's format at `path`, durably, through a
/// temporary name so a crash now leaves no torn file under the final name.
fn write_empty_wav(path: &Path) -> io::Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let temp = path.with_extension("wav.empty");
    let writer = hound::WavWriter::create(&temp, spec).map_err(io::Error::other)?;
    writer.finalize().map_err(io::Error::other)?;
    File::open(&temp)?.sync_all()?;
    fs::rename(&temp, path)?;
    sync_dir(path);
    Ok(())
}

/// Gives the temporary file `part` the header sizes its recorder would have written at commit
/// (from its length, a torn last sample cut off), syncs it, and renames it to `dest`.
fn repair_part(part: &Path, dest: &Path) -> io::Result<Repair> {
    let mut file = OpenOptions::new().read(true).write(true).open(part)?;
    let len = file.metadata()?.len();
    if len < HEADER_LEN {
        return Ok(Repair::NoAudio);
    }
    let mut header = [0_u8; HEADER_LEN as usize];
    file.read_exact(&mut header)?;
    let Some(block_align) = pcm_block_align(&header) else {
        return Ok(Repair::Unrecognised);
    };
    let data = len - HEADER_LEN;
    let data = data - data % u64::from(block_align);
    let (Ok(data_size), Ok(riff_size)) =
        (u32::try_from(data), u32::try_from(data + HEADER_LEN - 8))
    else {
        return Ok(Repair::Unrecognised);
    };
    file.set_len(HEADER_LEN + data)?;
    file.seek(SeekFrom::Start(4))?;
    file.write_all(&riff_size.to_le_bytes())?;
    file.seek(SeekFrom::Start(HEADER_LEN - 4))?;
    file.write_all(&data_size.to_le_bytes())?;
    file.sync_all()?;
    drop(file);
    fs::rename(part, dest)?;
    sync_dir(dest);
    Ok(Repair::Repaired)
}

/// The block alignment (bytes per sample frame) of a canonical 44-byte PCM WAV header, as
/// hound writes for the recorder's 16-bit mono; `None` for anything else.
fn pcm_block_align(header: &[u8; HEADER_LEN as usize]) -> Option<u16> {
    let u16_at = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
    let u32_at = |at: usize| {
        u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let canonical = &header[0..4] == b"RIFF"
        && &header[8..16] == b"WAVEfmt "
        && u32_at(16) == 16
        && u16_at(20) == 1
        && u32_at(24) > 0
        && &header[36..40] == b"data";
    let block_align = u16_at(32);
    (canonical && block_align > 0).then_some(block_align)
}

/// Makes a rename into the directory of `path` durable; not every platform can sync a
/// directory, and the next recovery redoes a rename that was lost, so failure is ignored.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
}

/// Whether a file is at `path`. Only "not found" is "no": an unreadable directory is an
/// error, never taken for missing messages whose rows would then be dropped.
fn file_present(path: &Path) -> io::Result<bool> {
    match fs::metadata(path) {
        Ok(meta) => Ok(meta.is_file()),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

/// Removes `path`; already gone is done.
fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Moves every message file in a box directory below `root` that is not in `kept`, and
/// every recorder's temporary file, to `lost+found`.
fn sweep(root: &Path, kept: &HashSet<PathBuf>) -> io::Result<Vec<MovedFile>> {
    let boxes = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut moved = Vec::new();
    for entry in boxes {
        let entry = entry?;
        let Some(box_name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if box_name == LOST_AND_FOUND || !entry.file_type()?.is_dir() {
            continue;
        }
        for file in fs::read_dir(entry.path())? {
            let file = file?;
            let path = file.path();
            let stray = file.file_name().to_str().is_some_and(|name| {
                is_part_file(name) || (message_id_of(name).is_some() && !kept.contains(&path))
            });
            if stray && file.file_type()?.is_file() {
                let to = move_aside(root, &box_name, &path)?;
                moved.push(MovedFile { from: path, to });
            }
        }
    }
    Ok(moved)
}

/// Moves `file`, found in box directory `box_name`, to `<root>/lost+found/<box_name>/`, under
/// its own name made visible (a leading `.` dropped) and, if taken, numbered (`msg-5~1.wav`).
fn move_aside(root: &Path, box_name: &str, file: &Path) -> io::Result<PathBuf> {
    let dir = root.join(LOST_AND_FOUND).join(box_name);
    fs::create_dir_all(&dir)?;
    let name = file
        .file_name()
        .map(|name| name.to_string_lossy().trim_start_matches('.').to_owned())
        .unwrap_or_default();
    let (stem, rest) = name.split_at(name.find('.').unwrap_or(name.len()));
    let mut to = dir.join(&name);
    let mut n = 0_u32;
    while fs::symlink_metadata(&to).is_ok() {
        n += 1;
        to = dir.join(format!("{stem}~{n}{rest}"));
    }
    fs::rename(file, &to)?;
    sync_dir(&to);
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
        begin, crashed_part_bytes, finished_message, new_message, sample, voicemail_store,
        write_committed_wav,
    };
    use crate::voicemail::MessageState;

    fn no_emails(_: &str) -> Vec<String> {
        Vec::new()
    }

    /// Every file below `dir`, relative to it, sorted.
    fn files_below(dir: &Path) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = fs::read_dir(dir) else {
                return;
            };
            for entry in entries.map(|entry| entry.expect("entry")) {
                if entry.file_type().expect("type").is_dir() {
                    walk(root, &entry.path(), out);
                } else {
                    let relative = entry.path().strip_prefix(root).expect("below").to_owned();
                    out.push(relative.display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    async fn state_of(store: &Store, id: i64) -> Option<String> {
        sqlx::query_scalar("SELECT state FROM voicemail_messages WHERE id = ?1")
            .bind(id)
            .fetch_optional(&store.pool)
            .await
            .expect("state")
    }

    #[tokio::test]
    async fn a_row_without_any_file_is_kept_as_an_empty_message() {
        let (temp, store) = voicemail_store().await;
        let slot = begin(&store, "101", 0).await;
        let report = store
            .recover_voicemail(|_| vec!["anna@example.com".to_owned()])
            .await
            .expect("recover");
        assert_eq!(
            report,
            RecoveryReport {
                repaired: vec![RecoveredMessage {
                    id: slot.id,
                    mailbox: "101".to_owned(),
                    duration: Duration::ZERO,
                }],
                ..RecoveryReport::default()
            }
        );
        assert_eq!(state_of(&store, slot.id).await.as_deref(), Some("new"));
        assert_eq!(fs::metadata(&slot.path).expect("the file").len(), 44);
        assert_eq!(hound::WavReader::open(&slot.path).expect("a WAV").len(), 0);
        assert_eq!(store.pending_email_count().await.expect("count"), 1);
        assert_eq!(
            files_below(temp.path()),
            [format!("voicemail/101/msg-{}.wav", slot.id)]
        );
    }

    #[tokio::test]
    async fn a_recording_cut_short_is_repaired_and_kept_with_its_e_mails() {
        let (_temp, store) = voicemail_store().await;
        let slot = begin(&store, "101", 0).await;
        let part = slot
            .path
            .with_file_name(format!(".msg-{}.wav.00c0ffee00c0ffee.part", slot.id));
        // 1.5 s of samples and the first byte of the next one.
        fs::write(&part, crashed_part_bytes(12_000, &[0x7f])).expect("write part");

        let report = store
            .recover_voicemail(|mailbox| vec![format!("{mailbox}@example.com")])
            .await
            .expect("recover");
        assert_eq!(
            report,
            RecoveryReport {
                repaired: vec![RecoveredMessage {
                    id: slot.id,
                    mailbox: "101".to_owned(),
                    duration: Duration::from_millis(1_500),
                }],
                ..RecoveryReport::default()
            }
        );
        assert!(!part.exists());
        assert_eq!(fs::metadata(&slot.path).expect("final").len(), 44 + 24_000);
        let mut reader = hound::WavReader::open(&slot.path).expect("a valid WAV");
        assert_eq!(reader.spec(), crate::test_support::SPEC);
        assert_eq!(reader.duration(), 12_000);
        let samples: Vec<i16> = reader.samples().map(|s| s.expect("sample")).collect();
        assert_eq!(samples, (0..12_000).map(sample).collect::<Vec<_>>());

        let message = store.message(slot.id).await.expect("read").expect("kept");
        assert_eq!(message.state, MessageState::New);
        assert_eq!(message.duration, Duration::from_millis(1_500));
        let due = store
            .due_emails(crate::test_support::at(0), 10)
            .await
            .expect("due");
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].address, "101@example.com");
        assert_eq!(due[0].message_id, slot.id);
    }

    #[tokio::test]
    async fn a_part_with_only_a_header_is_a_zero_length_message() {
        let (_temp, store) = voicemail_store().await;
        let slot = begin(&store, "101", 0).await;
        let part = slot
            .path
            .with_file_name(format!(".msg-{}.wav.0000000000000001.part", slot.id));
        fs::write(&part, crashed_part_bytes(0, &[])).expect("write part");
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert_eq!(report.repaired.len(), 1);
        let reader = hound::WavReader::open(&slot.path).expect("a valid WAV");
        assert_eq!(reader.duration(), 0);
        assert_eq!(
            store
                .message(slot.id)
                .await
                .expect("read")
                .expect("kept")
                .duration,
            Duration::ZERO
        );
    }

    #[tokio::test]
    async fn a_part_shorter_than_a_header_leaves_an_empty_message() {
        let (temp, store) = voicemail_store().await;
        let slot = begin(&store, "101", 0).await;
        // The recorder's buffer had not reached the disk: the file is empty, or torn.
        for (n, bytes) in [&b""[..], &b"RIFF\0\0\0\0WAVE"[..]].into_iter().enumerate() {
            let part = slot
                .path
                .with_file_name(format!(".msg-{}.wav.000000000000000{n}.part", slot.id));
            fs::write(&part, bytes).expect("write part");
        }
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert!(report.dropped.is_empty(), "{report:?}");
        assert_eq!(report.repaired.len(), 1);
        assert_eq!(report.repaired[0].duration, Duration::ZERO);
        assert_eq!(state_of(&store, slot.id).await.as_deref(), Some("new"));
        // The longer stub was the one looked at and removed; the other is a stray part.
        assert_eq!(report.moved.len(), 1);
        assert_eq!(
            files_below(temp.path()),
            [
                format!("voicemail/101/msg-{}.wav", slot.id),
                format!(
                    "voicemail/lost+found/101/msg-{}.wav.0000000000000000.part",
                    slot.id
                ),
            ]
        );
    }

    #[tokio::test]
    async fn a_committed_recording_not_yet_finished_becomes_new() {
        let (_temp, store) = voicemail_store().await;
        let slot = begin(&store, "101", 0).await;
        write_committed_wav(&slot.path, 20_000);
        let report = store
            .recover_voicemail(|_| vec!["anna@example.com".to_owned()])
            .await
            .expect("recover");
        assert_eq!(
            report,
            RecoveryReport {
                completed: vec![RecoveredMessage {
                    id: slot.id,
                    mailbox: "101".to_owned(),
                    duration: Duration::from_millis(2_500),
                }],
                ..RecoveryReport::default()
            }
        );
        assert_eq!(store.counts("101").await.expect("count").new, 1);
        assert_eq!(store.pending_email_count().await.expect("count"), 1);
    }

    #[tokio::test]
    async fn a_zero_length_message_is_kept() {
        let (_temp, store) = voicemail_store().await;
        let slot = begin(&store, "101", 0).await;
        write_committed_wav(&slot.path, 0);
        assert_eq!(fs::metadata(&slot.path).expect("file").len(), 44);
        store
            .finish_message(slot.id, Duration::ZERO, &[])
            .await
            .expect("finish");
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert!(report.is_empty(), "{report:?}");
        assert_eq!(store.messages("101").await.expect("list").len(), 1);
    }

    #[tokio::test]
    async fn a_finished_message_whose_file_is_gone_is_dropped() {
        let (_temp, store) = voicemail_store().await;
        let slot = finished_message(&store, "101", 0, 10, Duration::ZERO, &["a@example.com"]).await;
        store.mark_saved(slot.id).await.expect("save");
        fs::remove_file(&slot.path).expect("remove");
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert_eq!(
            report.dropped,
            [DroppedMessage {
                id: slot.id,
                mailbox: "101".to_owned(),
                reason: DropReason::FileMissing,
            }]
        );
        assert!(store.messages("101").await.expect("list").is_empty());
        assert_eq!(store.pending_email_count().await.expect("count"), 0);
    }

    #[tokio::test]
    async fn files_without_rows_go_to_lost_and_found_never_away() {
        let (temp, store) = voicemail_store().await;
        let kept = finished_message(&store, "101", 0, 10, Duration::ZERO, &[]).await;
        let box_dir = kept.path.parent().expect("dir").to_owned();
        // A message whose row a power cut lost, twice under the same name, a stray part of a
        // kept message, and a file that is not voicemail's.
        write_committed_wav(&box_dir.join("msg-77.wav"), 5);
        fs::write(box_dir.join(".msg-78.wav.0123456789abcdef.part"), b"audio").expect("part");
        fs::write(
            box_dir.join(format!(".msg-{}.wav.0123456789abcdef.part", kept.id)),
            crashed_part_bytes(3, &[]),
        )
        .expect("part");
        fs::write(box_dir.join("notes.txt"), b"mine").expect("other");
        let lost = temp.path().join("voicemail/lost+found/101");
        fs::create_dir_all(&lost).expect("mkdir");
        fs::write(lost.join("msg-77.wav"), b"found before").expect("earlier orphan");
        // Greetings are not messages.
        let greeting = store
            .prepare_greeting("101", sb_voicemail::GreetingKind::Busy)
            .await
            .expect("greeting");
        write_committed_wav(&greeting, 5);

        let report = store.recover_voicemail(no_emails).await.expect("recover");
        let mut moved: Vec<(String, String)> = report
            .moved
            .iter()
            .map(|file| {
                let name = |path: &Path| {
                    path.strip_prefix(temp.path())
                        .expect("below")
                        .display()
                        .to_string()
                };
                (name(&file.from), name(&file.to))
            })
            .collect();
        moved.sort();
        let part_of_kept = format!(".msg-{}.wav.0123456789abcdef.part", kept.id);
        assert_eq!(
            moved,
            [
                (
                    format!("voicemail/101/{part_of_kept}"),
                    format!("voicemail/lost+found/101/{}", &part_of_kept[1..]),
                ),
                (
                    "voicemail/101/.msg-78.wav.0123456789abcdef.part".to_owned(),
                    "voicemail/lost+found/101/msg-78.wav.0123456789abcdef.part".to_owned(),
                ),
                (
                    "voicemail/101/msg-77.wav".to_owned(),
                    "voicemail/lost+found/101/msg-77~1.wav".to_owned(),
                ),
            ]
        );
        assert!(report.dropped.is_empty() && report.completed.is_empty());
        assert_eq!(
            fs::read(lost.join("msg-77.wav")).expect("earlier orphan"),
            b"found before"
        );
        assert!(hound::WavReader::open(lost.join("msg-77~1.wav")).is_ok());
        assert!(kept.path.is_file());
        assert!(box_dir.join("notes.txt").is_file());
        assert!(greeting.is_file());
        assert_eq!(store.messages("101").await.expect("list").len(), 1);
    }

    #[tokio::test]
    async fn a_part_that_is_not_the_recorders_wav_is_moved_aside() {
        let (temp, store) = voicemail_store().await;
        let slot = begin(&store, "my box", 0).await;
        let part = slot
            .path
            .with_file_name(format!(".msg-{}.wav.00000000000000aa.part", slot.id));
        fs::write(&part, [0_u8; 4_096]).expect("zeros, as a power cut may leave");
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert_eq!(report.dropped[0].reason, DropReason::Unrecognised);
        assert_eq!(state_of(&store, slot.id).await, None);
        assert_eq!(
            files_below(temp.path()),
            [format!(
                "voicemail/lost+found/my_20box/msg-{}.wav.00000000000000aa.part",
                slot.id
            )]
        );
    }

    #[tokio::test]
    async fn an_interrupted_deletion_is_finished() {
        let (_temp, store) = voicemail_store().await;
        let mut slots = Vec::new();
        for secs in [0, 1] {
            let slot = finished_message(&store, "101", secs, 10, Duration::ZERO, &[]).await;
            slots.push(slot);
        }
        // Crashed after hiding the rows: one before its file went, one after.
        sqlx::query("UPDATE voicemail_messages SET state = 'deleting'")
            .execute(&store.pool)
            .await
            .expect("mark");
        fs::remove_file(&slots[1].path).expect("remove");
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert_eq!(report.deleted, [slots[0].id, slots[1].id]);
        assert!(report.moved.is_empty() && report.dropped.is_empty());
        assert!(!slots[0].path.exists());
        assert_eq!(state_of(&store, slots[0].id).await, None);
    }

    /// The crash test's check after a restart: every row has its file and every file its row,
    /// whatever point each recording had reached; and a second recovery finds nothing to do.
    #[tokio::test]
    async fn after_recovery_rows_and_files_match_across_a_restart() {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().join("data");
        let store = Store::open(&data_dir).await.expect("open");
        let mut slots = Vec::new();
        for (n, mailbox) in ["101", "101", "102", "103", "103"].into_iter().enumerate() {
            slots.push(
                store
                    .begin_message(&new_message(mailbox, n as i64))
                    .await
                    .expect("begin"),
            );
        }
        write_committed_wav(&slots[0].path, 800);
        store
            .finish_message(slots[0].id, Duration::from_millis(100), &[])
            .await
            .expect("finish");
        write_committed_wav(&slots[1].path, 400);
        let part = |slot: &crate::MessageSlot| {
            slot.path
                .with_file_name(format!(".msg-{}.wav.0000000000000abc.part", slot.id))
        };
        fs::write(part(&slots[2]), crashed_part_bytes(1_000, &[])).expect("part");
        fs::write(part(&slots[3]), b"").expect("empty part");
        // slots[4]: the row alone.
        store.pool.close().await;

        let store = Store::open(&data_dir).await.expect("restart");
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert_eq!(report.completed.len(), 1);
        // The cut-off part, and the two whose audio never reached the disk (kept empty).
        assert_eq!(report.repaired.len(), 3);
        assert!(report.dropped.is_empty(), "{report:?}");

        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, mailbox FROM voicemail_messages ORDER BY id")
                .fetch_all(&store.pool)
                .await
                .expect("rows");
        let mut expected: Vec<String> = rows
            .iter()
            .map(|(id, mailbox)| format!("voicemail/{mailbox}/msg-{id}.wav"))
            .collect();
        expected.sort();
        assert_eq!(
            rows.iter().map(|row| row.0).collect::<Vec<_>>(),
            slots.iter().map(|slot| slot.id).collect::<Vec<_>>()
        );
        let mut files = files_below(&data_dir);
        files.retain(|file| file.starts_with("voicemail/"));
        assert_eq!(files, expected);

        let again = store
            .recover_voicemail(no_emails)
            .await
            .expect("recover again");
        assert!(again.is_empty(), "{again:?}");
    }

    #[tokio::test]
    async fn recovery_of_an_empty_directory_does_nothing() {
        let (_temp, store) = voicemail_store().await;
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert!(report.is_empty());
    }

    #[tokio::test]
    async fn without_rows_a_missing_directory_is_created() {
        let (temp, store) = voicemail_store().await;
        let root = temp.path().join("voicemail");
        assert!(!root.exists());
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert!(report.is_empty(), "{report:?}");
        assert!(root.is_dir());
    }

    /// A disk that did not mount: the directory is gone (or an empty mount point is left),
    /// while the database still lists the messages. Recovery refuses and changes nothing;
    /// once the files are back, every message is there.
    #[tokio::test]
    async fn messages_are_kept_when_their_whole_directory_is_gone() {
        let (temp, store) = voicemail_store().await;
        let slot = finished_message(&store, "101", 0, 800, Duration::from_millis(100), &[]).await;
        let root = temp.path().join("voicemail");
        let unmounted = temp.path().join("unmounted");
        fs::rename(&root, &unmounted).expect("unmount");

        let err = store
            .recover_voicemail(no_emails)
            .await
            .expect_err("refused while missing");
        assert!(
            matches!(&err, StoreError::VoicemailDirGone { dir, missing: true, rows: 1 } if *dir == root),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains(&root.display().to_string()), "{text}");
        assert!(text.contains("missing"), "{text}");
        assert!(
            !root.exists(),
            "a missing directory is not created over a mount point"
        );

        fs::create_dir(&root).expect("empty mount point");
        let err = store
            .recover_voicemail(no_emails)
            .await
            .expect_err("refused while empty");
        assert!(
            matches!(
                &err,
                StoreError::VoicemailDirGone {
                    missing: false,
                    rows: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(state_of(&store, slot.id).await.as_deref(), Some("new"));

        fs::remove_dir(&root).expect("unmount again");
        fs::rename(&unmounted, &root).expect("mount");
        let report = store.recover_voicemail(no_emails).await.expect("recover");
        assert!(report.is_empty(), "{report:?}");
        assert_eq!(store.messages("101").await.expect("list").len(), 1);
    }

    #[test]
    fn only_the_recorders_header_is_repaired() {
        let good: [u8; 44] = crashed_part_bytes(0, &[]).try_into().expect("44 bytes");
        assert_eq!(pcm_block_align(&good), Some(2));
        for (at, value) in [(0, b'X'), (8, b'X'), (16, 18), (20, 3), (36, b'X'), (32, 0)] {
            let mut bad = good;
            bad[at] = value;
            if at == 32 {
                bad[33] = 0;
            }
            assert_eq!(pcm_block_align(&bad), None, "byte {at}");
        }
    }
}
