//! The time source of pacing, injectable so that tests can run ten minutes of playout in
//! milliseconds and make the timer late on purpose.

use std::future::Future;
use tokio::time::Instant;

/// A monotonic clock that can wait for a deadline.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;

    /// Completes at `deadline` or, as timers do, somewhat after it.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send;
}

/// The runtime's clock: [`Instant::now`] and [`tokio::time::sleep_until`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send {
        tokio::time::sleep_until(deadline)
    }
}
