//! `switchboard voicemail BOX`: the messages of one voicemail box, as the database has them,
//! for an operator checking a box (or a test checking what a phone call did to it).

use anyhow::Result;
use sb_store::{format_table, MessageState, StoredMessage};

use crate::cli::ServerArgs;
use crate::trace::open_existing;

const HEADERS: [&str; 6] = ["ID", "STATE", "RECEIVED (UTC)", "SECS", "CALLER", "FILE"];

/// Prints the new and saved messages of `mailbox` (an extension number or a shared box's
/// name), oldest first, from the database in `--data-dir`.
pub async fn print_messages(args: &ServerArgs, mailbox: &str) -> Result<()> {
    let store = open_existing(&args.data_dir).await?;
    let messages = store.messages(mailbox).await?;
    if messages.is_empty() {
        println!("voicemail box {mailbox}: no messages");
    } else {
        print!("{}", table(&messages));
    }
    Ok(())
}

/// One line per message under a header, columns as wide as their widest cell, two spaces
/// apart: a script can cut it into columns, and the file path is last since it may hold
/// spaces.
fn table(messages: &[StoredMessage]) -> String {
    let rows: Vec<[String; 6]> = messages.iter().map(row).collect();
    format_table(HEADERS, [false; 6], &rows)
}

fn row(message: &StoredMessage) -> [String; 6] {
    let state = match message.state {
        MessageState::New => "new",
        MessageState::Saved => "saved",
    };
    let caller = match (&message.caller_number, &message.caller_name) {
        (number, _) if number.is_empty() => "-".to_owned(),
        (number, Some(name)) if !name.is_empty() => format!("{number} ({name})"),
        (number, _) => number.clone(),
    };
    [
        message.id.to_string(),
        state.to_owned(),
        message.received_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        format!("{:.1}", message.duration.as_secs_f64()),
        caller,
        message.path.display().to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_line_per_message_under_the_header() {
        let message = |id, state, name: Option<&str>| StoredMessage {
            id,
            mailbox: "102".into(),
            caller_number: "103".into(),
            caller_name: name.map(str::to_owned),
            call_id: "c".into(),
            received_at: "2026-11-23T07:00:05Z".parse().unwrap(),
            duration: Duration::from_millis(4_300),
            state,
            path: format!("/data/voicemail/102/msg-{id}.wav").into(),
        };
        let text = table(&[
            message(3, MessageState::New, Some("Vera")),
            message(12, MessageState::Saved, None),
        ]);
        assert_eq!(
            text,
            "ID  STATE  RECEIVED (UTC)       SECS  CALLER      FILE\n\
             3   new    2026-11-23 07:00:05  4.3   103 (Vera)  /data/voicemail/102/msg-3.wav\n\
             12  saved  2026-11-23 07:00:05  4.3   103         /data/voicemail/102/msg-12.wav\n"
        );
    }
}
