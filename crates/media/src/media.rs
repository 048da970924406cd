//! The media service shared by all calls: the configuration and the port pool.

use crate::ports::PortPool;
use crate::{Bridge, MediaConfig, MediaError};
use std::sync::Arc;

/// Anchored media for every call; cheap to clone (one shared pool behind an `Arc`).
#[derive(Debug, Clone)]
pub struct Media {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: MediaConfig,
    pool: Arc<PortPool>,
}

impl Media {
    /// Checks the configuration (a range holding at least one call, a non-zero timeout, an
    /// advertised address phones can send to); binds nothing yet.
    pub fn new(config: MediaConfig) -> Result<Media, MediaError> {
        let range = config.validate()?;
        let pool = PortPool::new(config.bind_ip, range);
        Ok(Media {
            inner: Arc::new(Inner { config, pool }),
        })
    }

    /// Opens the media of one call: binds an RTP/RTCP port pair for each leg and starts
    /// relaying between them. Fails with [`MediaError::Exhausted`] when the range has no two
    /// free pairs. Must be called within a tokio runtime.
    pub async fn open_bridge(&self) -> Result<Bridge, MediaError> {
        let caller = self.inner.pool.allocate()?;
        let callee = self.inner.pool.allocate()?;
        let config = &self.inner.config;
        Ok(Bridge::start(
            config.advertise_ip,
            config.inactivity_timeout,
            caller,
            callee,
        ))
    }

    /// The configuration, for the endpoint module's `open_endpoint`.
    pub(crate) fn config(&self) -> &MediaConfig {
        &self.inner.config
    }

    /// The port pool, for the endpoint module's `open_endpoint`.
    pub(crate) fn pool(&self) -> &Arc<PortPool> {
        &self.inner.pool
    }

    /// Ports held by open bridges (four per call) and endpoints (two each): a gauge for
    /// monitoring, and for tests that ports come back when bridges and endpoints are dropped.
    pub fn ports_in_use(&self) -> usize {
        self.inner.pool.ports_in_use()
    }
}
