//! What the menu starts from: the box's messages, PIN and greetings as the store has them
//! when the owner calls in, with message times in the mailbox's local time.
//!
//! The menu keeps its own copy up to date from then on (a message heard moves to saved, a
//! deleted one is gone), so the store is read once per call.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sb_store::{MessageState, Store, StoreError, StoredMessage};
use sb_voicemail::{Folder, MenuSetup, MessageInfo};
use std::collections::HashMap;
use std::path::PathBuf;
use tracing::warn;

/// A box as the menu starts with it.
pub(super) struct Snapshot {
    /// For [`sb_voicemail::Menu::new`].
    pub setup: MenuSetup,
    /// Each message's recording, by id: what [`sb_voicemail::Say::Message`] plays.
    pub files: HashMap<i64, PathBuf>,
}

/// Reads `mailbox` from the store. Its PIN is the one set by phone, else `configured_pin`.
pub(super) async fn load(
    store: &Store,
    mailbox: &str,
    configured_pin: Option<&str>,
    max_pin_attempts: u32,
    timezone: &str,
    now: DateTime<Utc>,
) -> Result<Snapshot, StoreError> {
    let pin = match store.pin_override(mailbox).await? {
        Some(pin) => Some(pin),
        None => configured_pin.map(str::to_owned),
    };
    let stored = store.messages(mailbox).await?;
    let greetings = store.greetings(mailbox).await?;
    let zone = time_zone(timezone);
    let files = stored.iter().map(|m| (m.id, m.path.clone())).collect();
    Ok(Snapshot {
        setup: MenuSetup {
            mailbox: mailbox.to_owned(),
            pin,
            max_pin_attempts,
            messages: stored.iter().map(|m| message_info(m, zone)).collect(),
            greetings,
            today: today(now, zone),
        },
        files,
    })
}

/// `[voicemail] timezone`, validated with the configuration; UTC (logged) should a
/// hand-built configuration name an unknown zone, so that times are still spoken.
fn time_zone(name: &str) -> Tz {
    name.parse().unwrap_or_else(|_| {
        warn!(
            timezone = name,
            "unknown voicemail time zone: message times are said in UTC"
        );
        Tz::UTC
    })
}

fn today(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

/// A stored message as the menu sees it: received in the box's local time.
fn message_info(message: &StoredMessage, zone: Tz) -> MessageInfo {
    MessageInfo {
        id: message.id,
        caller_number: message.caller_number.clone(),
        caller_name: message.caller_name.clone(),
        received_at: message.received_at.with_timezone(&zone).naive_local(),
        duration: message.duration,
        folder: match message.state {
            MessageState::New => Folder::New,
            MessageState::Saved => Folder::Saved,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use std::time::Duration;

    #[test]
    fn times_are_local_to_the_box() {
        let received: DateTime<Utc> = "2026-11-23T21:30:00Z".parse().unwrap();
        let message = StoredMessage {
            id: 7,
            mailbox: "101".into(),
            caller_number: "+79161234567".into(),
            caller_name: None,
            call_id: "c".into(),
            received_at: received,
            duration: Duration::from_secs(4),
            state: MessageState::Saved,
            path: "/v/101/msg-7.wav".into(),
        };
        let moscow = time_zone("Europe/Moscow");
        let info = message_info(&message, moscow);
        let local: NaiveDateTime = "2026-11-24T00:30:00".parse().unwrap();
        assert_eq!(info.received_at, local);
        assert_eq!(info.folder, Folder::Saved);
        assert_eq!(
            today(received, moscow),
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        );
        assert_eq!(time_zone("Mars/Olympus"), Tz::UTC);
    }
}
