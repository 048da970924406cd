//! Voicemail at start-up: settling the messages a crash left half-written before any call
//! can leave or read one.

use anyhow::{Context, Result};
use sb_config::Config;
use sb_store::Store;
use tracing::{info, warn};

/// Completes, repairs or drops the messages of an interrupted run (see
/// [`Store::recover_voicemail`]) and logs each thing done, so an operator can see what a
/// crash cost: usually nothing, since a message cut off mid-recording is kept as far as it
/// got, with its e-mails queued.
pub async fn recover(store: &Store, config: &Config) -> Result<()> {
    let report = store
        .recover_voicemail(|mailbox| {
            config
                .mailbox(mailbox)
                .map(|view| view.email)
                .unwrap_or_default()
        })
        .await
        .context("voicemail recovery")?;
    if report.is_empty() {
        return Ok(());
    }
    for message in &report.completed {
        info!(id = message.id, mailbox = %message.mailbox, secs = message.duration.as_secs(), "voicemail recovery: a finished message completed");
    }
    for message in &report.repaired {
        warn!(id = message.id, mailbox = %message.mailbox, secs = message.duration.as_secs(), "voicemail recovery: a message cut off by a crash kept as far as it got");
    }
    for message in &report.dropped {
        warn!(id = message.id, mailbox = %message.mailbox, reason = %message.reason, "voicemail recovery: message dropped");
    }
    for id in &report.deleted {
        info!(id, "voicemail recovery: an interrupted deletion finished");
    }
    for file in &report.moved {
        warn!(from = %file.from.display(), to = %file.to.display(), "voicemail recovery: a file no message describes moved aside");
    }
    Ok(())
}

/// Message-waiting counts from the voicemail store: an extension's lamp shows its own box
/// and the shared boxes it looks after (`[[mailbox]] owners`), added up, in the
/// configuration in force.
pub struct StoreCounts {
    /// The database of messages.
    pub store: Store,
    /// The live configuration, for which boxes are whose.
    pub config: sb_sip::LiveConfig,
}

impl sb_sip::MailboxCounts for StoreCounts {
    fn counts<'a>(&'a self, extension: &'a str) -> sb_sip::CountsFuture<'a> {
        Box::pin(async move {
            let mut total = sb_sip::MessageCounts::default();
            let Some(config) = self.config.get() else {
                return Ok(total);
            };
            for mailbox in config.mailboxes_of(extension) {
                let counts =
                    self.store
                        .counts(&mailbox)
                        .await
                        .map_err(|e| sb_sip::CountsError {
                            extension: extension.to_owned(),
                            reason: e.to_string(),
                        })?;
                total.new += counts.new;
                total.old += counts.saved;
            }
            Ok(total)
        })
    }
}
