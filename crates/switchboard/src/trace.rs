//! `switchboard trace CALL_ID`: one call from the database, with the routing trace of its
//! scenario, as `sb_store::format_trace` renders it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use sb_store::{Store, DATABASE_FILE, MIN_ID_PREFIX};

use crate::cli::ServerArgs;

/// Prints the call `key` names (its id, its SIP Call-ID, or a unique beginning of its id)
/// from the database in `--data-dir`. A call that is not there, an ambiguous prefix, or a
/// data directory without a database is an error, which the caller turns into exit code 1.
pub async fn print_trace(args: &ServerArgs, key: &str) -> Result<()> {
    let store = open_existing(&args.data_dir).await?;
    // The store's errors name their cause (an ambiguous prefix lists the candidates).
    let record = store.find_call(key).await?;
    let Some(record) = record else {
        bail!(
            "no call {key:?} in {}: it is neither a call id, a SIP Call-ID, nor the first \
             {MIN_ID_PREFIX} or more characters of a call id (`switchboard calls` lists the ids)",
            args.data_dir.join(DATABASE_FILE).display()
        );
    };
    print!("{}", sb_store::format_trace(&record));
    Ok(())
}

/// Opens the database in `data_dir`, refusing to create one: a mistyped `--data-dir` should
/// say so, not leave an empty database behind and report the call missing.
pub(crate) async fn open_existing(data_dir: &Path) -> Result<Store> {
    let file = data_dir.join(DATABASE_FILE);
    if !file.is_file() {
        bail!(
            "no database {} (is --data-dir right? the PBX creates it on its first start)",
            file.display()
        );
    }
    Store::open(data_dir)
        .await
        .with_context(|| format!("cannot open the database in {}", data_dir.display()))
}
