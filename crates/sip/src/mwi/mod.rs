//! Message-waiting indication: the lamp on a phone that says "you have voicemail".
//!
//! Phones learn a mailbox's counts in two ways, and the PBX serves both:
//! - **Subscribed** (RFC 6665 + RFC 3842): the phone SUBSCRIBEs to `message-summary` for its
//!   own extension and gets a NOTIFY at once, on each refresh, and whenever the box changes.
//!   [`subscribe`] answers the SUBSCRIBEs; [`subscriptions`] keeps the dialogs.
//! - **Unsolicited**: many desk phones never subscribe and just light the lamp on any
//!   message-summary NOTIFY, as Asterisk sends them. Registered devices of the extension
//!   that hold no subscription get one out of dialog on every change, and once when they
//!   register afresh with messages waiting (a rebooted phone has forgotten its lamp).
//!
//! The counts come from outside this crate through [`MailboxCounts`] (the voicemail store);
//! the rest of the PBX calls [`Mwi::changed`] when a box changes, and [`coalesce`] turns a
//! burst of changes into one round of NOTIFYs per mailbox.

mod coalesce;
mod notify;
mod package;
mod subscribe;
mod subscriptions;

pub use package::MessageCounts;
pub(crate) use subscribe::handle_subscribe;

use crate::location::{Binding, Location};
use coalesce::{Request, Rounds};
use futures::future::BoxFuture;
use notify::{Delivery, Notify};
use parking_lot::{Mutex, MutexGuard, RwLock};
use rsipstack::sip::{Transport, Uri};
use rsipstack::transaction::endpoint::EndpointInnerRef;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subscriptions::{DialogKey, NotifyTarget, Peer, Subscriptions};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// How long a round waits before reading the counts, so that a burst of changes (a
/// message saved, then its duplicate deleted) costs one NOTIFY per device.
const COALESCE: Duration = Duration::from_millis(200);

/// How often lapsed subscriptions are ended. Subscriptions last at least the registration
/// minimum (a minute in the demo), so a few seconds late is precise enough.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// How long after a fresh REGISTER its lamp NOTIFY goes out: the 200 reaches the phone
/// first, and a phone that just booted has its SIP stack up.
const AFTER_REGISTER: Duration = Duration::from_millis(500);

/// How long the voicemail store may take to count a mailbox before the NOTIFY goes without.
const COUNTS_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a mailbox's counts could not be read. A change is then not announced (a lamp is
/// never turned off on a guess); a new subscription still gets its NOTIFY, without a body.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot count the messages of mailbox {extension}: {reason}")]
pub struct CountsError {
    pub extension: String,
    pub reason: String,
}

/// What [`MailboxCounts::counts`] returns: boxed so the trait stays object-safe without
/// `async-trait`.
pub type CountsFuture<'a> = BoxFuture<'a, Result<MessageCounts, CountsError>>;

/// Where the PBX reads how many messages a mailbox holds. The voicemail store lives outside
/// this crate; the binary plugs it in with [`Mwi::set_counts`].
pub trait MailboxCounts: Send + Sync {
    /// The new and old message counts of `extension`'s mailbox.
    fn counts<'a>(&'a self, extension: &'a str) -> CountsFuture<'a>;
}

/// The counts before a voicemail store is plugged in: every mailbox is empty, so
/// subscriptions work (lamp off) on a PBX without voicemail.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMailboxes;

impl MailboxCounts for NoMailboxes {
    fn counts<'a>(&'a self, _extension: &'a str) -> CountsFuture<'a> {
        Box::pin(async { Ok(MessageCounts::default()) })
    }
}

/// The message-waiting service: its subscriptions, and the handle the rest of the PBX
/// calls when a mailbox changes. Cheap to clone.
#[derive(Clone)]
pub struct Mwi {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: EndpointInnerRef,
    location: Arc<Mutex<Location>>,
    /// The SIP domain, for `Message-Account: sip:<ext>@<domain>` (read at start, as the
    /// digest realm is).
    domain: String,
    /// Our Contact in NOTIFYs.
    contact: Uri,
    counts: RwLock<Arc<dyn MailboxCounts>>,
    subscriptions: Mutex<Subscriptions>,
    rounds: Mutex<Rounds>,
    /// Where NOTIFY tasks run: [`Mwi::changed`] may be called from any thread.
    runtime: tokio::runtime::Handle,
    /// Cancelled when the SIP server stops: tasks in flight end.
    cancel: CancellationToken,
}

impl Mwi {
    /// Starts the service (and its expiry sweep) on the current Tokio runtime, with
    /// [`NoMailboxes`] until [`Mwi::set_counts`]. Must be called within a Tokio runtime.
    pub(crate) fn start(
        endpoint: EndpointInnerRef,
        location: Arc<Mutex<Location>>,
        domain: &str,
        contact: Uri,
        cancel: CancellationToken,
    ) -> Mwi {
        let mwi = Mwi {
            inner: Arc::new(Inner {
                endpoint,
                location,
                domain: domain.to_owned(),
                contact,
                counts: RwLock::new(Arc::new(NoMailboxes)),
                subscriptions: Mutex::new(Subscriptions::default()),
                rounds: Mutex::new(Rounds::default()),
                runtime: tokio::runtime::Handle::current(),
                cancel,
            }),
        };
        let sweeper = mwi.clone();
        mwi.spawn(async move { sweeper.sweep_forever().await });
        mwi
    }

    /// Plugs in the voicemail store; NOTIFYs sent from now on read their counts there.
    pub fn set_counts(&self, counts: Arc<dyn MailboxCounts>) {
        *self.inner.counts.write() = counts;
    }

    /// `extension`'s mailbox changed: every device watching it (subscribed, or registered
    /// without a subscription) gets the new counts shortly. Returns at once, from any
    /// thread; a burst of calls is coalesced into one round of NOTIFYs.
    pub fn changed(&self, extension: &str) {
        let decision = self.inner.rounds.lock().request(extension);
        match decision {
            Request::Start => {
                let mwi = self.clone();
                let extension = extension.to_owned();
                self.spawn(async move { mwi.round(extension).await });
            }
            Request::Joined => debug!(extension, "mailbox change joins the round in progress"),
            Request::Refused => warn!(
                extension,
                "too many mailboxes changing at once; change not announced"
            ),
        }
    }

    /// How many subscriptions are active, for the console and tests.
    pub fn subscription_count(&self) -> usize {
        self.inner.subscriptions.lock().len()
    }

    /// The REGISTER hook: devices in `after` that were not in `before` (a new Contact, or
    /// the same one with a new Call-ID: a reboot) get the lamp state once when messages
    /// are waiting, since a phone forgets its lamp on reboot.
    pub(crate) fn registered(&self, extension: &str, before: &[Binding], after: &[Binding]) {
        let fresh = fresh_bindings(before, after);
        if fresh.is_empty() {
            return;
        }
        let mwi = self.clone();
        let extension = extension.to_owned();
        self.spawn(async move {
            tokio::time::sleep(AFTER_REGISTER).await;
            let Ok(counts) = mwi.counts(&extension).await else {
                return;
            };
            if !counts.waiting() {
                return;
            }
            let devices = mwi.unsubscribed(&extension, fresh);
            let sends = devices
                .iter()
                .map(|device| mwi.notify_device(&extension, device, counts));
            futures::future::join_all(sends).await;
        });
    }

    pub(crate) fn subscriptions(&self) -> MutexGuard<'_, Subscriptions> {
        self.inner.subscriptions.lock()
    }

    /// `sip:<ext>@<domain>`: the account a NOTIFY is about.
    fn account(&self, extension: &str) -> String {
        format!("sip:{extension}@{}", self.inner.domain)
    }

    /// Sends the current state to one subscription (after a SUBSCRIBE or refresh).
    pub(crate) fn notify_subscription(&self, key: &DialogKey) {
        let target = self.subscriptions().target(key, Instant::now());
        if let Some(target) = target {
            self.notify_in_background(target);
        }
    }

    /// Sends one in-dialog NOTIFY (its counts read first) in a task of its own.
    pub(crate) fn notify_in_background(&self, target: NotifyTarget) {
        let mwi = self.clone();
        self.spawn(async move {
            let counts = mwi.counts(&target.extension).await.ok();
            mwi.notify_subscriber(target, counts).await;
        });
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let cancel = self.inner.cancel.clone();
        self.inner.runtime.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = task => {}
            }
        });
    }

    async fn counts(&self, extension: &str) -> Result<MessageCounts, CountsError> {
        let source = self.inner.counts.read().clone();
        let result = match tokio::time::timeout(COUNTS_TIMEOUT, source.counts(extension)).await {
            Ok(result) => result,
            Err(_) => Err(CountsError {
                extension: extension.to_owned(),
                reason: format!("no answer within {COUNTS_TIMEOUT:?}"),
            }),
        };
        if let Err(e) = &result {
            warn!(error = %e, "mailbox counts unavailable");
        }
        result
    }

    /// One mailbox's round: passes until no change arrived during the last one.
    async fn round(&self, extension: String) {
        loop {
            tokio::time::sleep(COALESCE).await;
            self.inner.rounds.lock().begin_pass(&extension);
            self.pass(&extension).await;
            if !self.inner.rounds.lock().finish_pass(&extension) {
                return;
            }
        }
    }

    /// Reads the counts once and tells every device watching `extension`'s mailbox.
    async fn pass(&self, extension: &str) {
        let now = Instant::now();
        let subscribed = self.subscriptions().targets_for(extension, now);
        let registered = self.inner.location.lock().lookup(extension, now);
        let devices = self.unsubscribed(extension, registered);
        if subscribed.is_empty() && devices.is_empty() {
            debug!(extension, "mailbox changed; no device to tell");
            return;
        }
        let Ok(counts) = self.counts(extension).await else {
            return;
        };
        info!(
            extension,
            new = counts.new,
            old = counts.old,
            subscriptions = subscribed.len(),
            devices = devices.len(),
            "message-waiting notification"
        );
        let to_subscribers = subscribed
            .into_iter()
            .map(|target| self.notify_subscriber(target, Some(counts)));
        let to_devices = devices
            .iter()
            .map(|device| self.notify_device(extension, device, counts));
        futures::future::join(
            futures::future::join_all(to_subscribers),
            futures::future::join_all(to_devices),
        )
        .await;
    }

    /// The bindings whose device holds no subscription to the mailbox.
    fn unsubscribed(&self, extension: &str, bindings: Vec<Binding>) -> Vec<Binding> {
        let now = Instant::now();
        let subscriptions = self.subscriptions();
        bindings
            .into_iter()
            .filter(|b| !subscriptions.covers(extension, &b.contact, b.source, now))
            .collect()
    }

    /// One NOTIFY in a subscription dialog; a subscriber that is gone loses its subscription.
    async fn notify_subscriber(&self, target: NotifyTarget, counts: Option<MessageCounts>) {
        let body = counts.map(|c| package::body(&self.account(&target.extension), c));
        let notify = Notify {
            request_uri: target.request_uri.clone(),
            peer: &target.peer,
            call_id: target.key.call_id.clone(),
            from: target.from.clone(),
            to: target.to.clone(),
            cseq: target.cseq,
            route_set: &target.route_set,
            state: Some(target.state),
            body,
        };
        let delivery = self.deliver(notify).await;
        debug!(extension = %target.extension, peer = %target.peer.addr, cseq = target.cseq, ?delivery, "NOTIFY in subscription");
        if delivery.ends_subscription() && self.subscriptions().remove(&target.key).is_some() {
            info!(extension = %target.extension, peer = %target.peer.addr, ?delivery, "subscriber gone; subscription dropped");
        }
    }

    /// One unsolicited NOTIFY to a registered device; failures only matter to the log
    /// (plenty of phones answer them 481 or 489).
    async fn notify_device(&self, extension: &str, device: &Binding, counts: MessageCounts) {
        let Ok(request_uri) = Uri::try_from(device.contact.as_str()) else {
            debug!(extension, contact = %device.contact, "unusable Contact; no unsolicited NOTIFY");
            return;
        };
        let peer = Peer {
            addr: device.source,
            transport: if device.transport.eq_ignore_ascii_case("tcp") {
                Transport::Tcp
            } else {
                Transport::Udp
            },
        };
        let account = self.account(extension);
        let notify = Notify {
            request_uri,
            peer: &peer,
            call_id: uuid::Uuid::new_v4().to_string(),
            from: format!("<{account}>;tag={}", uuid::Uuid::new_v4().simple()),
            to: format!("<{account}>"),
            cseq: 1,
            route_set: &[],
            state: None,
            body: Some(package::body(&account, counts)),
        };
        let delivery = self.deliver(notify).await;
        debug!(extension, peer = %peer.addr, ?delivery, "unsolicited NOTIFY");
    }

    async fn deliver(&self, notify: Notify<'_>) -> Delivery {
        let peer = notify.peer.clone();
        match notify::build(&self.inner.endpoint, &self.inner.contact, notify) {
            Ok(request) => notify::send(&self.inner.endpoint, request, &peer).await,
            Err(e) => Delivery::NotSent(e.to_string()),
        }
    }

    /// Ends lapsed subscriptions with a final NOTIFY, until the server stops.
    async fn sweep_forever(&self) {
        let mut ticker = tokio::time::interval(SWEEP_EVERY);
        loop {
            ticker.tick().await;
            let ended = self.subscriptions().sweep(Instant::now());
            for target in ended {
                info!(extension = %target.extension, peer = %target.peer.addr, "subscription lapsed");
                self.notify_in_background(target);
            }
        }
    }
}

/// The bindings of `after` that `before` did not hold: a new Contact, or a known one
/// registered under a new Call-ID (RFC 3261 §10.2: a UA keeps its Call-ID until it
/// reboots). Refreshes are not fresh.
fn fresh_bindings(before: &[Binding], after: &[Binding]) -> Vec<Binding> {
    after
        .iter()
        .filter(|b| {
            !before
                .iter()
                .any(|k| k.contact == b.contact && k.call_id == b.call_id)
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests;
