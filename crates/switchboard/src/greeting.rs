//! `switchboard greeting BOX KIND FILE` and `switchboard greeting BOX KIND --remove`: a
//! voicemail greeting installed from a WAV file or removed, for an operator provisioning
//! boxes (or an owner's assistant ending a holiday greeting) without a phone.
//!
//! Like `switchboard voicemail`, it works on the data directory directly; a running PBX
//! finds the new greeting on the next call, since it looks for the file on every call. The
//! box must be one of the configuration (`--config`, or the embedded demo), so a typo does
//! not leave a greeting no caller will hear.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use sb_store::{greeting_kind_name, MAX_GREETING_BYTES};
use sb_voicemail::GreetingKind;

use crate::cli::ServerArgs;
use crate::serve::load_config;
use crate::trace::open_existing;

/// Installs `file` as `mailbox`'s greeting of `kind`, or, with no file, removes that
/// greeting; prints what was done.
pub async fn run(
    args: &ServerArgs,
    mailbox: &str,
    kind: GreetingKind,
    file: Option<&Path>,
) -> Result<()> {
    check_mailbox(args, mailbox)?;
    let store = open_existing(&args.data_dir).await?;
    let kind_name = greeting_kind_name(kind);
    match file {
        Some(file) => {
            let bytes = read_bounded(file)?;
            let length = store
                .install_greeting(mailbox, kind, bytes)
                .await
                .with_context(|| {
                    format!(
                        "{} was not installed as the {kind_name} greeting of voicemail box \
                         {mailbox}",
                        file.display()
                    )
                })?;
            println!(
                "voicemail box {mailbox}: {kind_name} greeting installed from {} ({:.1} s)",
                file.display(),
                length.as_secs_f64()
            );
        }
        None => {
            if store.remove_greeting(mailbox, kind).await? {
                println!("voicemail box {mailbox}: {kind_name} greeting removed");
            } else {
                println!("voicemail box {mailbox} has no {kind_name} greeting; nothing to remove");
            }
        }
    }
    Ok(())
}

/// Refuses a box the configuration does not have.
fn check_mailbox(args: &ServerArgs, mailbox: &str) -> Result<()> {
    let config = load_config(args)?;
    if config.mailbox(mailbox).is_none() {
        let source = match &args.config {
            Some(path) => format!("the configuration {}", path.display()),
            None => "the embedded demo configuration (no --config given)".to_owned(),
        };
        bail!(
            "{mailbox:?} is no voicemail box of {source}: a box is an extension's number or \
             the name of a [[mailbox]]"
        );
    }
    Ok(())
}

/// The file's bytes, at most one more than a greeting may have: enough for the store to
/// refuse a file too large, without reading all of it.
fn read_bounded(file: &Path) -> Result<Vec<u8>> {
    let cannot_read = || format!("cannot read {}", file.display());
    let opened = File::open(file).with_context(cannot_read)?;
    let mut bytes = Vec::new();
    opened
        .take(MAX_GREETING_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot_read)?;
    Ok(bytes)
}
