//! The shell: drives the [`Resolver`] with real sources, time limits and a clock.
//!
//! It holds the engine behind a mutex taken only for the engine's synchronous steps,
//! never across a request, so concurrent calls share one cache and one set of breakers
//! while their requests run in parallel.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{ConfigError, ConfigErrors, IcmConfig};
use crate::person::SourceId;
use crate::resolve::{Answer, Outcome, Resolver, Step, TraceEntry};
use crate::source::{
    AmoCrm, Bitrix24, CallHistory, GenericHttp, HistorySource, HttpClient, Megaplan, Source,
    SourceError,
};

/// The PBX's clock: the real time, or a test's or a demonstration's.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The real clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// What one lookup ended with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The extension to ring, or why there is none.
    pub outcome: Outcome,
    /// Every decision, for the call's routing trace.
    pub trace: Vec<TraceEntry>,
}

impl Resolution {
    /// The extension, when one was found.
    pub fn extension(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Resolved { extension, .. } => Some(extension),
            Outcome::NotFound { .. } => None,
        }
    }
}

/// The responsible-manager service.
pub struct Icm {
    resolver: Mutex<Resolver>,
    sources: BTreeMap<SourceId, Arc<dyn Source>>,
    clock: Clock,
}

impl Icm {
    /// A service over these sources; a source the engine asks for but absent here
    /// answers "failed: not configured".
    pub fn new(
        resolver: Resolver,
        sources: impl IntoIterator<Item = (SourceId, Arc<dyn Source>)>,
        clock: Clock,
    ) -> Self {
        Icm {
            resolver: Mutex::new(resolver),
            sources: sources.into_iter().collect(),
            clock,
        }
    }

    /// Builds the sources `[icm]` lists. `history` is the store's call history; without
    /// it, listing `history` in `order` is an error.
    pub fn from_config(
        config: &IcmConfig,
        history: Option<Arc<dyn CallHistory>>,
        clock: Clock,
    ) -> Result<Self, ConfigErrors> {
        config.check()?;
        let fail = |path: &str, message: String| {
            ConfigErrors(vec![ConfigError {
                path: path.to_owned(),
                message,
            }])
        };
        // `check` refused these already; kept as errors rather than panics.
        let missing = |source: SourceId| {
            fail(
                "icm.order",
                format!("{} has no [icm.{}] table", source.key(), source.key()),
            )
        };
        let http = HttpClient::new(config.timeout()).map_err(|e| fail("icm", e.to_string()))?;
        let mut sources: Vec<(SourceId, Arc<dyn Source>)> = Vec::new();
        for source in &config.order {
            let built: Arc<dyn Source> = match source {
                SourceId::History => {
                    let history = history
                        .clone()
                        .ok_or_else(|| fail("icm.order", "no call history to read".into()))?;
                    let days = u64::from(config.history.window_days);
                    let window = Duration::from_secs(days * 24 * 3600);
                    Arc::new(HistorySource::new(history, window, clock.clone()))
                }
                SourceId::AmoCrm => {
                    let Some(amo) = &config.amocrm else {
                        return Err(missing(*source));
                    };
                    let url = crate::source::http_checks::base_url(&amo.url)
                        .map_err(|e| fail("icm.amocrm.url", e))?;
                    let mapped = amo.users.keys().cloned().collect();
                    Arc::new(AmoCrm::new(
                        url,
                        amo.token.clone(),
                        mapped,
                        amo.fetch_emails,
                        http.clone(),
                    ))
                }
                SourceId::Bitrix24 => {
                    let Some(b) = &config.bitrix24 else {
                        return Err(missing(*source));
                    };
                    let mapped = b.users.keys().cloned().collect();
                    Arc::new(Bitrix24::new(
                        b.webhook.clone(),
                        mapped,
                        b.fetch_users,
                        http.clone(),
                    ))
                }
                SourceId::Megaplan => {
                    let Some(m) = &config.megaplan else {
                        return Err(missing(*source));
                    };
                    let url = crate::source::http_checks::base_url(&m.url)
                        .map_err(|e| fail("icm.megaplan.url", e))?;
                    Arc::new(Megaplan::new(url, m.token.clone(), http.clone()))
                }
                SourceId::Http => {
                    let Some(h) = &config.http else {
                        return Err(missing(*source));
                    };
                    Arc::new(GenericHttp::new(
                        h.url.clone(),
                        h.token.clone(),
                        http.clone(),
                    ))
                }
            };
            sources.push((*source, built));
        }
        Ok(Icm::new(
            Resolver::new(config.resolver_config()),
            sources,
            clock,
        ))
    }

    /// Finds who is responsible for `caller` (as the trunk sent it).
    pub async fn resolve(&self, caller: &str) -> Resolution {
        let (mut lookup, mut step) = self.engine().start(caller, (self.clock)());
        loop {
            match step {
                Step::Done(outcome) => {
                    for entry in lookup.trace() {
                        tracing::debug!(caller, "icm: {}", entry.text);
                    }
                    return Resolution {
                        outcome,
                        trace: lookup.trace().to_vec(),
                    };
                }
                Step::Ask {
                    source,
                    number,
                    timeout,
                } => {
                    let answer = self.ask(source, &number, timeout).await;
                    step = self.engine().answer(&mut lookup, answer, (self.clock)());
                }
            }
        }
    }

    async fn ask(&self, source: SourceId, number: &str, timeout: Duration) -> Answer {
        let Some(adapter) = self.sources.get(&source) else {
            return Answer::Failed("not configured".to_owned());
        };
        match tokio::time::timeout(timeout, adapter.lookup(number)).await {
            Err(_) | Ok(Err(SourceError::Timeout)) => Answer::TimedOut,
            Ok(Err(error)) => {
                tracing::warn!(%source, %error, "icm: source failed");
                Answer::Failed(error.to_string())
            }
            Ok(Ok(Some(person))) => Answer::Found(person),
            Ok(Ok(None)) => Answer::NotFound,
        }
    }

    fn engine(&self) -> std::sync::MutexGuard<'_, Resolver> {
        // The engine's steps do not panic midway; a poisoned lock still holds a
        // consistent cache and breakers.
        self.resolver.lock().unwrap_or_else(|p| p.into_inner())
    }
}
