//! The table of message-summary subscriptions: which device watches which mailbox, until
//! when, and the dialog state each NOTIFY needs (RFC 6665 §4.2.1, notifier side).
//!
//! Pure state with an injected `now`, like the location service, so expiry, refresh order,
//! eviction and the caps are tested without sockets. The SUBSCRIBE handler feeds it; the
//! notifier asks it whom to tell.

use rsipstack::sip::{Transport, Uri};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

/// How many subscriptions one mailbox may have: a phone that re-subscribes in a new dialog
/// on every refresh (some do) cannot grow the table without bound.
pub(crate) const MAX_SUBSCRIPTIONS_PER_EXTENSION: usize = 10;

/// How many subscriptions the PBX keeps in all, whatever the number of extensions.
pub(crate) const MAX_SUBSCRIPTIONS: usize = 10_000;

/// A subscription dialog, as RFC 3261 §12 identifies it from the notifier's side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DialogKey {
    pub call_id: String,
    /// The subscriber's tag (the SUBSCRIBE's From tag).
    pub remote_tag: String,
    /// Our tag (the To tag of our 200).
    pub local_tag: String,
}

/// Where a device is reached: the address its request came from, over the transport it
/// used. Behind NAT the Contact names a private address, so requests go here instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Peer {
    pub addr: SocketAddr,
    pub transport: Transport,
}

/// One device subscribed to one mailbox.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub key: DialogKey,
    /// The mailbox watched, which is the subscriber's own extension.
    pub extension: String,
    /// The subscriber's Contact: the Request-URI of our NOTIFYs.
    pub remote_target: Uri,
    pub peer: Peer,
    /// Our side of the dialog (the SUBSCRIBE's To with our tag): our NOTIFYs' From.
    pub local: String,
    /// The subscriber's side (the SUBSCRIBE's From): our NOTIFYs' To.
    pub remote: String,
    /// The SUBSCRIBE's Record-Route values, in order: our NOTIFYs' Route.
    pub route_set: Vec<String>,
    pub expires_at: Instant,
    /// The CSeq of the last SUBSCRIBE accepted in this dialog.
    pub remote_cseq: u32,
    /// The CSeq of our last NOTIFY in this dialog (0 before the first).
    pub local_cseq: u32,
}

impl Subscription {
    /// The next NOTIFY of this dialog, its CSeq taken.
    fn notify(&mut self, state: State) -> NotifyTarget {
        self.local_cseq = self.local_cseq.wrapping_add(1);
        NotifyTarget {
            key: self.key.clone(),
            extension: self.extension.clone(),
            request_uri: self.remote_target.clone(),
            peer: self.peer.clone(),
            from: self.local.clone(),
            to: self.remote.clone(),
            route_set: self.route_set.clone(),
            cseq: self.local_cseq,
            state,
        }
    }

    /// The only NOTIFY of a subscription that ends as it starts (`Expires: 0`, a fetch).
    pub fn into_final_notify(mut self) -> NotifyTarget {
        self.notify(State::Terminated)
    }

    /// `active` with the seconds left, rounded up: a subscription granted 600 s is
    /// reported as 600 in the NOTIFY that follows the 200 at once.
    fn active_state(&self, now: Instant) -> State {
        let left = self.expires_at.saturating_duration_since(now);
        let expires_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        State::Active { expires_secs }
    }

    fn is_live(&self, now: Instant) -> bool {
        self.expires_at > now
    }
}

/// The `Subscription-State` of a NOTIFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Active {
        expires_secs: u64,
    },
    /// The subscription is over: the subscriber ended it or let it lapse.
    Terminated,
}

impl State {
    /// The header value. RFC 6665 §4.1.3 lets a subscriber re-subscribe after
    /// `reason=timeout`, which is what a phone that still wants the lamp should do.
    pub fn header_value(self) -> String {
        match self {
            State::Active { expires_secs } => format!("active;expires={expires_secs}"),
            State::Terminated => "terminated;reason=timeout".into(),
        }
    }
}

/// Everything needed to send one NOTIFY in a subscription dialog.
#[derive(Debug, Clone)]
pub(crate) struct NotifyTarget {
    pub key: DialogKey,
    pub extension: String,
    pub request_uri: Uri,
    pub peer: Peer,
    pub from: String,
    pub to: String,
    pub route_set: Vec<String>,
    pub cseq: u32,
    pub state: State,
}

/// Why a new subscription was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SubscribeError {
    #[error("too many subscriptions (at most {MAX_SUBSCRIPTIONS})")]
    Full,
}

/// Why a SUBSCRIBE in an existing dialog was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RefreshError {
    /// No such dialog (ended, lapsed, or never ours): 481.
    #[error("no such subscription")]
    Unknown,
    /// RFC 3261 §12.2.2: a lower CSeq than the last accepted one: 500.
    #[error("out-of-order SUBSCRIBE (CSeq {got} after {had})")]
    OutOfOrder { had: u32, got: u32 },
}

/// Subscriptions by dialog, with the caps.
#[derive(Debug)]
pub(crate) struct Subscriptions {
    table: HashMap<DialogKey, Subscription>,
    per_extension: usize,
    total: usize,
}

impl Default for Subscriptions {
    fn default() -> Self {
        Subscriptions::with_caps(MAX_SUBSCRIPTIONS_PER_EXTENSION, MAX_SUBSCRIPTIONS)
    }
}

impl Subscriptions {
    pub fn with_caps(per_extension: usize, total: usize) -> Self {
        Subscriptions {
            table: HashMap::new(),
            per_extension,
            total,
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// The mailbox a live dialog watches.
    pub fn extension_of(&self, key: &DialogKey, now: Instant) -> Option<&str> {
        self.table
            .get(key)
            .filter(|s| s.is_live(now))
            .map(|s| s.extension.as_str())
    }

    /// Adds a new subscription. When its mailbox already has the most it may, the one
    /// closest to lapsing gives way and is returned: the newest SUBSCRIBE comes from a
    /// device that is surely alive, and a phone that re-subscribes in fresh dialogs must
    /// not lock itself out. When the whole table is full, the new one is refused.
    pub fn insert(
        &mut self,
        subscription: Subscription,
        now: Instant,
    ) -> Result<Option<Subscription>, SubscribeError> {
        if self.table.contains_key(&subscription.key) {
            self.table.insert(subscription.key.clone(), subscription);
            return Ok(None);
        }
        let mut evicted = None;
        let same_box = self
            .table
            .values()
            .filter(|s| s.extension == subscription.extension)
            .count();
        if same_box >= self.per_extension {
            let oldest = self
                .table
                .values()
                .filter(|s| s.extension == subscription.extension)
                .min_by_key(|s| s.expires_at)
                .map(|s| s.key.clone());
            evicted = oldest.and_then(|key| self.table.remove(&key));
        } else if self.table.len() >= self.total {
            self.table.retain(|_, s| s.is_live(now));
            if self.table.len() >= self.total {
                return Err(SubscribeError::Full);
            }
        }
        self.table.insert(subscription.key.clone(), subscription);
        Ok(evicted)
    }

    /// A SUBSCRIBE in the dialog asking for more time; a new Contact becomes the target.
    pub fn refresh(
        &mut self,
        key: &DialogKey,
        cseq: u32,
        remote_target: Option<Uri>,
        expires_at: Instant,
        now: Instant,
    ) -> Result<(), RefreshError> {
        let subscription = self.live_mut(key, cseq, now)?;
        subscription.remote_cseq = cseq;
        subscription.expires_at = expires_at;
        if let Some(target) = remote_target {
            subscription.remote_target = target;
        }
        Ok(())
    }

    /// `Expires: 0` in the dialog: the subscription ends; returns its final NOTIFY.
    pub fn unsubscribe(
        &mut self,
        key: &DialogKey,
        cseq: u32,
        now: Instant,
    ) -> Result<NotifyTarget, RefreshError> {
        self.live_mut(key, cseq, now)?;
        let mut subscription = self.table.remove(key).ok_or(RefreshError::Unknown)?;
        Ok(subscription.notify(State::Terminated))
    }

    fn live_mut(
        &mut self,
        key: &DialogKey,
        cseq: u32,
        now: Instant,
    ) -> Result<&mut Subscription, RefreshError> {
        let subscription = self
            .table
            .get_mut(key)
            .filter(|s| s.is_live(now))
            .ok_or(RefreshError::Unknown)?;
        if cseq <= subscription.remote_cseq {
            return Err(RefreshError::OutOfOrder {
                had: subscription.remote_cseq,
                got: cseq,
            });
        }
        Ok(subscription)
    }

    /// Drops a subscription whose subscriber is gone (481 or no answer to a NOTIFY).
    pub fn remove(&mut self, key: &DialogKey) -> Option<Subscription> {
        self.table.remove(key)
    }

    /// The next NOTIFY of one live subscription (after a SUBSCRIBE or a refresh).
    pub fn target(&mut self, key: &DialogKey, now: Instant) -> Option<NotifyTarget> {
        let subscription = self.table.get_mut(key).filter(|s| s.is_live(now))?;
        let state = subscription.active_state(now);
        Some(subscription.notify(state))
    }

    /// The next NOTIFY of every live subscription to `extension`'s mailbox.
    pub fn targets_for(&mut self, extension: &str, now: Instant) -> Vec<NotifyTarget> {
        self.table
            .values_mut()
            .filter(|s| s.extension == extension && s.is_live(now))
            .map(|s| {
                let state = s.active_state(now);
                s.notify(state)
            })
            .collect()
    }

    /// Whether the device registered with `contact` from `addr` already watches
    /// `extension`'s mailbox, and so needs no unsolicited NOTIFY.
    pub fn covers(&self, extension: &str, contact: &str, addr: SocketAddr, now: Instant) -> bool {
        self.table.values().any(|s| {
            s.extension == extension
                && s.is_live(now)
                && (s.peer.addr == addr || s.remote_target.to_string() == contact)
        })
    }

    /// Removes the subscriptions that lapsed, returning the final NOTIFY of each
    /// (RFC 6665 §4.2.2: the notifier tells the subscriber its subscription ended).
    pub fn sweep(&mut self, now: Instant) -> Vec<NotifyTarget> {
        let lapsed: Vec<DialogKey> = self
            .table
            .values()
            .filter(|s| !s.is_live(now))
            .map(|s| s.key.clone())
            .collect();
        lapsed
            .iter()
            .filter_map(|key| self.table.remove(key))
            .map(|mut s| s.notify(State::Terminated))
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    pub(crate) fn subscription(
        extension: &str,
        call_id: &str,
        addr: SocketAddr,
        expires_at: Instant,
    ) -> Subscription {
        Subscription {
            key: DialogKey {
                call_id: call_id.into(),
                remote_tag: "phone".into(),
                local_tag: "pbx".into(),
            },
            extension: extension.into(),
            remote_target: Uri::try_from(format!("sip:{extension}@{addr}").as_str()).expect("uri"),
            peer: Peer {
                addr,
                transport: Transport::Udp,
            },
            local: format!("<sip:{extension}@pbx>;tag=pbx"),
            remote: format!("<sip:{extension}@pbx>;tag=phone"),
            route_set: Vec::new(),
            expires_at,
            remote_cseq: 1,
            local_cseq: 0,
        }
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn notifies_count_their_cseq_and_report_time_left() {
        let t0 = Instant::now();
        let mut subs = Subscriptions::default();
        let sub = subscription("101", "a", addr(5070), t0 + Duration::from_secs(600));
        let key = sub.key.clone();
        subs.insert(sub, t0).unwrap();
        let first = subs.target(&key, t0).unwrap();
        assert_eq!(first.cseq, 1);
        assert_eq!(first.state, State::Active { expires_secs: 600 });
        assert_eq!(first.state.header_value(), "active;expires=600");
        let later = subs.targets_for("101", t0 + Duration::from_secs(100));
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].cseq, 2);
        assert_eq!(later[0].state, State::Active { expires_secs: 500 });
        assert!(subs.targets_for("102", t0).is_empty());
    }

    #[test]
    fn refresh_extends_and_checks_order() {
        let t0 = Instant::now();
        let mut subs = Subscriptions::default();
        let sub = subscription("101", "a", addr(5070), t0 + Duration::from_secs(60));
        let key = sub.key.clone();
        subs.insert(sub, t0).unwrap();
        let t1 = t0 + Duration::from_secs(50);
        subs.refresh(&key, 2, None, t1 + Duration::from_secs(60), t1)
            .unwrap();
        assert_eq!(
            subs.extension_of(&key, t0 + Duration::from_secs(100)),
            Some("101")
        );
        assert_eq!(
            subs.refresh(&key, 2, None, t1, t1),
            Err(RefreshError::OutOfOrder { had: 2, got: 2 })
        );
        let other = DialogKey {
            call_id: "zzz".into(),
            ..key.clone()
        };
        assert_eq!(
            subs.refresh(&other, 9, None, t1, t1),
            Err(RefreshError::Unknown)
        );
    }

    #[test]
    fn unsubscribe_ends_with_a_terminated_notify() {
        let t0 = Instant::now();
        let mut subs = Subscriptions::default();
        let sub = subscription("101", "a", addr(5070), t0 + Duration::from_secs(60));
        let key = sub.key.clone();
        subs.insert(sub, t0).unwrap();
        subs.target(&key, t0).unwrap();
        let last = subs.unsubscribe(&key, 2, t0).unwrap();
        assert_eq!(last.state, State::Terminated);
        assert_eq!(last.state.header_value(), "terminated;reason=timeout");
        assert_eq!(last.cseq, 2);
        assert_eq!(subs.len(), 0);
        assert_eq!(
            subs.unsubscribe(&key, 3, t0).unwrap_err(),
            RefreshError::Unknown
        );
    }

    #[test]
    fn lapsed_subscriptions_are_swept_with_a_final_notify() {
        let t0 = Instant::now();
        let mut subs = Subscriptions::default();
        subs.insert(
            subscription("101", "short", addr(5070), t0 + Duration::from_secs(60)),
            t0,
        )
        .unwrap();
        subs.insert(
            subscription("101", "long", addr(5071), t0 + Duration::from_secs(600)),
            t0,
        )
        .unwrap();
        let t1 = t0 + Duration::from_secs(60);
        assert_eq!(
            subs.targets_for("101", t1).len(),
            1,
            "a lapsed one gets no NOTIFY"
        );
        let ended = subs.sweep(t1);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].key.call_id, "short");
        assert_eq!(ended[0].state, State::Terminated);
        assert_eq!(subs.len(), 1);
        assert!(subs.sweep(t1).is_empty());
    }

    #[test]
    fn a_full_mailbox_evicts_the_one_closest_to_lapsing() {
        let t0 = Instant::now();
        let mut subs = Subscriptions::with_caps(3, 100);
        for i in 0..3u16 {
            let expires = t0 + Duration::from_secs(100 + u64::from(i));
            subs.insert(
                subscription("101", &format!("c{i}"), addr(6000 + i), expires),
                t0,
            )
            .unwrap();
        }
        let newest = subscription("101", "new", addr(6100), t0 + Duration::from_secs(600));
        let evicted = subs.insert(newest, t0).unwrap().expect("one gives way");
        assert_eq!(evicted.key.call_id, "c0");
        assert_eq!(subs.len(), 3);
        let other_box = subscription("102", "x", addr(6200), t0 + Duration::from_secs(600));
        assert!(subs.insert(other_box, t0).unwrap().is_none());
    }

    #[test]
    fn the_table_is_bounded() {
        let t0 = Instant::now();
        let mut subs = Subscriptions::with_caps(10, 2);
        let live = t0 + Duration::from_secs(600);
        subs.insert(subscription("101", "a", addr(1), live), t0)
            .unwrap();
        subs.insert(subscription("102", "b", addr(2), live), t0)
            .unwrap();
        assert_eq!(
            subs.insert(subscription("103", "c", addr(3), live), t0)
                .unwrap_err(),
            SubscribeError::Full
        );
        // Lapsed entries make room before a refusal.
        let t1 = t0 + Duration::from_secs(601);
        subs.insert(
            subscription("103", "c", addr(3), t1 + Duration::from_secs(60)),
            t1,
        )
        .unwrap();
        assert_eq!(subs.len(), 1);
    }

    #[test]
    fn covers_matches_the_device_by_source_or_contact() {
        let t0 = Instant::now();
        let mut subs = Subscriptions::default();
        subs.insert(
            subscription("101", "a", addr(5070), t0 + Duration::from_secs(60)),
            t0,
        )
        .unwrap();
        assert!(subs.covers("101", "sip:other", addr(5070), t0));
        assert!(subs.covers("101", "sip:101@127.0.0.1:5070", addr(9), t0));
        assert!(!subs.covers("101", "sip:other", addr(5071), t0));
        assert!(!subs.covers("102", "sip:other", addr(5070), t0));
        assert!(!subs.covers("101", "sip:other", addr(5070), t0 + Duration::from_secs(60)));
    }
}
