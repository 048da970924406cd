//! Loading a new configuration into the running PBX (SIGHUP, `POST /api/reload`).

use anyhow::{anyhow, Result};
use sb_sip::SipStatus;
use std::path::Path;

/// Reads, validates and applies `path`; calls in progress finish on the version they
/// started with. Any error leaves the running configuration as it was.
pub fn reload_file(status: &SipStatus, path: &Path) -> Result<()> {
    let config = sb_config::load_file(path)
        .map_err(|errors| anyhow!("invalid configuration {}:\n{errors}", path.display()))?;
    status.reload(config)?;
    Ok(())
}
