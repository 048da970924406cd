//! The location service: which devices are registered for each extension, and until when.
//!
//! Pure state with an injected clock (`now`), so expiry, refresh and limits are tested
//! without sockets. The registrar feeds it REGISTER requests; the B2BUA asks it where to ring.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How many devices one extension may register at once: bounds memory per extension
/// against a client that registers a new Contact on every refresh.
pub const MAX_BINDINGS_PER_EXTENSION: usize = 10;

/// One registered device of an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI as the device sent it (used as the Request-URI when we call it).
    pub contact: String,
    /// Where the REGISTER actually came from: behind NAT the Contact names a private
    /// address, so requests to the device go to this source instead (RFC 3581 spirit).
    pub source: SocketAddr,
    /// The transport the device registered over (`UDP`, `TCP`); calls to it use the same.
    pub transport: String,
    pub call_id: String,
    pub cseq: u32,
    pub user_agent: Option<String>,
    pub expires_at: Instant,
}

impl Binding {
    /// Seconds left before the binding lapses, as the 200 OK reports it.
    pub fn remaining_secs(&self, now: Instant) -> u64 {
        self.expires_at.saturating_duration_since(now).as_secs()
    }
}

/// What a REGISTER asks for one Contact.
#[derive(Debug, Clone)]
pub struct ContactUpdate {
    pub contact: String,
    pub expires: Duration,
}

/// Why a REGISTER could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// RFC 3261 §10.3 step 7: a request with an older CSeq in the same Call-ID is stale.
    #[error("out-of-order REGISTER (CSeq {got} after {had})")]
    OutOfOrder { had: u32, got: u32 },
    #[error(
        "too many registered devices for this extension (at most {MAX_BINDINGS_PER_EXTENSION})"
    )]
    TooManyBindings,
}

/// Registered devices by extension.
#[derive(Debug, Default)]
pub struct Location {
    bindings: HashMap<String, Vec<Binding>>,
}

/// The fields of a REGISTER that identify the registering device and its request.
#[derive(Debug, Clone)]
pub struct RegisterSource {
    pub source: SocketAddr,
    pub transport: String,
    pub call_id: String,
    pub cseq: u32,
    pub user_agent: Option<String>,
}

impl Location {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a REGISTER's contacts (expires zero removes one) and returns the live bindings.
    pub fn register(
        &mut self,
        extension: &str,
        from: &RegisterSource,
        updates: &[ContactUpdate],
        now: Instant,
    ) -> Result<Vec<Binding>, LocationError> {
        let mut list = self.bindings.remove(extension).unwrap_or_default();
        list.retain(|b| b.expires_at > now);
        let result = Self::apply(&mut list, from, updates, now);
        if !list.is_empty() {
            self.bindings.insert(extension.to_string(), list.clone());
        }
        result.map(|()| list)
    }

    fn apply(
        list: &mut Vec<Binding>,
        from: &RegisterSource,
        updates: &[ContactUpdate],
        now: Instant,
    ) -> Result<(), LocationError> {
        for update in updates {
            if let Some(existing) = list.iter().find(|b| b.contact == update.contact) {
                if existing.call_id == from.call_id && from.cseq <= existing.cseq {
                    return Err(LocationError::OutOfOrder {
                        had: existing.cseq,
                        got: from.cseq,
                    });
                }
            }
        }
        let mut next = list.clone();
        for update in updates {
            next.retain(|b| b.contact != update.contact);
            if update.expires.is_zero() {
                continue;
            }
            next.push(Binding {
                contact: update.contact.clone(),
                source: from.source,
                transport: from.transport.clone(),
                call_id: from.call_id.clone(),
                cseq: from.cseq,
                user_agent: from.user_agent.clone(),
                expires_at: now + update.expires,
            });
        }
        if next.len() > MAX_BINDINGS_PER_EXTENSION {
            return Err(LocationError::TooManyBindings);
        }
        *list = next;
        Ok(())
    }

    /// `Contact: *` with `Expires: 0`: the device logs every binding of the extension out.
    pub fn remove_all(&mut self, extension: &str) {
        self.bindings.remove(extension);
    }

    /// The live bindings of an extension, the devices a call to it rings.
    pub fn lookup(&self, extension: &str, now: Instant) -> Vec<Binding> {
        self.bindings
            .get(extension)
            .map(|list| {
                list.iter()
                    .filter(|b| b.expires_at > now)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every live binding with its extension, for the API and the console.
    pub fn all(&self, now: Instant) -> Vec<(String, Binding)> {
        self.bindings
            .iter()
            .flat_map(|(ext, list)| {
                list.iter()
                    .filter(move |b| b.expires_at > now)
                    .map(move |b| (ext.clone(), b.clone()))
            })
            .collect()
    }

    /// Drops lapsed bindings; the server calls it periodically so memory follows live devices.
    pub fn purge(&mut self, now: Instant) {
        self.bindings.retain(|_, list| {
            list.retain(|b| b.expires_at > now);
            !list.is_empty()
        });
    }

    /// Number of extensions with at least one live device.
    pub fn registered_extensions(&self, now: Instant) -> usize {
        self.bindings
            .values()
            .filter(|list| list.iter().any(|b| b.expires_at > now))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(call_id: &str, cseq: u32) -> RegisterSource {
        RegisterSource {
            source: "127.0.0.1:5070".parse().unwrap(),
            transport: "UDP".into(),
            call_id: call_id.into(),
            cseq,
            user_agent: None,
        }
    }

    fn update(contact: &str, secs: u64) -> ContactUpdate {
        ContactUpdate {
            contact: contact.into(),
            expires: Duration::from_secs(secs),
        }
    }

    #[test]
    fn binding_lapses_at_expiry() {
        let t0 = Instant::now();
        let mut loc = Location::new();
        loc.register("101", &source("a", 1), &[update("sip:101@h1", 60)], t0)
            .unwrap();
        assert_eq!(loc.lookup("101", t0 + Duration::from_secs(59)).len(), 1);
        assert!(loc.lookup("101", t0 + Duration::from_secs(60)).is_empty());
    }

    #[test]
    fn refresh_extends_and_keeps_one_binding() {
        let t0 = Instant::now();
        let mut loc = Location::new();
        loc.register("101", &source("a", 1), &[update("sip:101@h1", 60)], t0)
            .unwrap();
        let t1 = t0 + Duration::from_secs(50);
        let list = loc
            .register("101", &source("a", 2), &[update("sip:101@h1", 60)], t1)
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].remaining_secs(t1), 60);
        assert_eq!(loc.lookup("101", t0 + Duration::from_secs(100)).len(), 1);
    }

    #[test]
    fn several_devices_and_unregister_one() {
        let t0 = Instant::now();
        let mut loc = Location::new();
        loc.register("101", &source("a", 1), &[update("sip:101@h1", 60)], t0)
            .unwrap();
        loc.register("101", &source("b", 1), &[update("sip:101@h2", 60)], t0)
            .unwrap();
        assert_eq!(loc.lookup("101", t0).len(), 2);
        loc.register("101", &source("a", 2), &[update("sip:101@h1", 0)], t0)
            .unwrap();
        let left = loc.lookup("101", t0);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].contact, "sip:101@h2");
    }

    #[test]
    fn stale_cseq_is_refused() {
        let t0 = Instant::now();
        let mut loc = Location::new();
        loc.register("101", &source("a", 5), &[update("sip:101@h1", 60)], t0)
            .unwrap();
        let err = loc
            .register("101", &source("a", 4), &[update("sip:101@h1", 60)], t0)
            .unwrap_err();
        assert_eq!(err, LocationError::OutOfOrder { had: 5, got: 4 });
    }

    #[test]
    fn binding_count_is_bounded() {
        let t0 = Instant::now();
        let mut loc = Location::new();
        for i in 0..MAX_BINDINGS_PER_EXTENSION {
            loc.register(
                "101",
                &source(&format!("c{i}"), 1),
                &[update(&format!("sip:101@h{i}"), 60)],
                t0,
            )
            .unwrap();
        }
        let err = loc
            .register("101", &source("x", 1), &[update("sip:101@hx", 60)], t0)
            .unwrap_err();
        assert_eq!(err, LocationError::TooManyBindings);
        assert_eq!(loc.lookup("101", t0).len(), MAX_BINDINGS_PER_EXTENSION);
    }

    #[test]
    fn remove_all_and_purge() {
        let t0 = Instant::now();
        let mut loc = Location::new();
        loc.register("101", &source("a", 1), &[update("sip:101@h1", 60)], t0)
            .unwrap();
        loc.register("102", &source("b", 1), &[update("sip:102@h1", 10)], t0)
            .unwrap();
        assert_eq!(loc.all(t0).len(), 2);
        loc.remove_all("101");
        assert!(loc.lookup("101", t0).is_empty());
        loc.purge(t0 + Duration::from_secs(11));
        assert_eq!(loc.registered_extensions(t0), 0);
    }
}
