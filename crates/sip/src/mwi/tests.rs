//! The notifier over real sockets: an rsipstack endpoint on loopback sends the NOTIFYs, a
//! plain UDP socket plays the phone and answers them by hand, and a fixed
//! [`MailboxCounts`] stands in for the voicemail store.

use super::subscriptions::tests::subscription;
use super::*;
use crate::location::{ContactUpdate, RegisterSource};
use rsipstack::transaction::endpoint::EndpointOption;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::TransportLayer;
use rsipstack::EndpointBuilder;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::UdpSocket;

const DOMAIN: &str = "switchboard.test";

/// A voicemail store whose every mailbox holds the same counts; it counts the lookups.
struct Fixed {
    counts: MessageCounts,
    lookups: AtomicUsize,
}

impl Fixed {
    fn new(new: u32, old: u32) -> Arc<Fixed> {
        Arc::new(Fixed {
            counts: MessageCounts { new, old },
            lookups: AtomicUsize::new(0),
        })
    }
}

impl MailboxCounts for Fixed {
    fn counts<'a>(&'a self, _extension: &'a str) -> CountsFuture<'a> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let counts = self.counts;
        Box::pin(async move { Ok(counts) })
    }
}

struct Bed {
    mwi: Mwi,
    location: Arc<Mutex<Location>>,
    phone: UdpSocket,
    phone_addr: SocketAddr,
    cancel: CancellationToken,
}

impl Drop for Bed {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The PBX side (endpoint + notifier) and a phone socket, T1 shortened to 20 ms and
/// Timer F to 4 s: longer than any test waits for an answer to act.
async fn bed(counts: Arc<Fixed>) -> Bed {
    bed_with_timer_f(counts, Duration::from_secs(4)).await
}

async fn bed_with_timer_f(counts: Arc<Fixed>, timer_f: Duration) -> Bed {
    let cancel = CancellationToken::new();
    let transport = TransportLayer::new(cancel.clone());
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("pbx socket");
    let udp = UdpConnection::from_socket(Arc::new(socket), None, Some(cancel.child_token()))
        .await
        .expect("udp transport");
    transport.add_transport(udp.into());
    let option = EndpointOption {
        t1: Duration::from_millis(20),
        t1x64: timer_f,
        ..EndpointOption::default()
    };
    let endpoint = EndpointBuilder::new()
        .with_transport_layer(transport)
        .with_cancel_token(cancel.clone())
        .with_option(option)
        .build();
    let inner = endpoint.inner.clone();
    tokio::spawn(async move { inner.serve().await });
    let location = Arc::new(Mutex::new(Location::new()));
    let contact = Uri::try_from("sip:switchboard@127.0.0.1:5060").expect("uri");
    let mwi = Mwi::start(
        endpoint.inner.clone(),
        location.clone(),
        DOMAIN,
        contact,
        cancel.clone(),
    );
    mwi.set_counts(counts);
    let phone = UdpSocket::bind("127.0.0.1:0").await.expect("phone socket");
    let phone_addr = phone.local_addr().expect("phone addr");
    Bed {
        mwi,
        location,
        phone,
        phone_addr,
        cancel,
    }
}

impl Bed {
    fn register(&self, extension: &str, call_id: &str, cseq: u32) -> Vec<Binding> {
        let from = RegisterSource {
            source: self.phone_addr,
            transport: "UDP".into(),
            call_id: call_id.into(),
            cseq,
            user_agent: None,
        };
        let update = ContactUpdate {
            contact: format!("sip:{extension}@{}", self.phone_addr),
            expires: Duration::from_secs(600),
        };
        self.location
            .lock()
            .register(extension, &from, &[update], Instant::now())
            .expect("registered")
    }

    /// The next request the phone receives, or `None` within `wait`.
    async fn receive(&self, wait: Duration) -> Option<String> {
        let mut buf = vec![0u8; 8192];
        let (len, _) = tokio::time::timeout(wait, self.phone.recv_from(&mut buf))
            .await
            .ok()?
            .expect("recv");
        Some(String::from_utf8_lossy(&buf[..len]).into_owned())
    }

    async fn expect_notify(&self) -> String {
        let request = self
            .receive(Duration::from_secs(3))
            .await
            .expect("a NOTIFY reaches the phone");
        assert!(request.starts_with("NOTIFY "), "not a NOTIFY:\n{request}");
        request
    }

    /// Answers `request` with `status` ("200 OK") to the address in its Via.
    async fn answer(&self, request: &str, status: &str) {
        let mut response = format!("SIP/2.0 {status}\r\n");
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
            let value = header(request, name).expect("header in NOTIFY");
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("Content-Length: 0\r\n\r\n");
        let via = header(request, "Via").expect("Via");
        let sent_by = via
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.split(';').next())
            .expect("Via sent-by");
        let to: SocketAddr = sent_by.parse().expect("numeric Via");
        self.phone
            .send_to(response.as_bytes(), to)
            .await
            .expect("send response");
    }
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn body(message: &str) -> &str {
    message.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..150 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn a_change_reaches_a_registered_phone_unsolicited() {
    let store = Fixed::new(2, 1);
    let bed = bed(store.clone()).await;
    bed.register("101", "boot-1", 1);
    bed.mwi.changed("101");
    let notify = bed.expect_notify().await;
    let request_line = notify.lines().next().unwrap_or_default();
    assert_eq!(
        request_line,
        format!("NOTIFY sip:101@{} SIP/2.0", bed.phone_addr)
    );
    assert_eq!(header(&notify, "Event"), Some("message-summary"));
    assert_eq!(
        header(&notify, "Content-Type"),
        Some("application/simple-message-summary")
    );
    assert_eq!(header(&notify, "Subscription-State"), None);
    assert_eq!(
        body(&notify),
        "Messages-Waiting: yes\r\nMessage-Account: sip:101@switchboard.test\r\nVoice-Message: 2/1 (0/0)\r\n"
    );
    bed.answer(&notify, "200 OK").await;
    assert_eq!(store.lookups.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_burst_of_changes_costs_one_notify() {
    let store = Fixed::new(1, 0);
    let bed = bed(store.clone()).await;
    bed.register("101", "boot-1", 1);
    for _ in 0..20 {
        bed.mwi.changed("101");
    }
    let notify = bed.expect_notify().await;
    bed.answer(&notify, "200 OK").await;
    assert_eq!(
        bed.receive(Duration::from_millis(800)).await,
        None,
        "one NOTIFY for the whole burst"
    );
    assert_eq!(store.lookups.load(Ordering::SeqCst), 1);
    // A later change is a new round.
    bed.mwi.changed("101");
    let again = bed.expect_notify().await;
    bed.answer(&again, "200 OK").await;
    assert_eq!(store.lookups.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_change_nobody_watches_reads_no_counts() {
    let store = Fixed::new(1, 0);
    let bed = bed(store.clone()).await;
    bed.mwi.changed("102");
    assert_eq!(bed.receive(Duration::from_millis(500)).await, None);
    assert_eq!(store.lookups.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_subscriber_is_notified_in_its_dialog_and_dropped_on_481() {
    let store = Fixed::new(0, 4);
    let bed = bed(store.clone()).await;
    // The same phone is registered and subscribed: it gets the in-dialog NOTIFY only.
    bed.register("101", "boot-1", 1);
    let expires_at = Instant::now() + Duration::from_secs(600);
    bed.mwi
        .subscriptions()
        .insert(
            subscription("101", "sub-1", bed.phone_addr, expires_at),
            Instant::now(),
        )
        .expect("room");
    bed.mwi.changed("101");
    let notify = bed.expect_notify().await;
    assert_eq!(header(&notify, "Call-ID"), Some("sub-1"));
    assert_eq!(header(&notify, "From"), Some("<sip:101@pbx>;tag=pbx"));
    assert_eq!(header(&notify, "To"), Some("<sip:101@pbx>;tag=phone"));
    assert_eq!(header(&notify, "CSeq"), Some("1 NOTIFY"));
    let state = header(&notify, "Subscription-State").expect("state");
    assert!(state.starts_with("active;expires="), "{state}");
    assert!(body(&notify).contains("Messages-Waiting: no\r\n"));
    assert!(body(&notify).contains("Voice-Message: 0/4 (0/0)\r\n"));
    // Unanswered yet, the NOTIFY is retransmitted; nothing else arrives.
    while let Some(other) = bed.receive(Duration::from_millis(300)).await {
        assert_eq!(
            header(&other, "Call-ID"),
            Some("sub-1"),
            "no unsolicited NOTIFY to a subscribed phone:\n{other}"
        );
    }
    bed.answer(&notify, "481 Call/Transaction Does Not Exist")
        .await;
    wait_for("the subscription is dropped", || {
        bed.mwi.subscription_count() == 0
    })
    .await;
}

#[tokio::test]
async fn an_unanswered_notify_ends_the_subscription() {
    let bed = bed_with_timer_f(Fixed::new(1, 0), Duration::from_millis(1280)).await;
    let expires_at = Instant::now() + Duration::from_secs(600);
    bed.mwi
        .subscriptions()
        .insert(
            subscription("101", "sub-1", bed.phone_addr, expires_at),
            Instant::now(),
        )
        .expect("room");
    bed.mwi.changed("101");
    bed.expect_notify().await;
    assert_eq!(bed.mwi.subscription_count(), 1);
    wait_for("Timer F drops the subscription", || {
        bed.mwi.subscription_count() == 0
    })
    .await;
}

#[tokio::test]
async fn a_fresh_registration_gets_the_lamp_when_messages_wait() {
    let bed = bed(Fixed::new(3, 0)).await;
    let first = bed.register("101", "boot-1", 1);
    bed.mwi.registered("101", &[], &first);
    let notify = bed.expect_notify().await;
    assert!(body(&notify).contains("Messages-Waiting: yes\r\n"));
    bed.answer(&notify, "200 OK").await;
    // A refresh (same Contact, same Call-ID) is not fresh; a reboot (new Call-ID) is.
    let refreshed = bed.register("101", "boot-1", 2);
    bed.mwi.registered("101", &first, &refreshed);
    assert_eq!(bed.receive(AFTER_REGISTER * 2).await, None);
    let rebooted = bed.register("101", "boot-2", 1);
    bed.mwi.registered("101", &refreshed, &rebooted);
    let again = bed.expect_notify().await;
    bed.answer(&again, "200 OK").await;
}

#[tokio::test]
async fn a_fresh_registration_with_an_empty_box_gets_nothing() {
    let store = Fixed::new(0, 5);
    let bed = bed(store.clone()).await;
    let first = bed.register("101", "boot-1", 1);
    bed.mwi.registered("101", &[], &first);
    wait_for("the box is counted", || {
        store.lookups.load(Ordering::SeqCst) == 1
    })
    .await;
    assert_eq!(bed.receive(Duration::from_millis(300)).await, None);
}

#[test]
fn fresh_bindings_are_new_contacts_or_new_call_ids() {
    let now = Instant::now();
    let binding = |contact: &str, call_id: &str| Binding {
        contact: contact.into(),
        source: SocketAddr::from(([127, 0, 0, 1], 5070)),
        transport: "UDP".into(),
        call_id: call_id.into(),
        cseq: 1,
        user_agent: None,
        expires_at: now,
    };
    let before = vec![binding("sip:a", "1"), binding("sip:b", "2")];
    let after = vec![
        binding("sip:a", "1"),
        binding("sip:b", "3"),
        binding("sip:c", "4"),
    ];
    let fresh: Vec<String> = fresh_bindings(&before, &after)
        .into_iter()
        .map(|b| b.contact)
        .collect();
    assert_eq!(fresh, ["sip:b", "sip:c"]);
}
