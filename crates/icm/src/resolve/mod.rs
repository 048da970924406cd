//! The engine: one lookup of the responsible manager, with no I/O and no clock.
//!
//! A [`Resolver`] holds what outlives a call: the configuration, the cache of answers and
//! each source's circuit breaker. [`Resolver::start`] normalises the caller number and
//! says which source to ask ([`Step::Ask`]); the shell asks it, within the timeout, and
//! feeds the [`Answer`] back to [`Resolver::answer`], until [`Step::Done`] gives the
//! [`Outcome`]. Every decision leaves a line in [`Lookup::trace`], for the operator who
//! asks why the call rang 104.
//!
//! Order of decisions for each configured source, in order:
//! 1. a source whose breaker is open is skipped;
//! 2. a cached answer younger than the cache's time to live is used instead of asking;
//! 3. otherwise the source is asked; a failure or time-out moves on to the next source
//!    and counts towards its breaker, an answer closes the breaker and is cached;
//! 4. a found person is mapped to an extension (the source's user map, then e-mail,
//!    then the user's own extension field); an unmapped person or an excluded extension
//!    (the director, 102) moves on to the next source.
//!
//! ```
//! use std::time::Duration;
//! use sb_icm::resolve::{Answer, Outcome, Resolver, ResolverConfig, Step};
//! use sb_icm::{Employee, Person, SourceId};
//!
//! let mut config = ResolverConfig::new(vec![SourceId::AmoCrm, SourceId::History]);
//! config.exclude.insert("102".into());
//! config.users.entry(SourceId::AmoCrm).or_default().insert("7".into(), "104".into());
//! let mut resolver = Resolver::new(config);
//! let now = "2026-11-23T07:05:00Z".parse().unwrap();
//!
//! let (mut lookup, step) = resolver.start("8 (495) 123-45-67", now);
//! assert_eq!(step, Step::Ask {
//!     source: SourceId::AmoCrm,
//!     number: "+74951234567".into(),
//!     timeout: Duration::from_millis(800),
//! });
//! let person = Person {
//!     found: "contact 123, responsible user 7".into(),
//!     who: Employee::User { id: "7".into(), email: None, extension: None },
//! };
//! let step = resolver.answer(&mut lookup, Answer::Found(person), now);
//! assert_eq!(step, Step::Done(Outcome::Resolved {
//!     extension: "104".into(),
//!     source: SourceId::AmoCrm,
//!     reason: "amoCRM: contact 123, responsible user 7 → ext 104".into(),
//! }));
//! ```

mod breaker;
mod cache;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::number::{Number, NumberPlan};
use crate::person::{Employee, Person, SourceId};
use breaker::Breakers;
use cache::Cache;

/// What the engine needs to decide; [`crate::IcmConfig::resolver_config`] makes it from
/// the TOML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverConfig {
    /// The sources, asked in this order.
    pub order: Vec<SourceId>,
    /// Extensions never chosen (the director, 102).
    pub exclude: BTreeSet<String>,
    /// Per source: CRM user id → extension.
    pub users: BTreeMap<SourceId, BTreeMap<String, String>>,
    /// E-mail (lower case) → extension, for any source.
    pub emails: BTreeMap<String, String>,
    /// How long one source may take before the next is asked.
    pub timeout: Duration,
    /// How long an answer (found or not) is reused without asking again.
    pub cache_ttl: Duration,
    /// Failures in a row that open a source's breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker skips its source.
    pub breaker_cooldown: Duration,
    /// The home numbering the caller number is normalised with.
    pub numbering: NumberPlan,
}

impl ResolverConfig {
    /// The defaults (800 ms, 5 min cache, breaker after 3 failures for 60 s, DEMO.md's
    /// numbering) with these sources and no mappings.
    pub fn new(order: Vec<SourceId>) -> Self {
        ResolverConfig {
            order,
            exclude: BTreeSet::new(),
            users: BTreeMap::new(),
            emails: BTreeMap::new(),
            timeout: Duration::from_millis(800),
            cache_ttl: Duration::from_secs(300),
            breaker_threshold: 3,
            breaker_cooldown: Duration::from_secs(60),
            numbering: NumberPlan::default(),
        }
    }
}

/// What the shell must do next for a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Ask `source` about `number` (E.164) and report its [`Answer`]; report
    /// [`Answer::TimedOut`] when it has not answered within `timeout`.
    Ask {
        /// Whom to ask.
        source: SourceId,
        /// The caller, `+74951234567`.
        number: String,
        /// How long to wait for it.
        timeout: Duration,
    },
    /// The lookup is over.
    Done(Outcome),
}

/// What the source asked by the last [`Step::Ask`] said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// It knows the number and who is responsible.
    Found(Person),
    /// It does not know the number, or nobody is responsible.
    NotFound,
    /// It could not answer; the text says why (`HTTP 500`), never with a secret.
    Failed(String),
    /// It did not answer within the timeout.
    TimedOut,
}

/// How a lookup ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Ring this extension.
    Resolved {
        /// The responsible employee's extension.
        extension: String,
        /// Who said so.
        source: SourceId,
        /// The trace line that decided.
        reason: String,
    },
    /// Nobody is responsible; the caller goes on to the menu.
    NotFound {
        /// Why, one line per source or check.
        reasons: Vec<String>,
    },
}

/// One decision of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEntry {
    /// When it was decided.
    pub at: DateTime<Utc>,
    /// What and why: `amoCRM: contact 123, responsible user 7 → ext 104`.
    pub text: String,
}

/// One caller's lookup in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    number: Option<String>,
    next: usize,
    asking: Option<SourceId>,
    reasons: Vec<String>,
    trace: Vec<TraceEntry>,
    outcome: Option<Outcome>,
}

impl Lookup {
    /// Every decision so far, in order.
    pub fn trace(&self) -> &[TraceEntry] {
        &self.trace
    }

    /// The outcome, once the lookup is over.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The caller in E.164, when the number was an outside one.
    pub fn number(&self) -> Option<&str> {
        self.number.as_deref()
    }

    fn note(&mut self, now: DateTime<Utc>, text: String) {
        self.trace.push(TraceEntry { at: now, text });
    }

    /// A line that is also a reason the lookup found nobody.
    fn reason(&mut self, now: DateTime<Utc>, text: String) {
        self.reasons.push(text.clone());
        self.note(now, text);
    }

    fn finish(&mut self, outcome: Outcome) -> Step {
        self.asking = None;
        self.outcome = Some(outcome.clone());
        Step::Done(outcome)
    }
}

/// Whether `source`'s answers are kept: a CRM's are (it is slow and far away), the PBX's own
/// history's are not — it is a local index seek, and it changes with every call, so a
/// customer who has just spoken with a manager must find that manager on the next call.
fn cacheable(source: SourceId) -> bool {
    source != SourceId::History
}

/// The state shared by all lookups: configuration, cache and breakers.
#[derive(Debug, Clone)]
pub struct Resolver {
    config: ResolverConfig,
    cache: Cache,
    breakers: Breakers,
}

impl Resolver {
    /// An engine with an empty cache and every breaker closed.
    pub fn new(config: ResolverConfig) -> Self {
        Resolver {
            cache: Cache::new(config.cache_ttl),
            breakers: Breakers::new(config.breaker_threshold, config.breaker_cooldown),
            config,
        }
    }

    /// The configuration it decides by.
    pub fn config(&self) -> &ResolverConfig {
        &self.config
    }

    /// Starts the lookup of `caller` as it came from the trunk.
    pub fn start(&mut self, caller: &str, now: DateTime<Utc>) -> (Lookup, Step) {
        let mut lookup = Lookup {
            number: None,
            next: 0,
            asking: None,
            reasons: Vec::new(),
            trace: Vec::new(),
            outcome: None,
        };
        let step = match self.config.numbering.normalise(caller) {
            Ok(Number::E164(number)) => {
                if number == caller.trim() {
                    lookup.note(now, format!("number: {number}"));
                } else {
                    lookup.note(now, format!("number: {} → {number}", caller.trim()));
                }
                lookup.number = Some(number);
                self.advance(&mut lookup, now)
            }
            Ok(Number::Internal(number)) => {
                lookup.reason(now, format!("number: {number} is internal"));
                self.give_up(&mut lookup)
            }
            Err(error) => {
                lookup.reason(now, format!("number: {error}"));
                self.give_up(&mut lookup)
            }
        };
        (lookup, step)
    }

    /// Takes the answer of the source asked last. An answer when none was asked for (a
    /// late one after the lookup ended) changes nothing and repeats the last step.
    pub fn answer(&mut self, lookup: &mut Lookup, answer: Answer, now: DateTime<Utc>) -> Step {
        let (Some(source), Some(number)) = (lookup.asking.take(), lookup.number.clone()) else {
            return match &lookup.outcome {
                Some(outcome) => Step::Done(outcome.clone()),
                None => self.advance(lookup, now),
            };
        };
        match answer {
            Answer::Found(person) => {
                self.answered(lookup, source, now);
                if cacheable(source) {
                    self.cache
                        .insert(source, &number, Some(person.clone()), now);
                }
                if let Some(step) = self.found(lookup, source, &person, "", now) {
                    return step;
                }
            }
            Answer::NotFound => {
                self.answered(lookup, source, now);
                if cacheable(source) {
                    self.cache.insert(source, &number, None, now);
                }
                lookup.reason(now, format!("{source}: not found"));
            }
            Answer::Failed(why) => {
                lookup.reason(now, format!("{source}: failed: {why}"));
                self.failed(lookup, source, now);
            }
            Answer::TimedOut => {
                let ms = self.config.timeout.as_millis();
                lookup.reason(now, format!("{source}: timed out after {ms} ms"));
                self.failed(lookup, source, now);
            }
        }
        self.advance(lookup, now)
    }

    /// Goes down the order from `lookup.next` until a source must be asked or the list
    /// ends.
    fn advance(&mut self, lookup: &mut Lookup, now: DateTime<Utc>) -> Step {
        let Some(number) = lookup.number.clone() else {
            return self.give_up(lookup);
        };
        while let Some(&source) = self.config.order.get(lookup.next) {
            lookup.next += 1;
            if let Some(why) = self.breakers.skip(source, now) {
                lookup.reason(now, format!("{source}: skipped, {why}"));
                continue;
            }
            match self.cache.get(source, &number, now) {
                Some(Some(person)) => {
                    if let Some(step) = self.found(lookup, source, &person, " (cached)", now) {
                        return step;
                    }
                }
                Some(None) => lookup.reason(now, format!("{source}: not found (cached)")),
                None => {
                    lookup.asking = Some(source);
                    return Step::Ask {
                        source,
                        number,
                        timeout: self.config.timeout,
                    };
                }
            }
        }
        self.give_up(lookup)
    }

    fn give_up(&mut self, lookup: &mut Lookup) -> Step {
        if self.config.order.is_empty() && lookup.number.is_some() {
            lookup.reasons.push("no sources configured".to_owned());
        }
        let reasons = lookup.reasons.clone();
        lookup.finish(Outcome::NotFound { reasons })
    }

    /// Maps a found person to an extension; `Some` when that ends the lookup.
    fn found(
        &mut self,
        lookup: &mut Lookup,
        source: SourceId,
        person: &Person,
        cached: &str,
        now: DateTime<Utc>,
    ) -> Option<Step> {
        let line = format!("{source}{cached}: {}", person.found);
        let (extension, line) = match self.map(source, &person.who) {
            Ok((extension, how)) => (extension, format!("{line}{how}")),
            Err(why) => {
                lookup.reason(now, format!("{line} → {why}"));
                return None;
            }
        };
        lookup.note(now, line.clone());
        if self.config.exclude.contains(&extension) {
            lookup.reason(now, format!("excluded: {extension}"));
            return None;
        }
        Some(lookup.finish(Outcome::Resolved {
            extension,
            source,
            reason: line,
        }))
    }

    /// The extension of an employee, and the trace's ` → ext 104` telling how it was
    /// found; or why none was.
    fn map(&self, source: SourceId, who: &Employee) -> Result<(String, String), String> {
        match who {
            Employee::Extension(extension) => Ok((extension.clone(), String::new())),
            Employee::User {
                id,
                email,
                extension,
            } => {
                if let Some(ext) = self.config.users.get(&source).and_then(|m| m.get(id)) {
                    return Ok((ext.clone(), format!(" → ext {ext}")));
                }
                if let Some(found) = email.as_deref().and_then(|e| self.by_email(e)) {
                    return Ok(found);
                }
                if let Some(ext) = extension.as_deref().filter(|e| !e.is_empty()) {
                    return Ok((ext.to_owned(), format!(" → ext {ext} (the user's own)")));
                }
                Err(format!("user {id} is not mapped to an extension"))
            }
            Employee::Email(email) => self
                .by_email(email)
                .ok_or_else(|| format!("no extension for {email}")),
        }
    }

    fn by_email(&self, email: &str) -> Option<(String, String)> {
        let key = email.trim().to_lowercase();
        self.config
            .emails
            .get(&key)
            .map(|ext| (ext.clone(), format!(" → {key} → ext {ext}")))
    }

    fn answered(&mut self, lookup: &mut Lookup, source: SourceId, now: DateTime<Utc>) {
        if self.breakers.success(source) {
            lookup.note(now, format!("{source}: answers again, circuit closed"));
        }
    }

    fn failed(&mut self, lookup: &mut Lookup, source: SourceId, now: DateTime<Utc>) {
        if let Some(why) = self.breakers.failure(source, now) {
            lookup.note(now, format!("{source}: circuit opened, {why}"));
        }
    }
}

#[cfg(test)]
mod tests;
