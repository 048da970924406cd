//! The SIP shell: listens on UDP and TCP, hands each new transaction to the registrar, the
//! B2BUA or an in-dialog handler, and drains calls on shutdown.

use crate::call;
use crate::clock::PbxClock;
use crate::digest::DigestAuth;
use crate::location::{Binding, Location};
use crate::plan::{Plan, PlanError, Voice};
use crate::presence::Presence;
use parking_lot::{Mutex, RwLock};
use rsipstack::dialog::dialog::Dialog;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::{Header, HeadersExt, Method, StatusCode, Uri};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{TcpListenerConnection, TransportLayer};
use rsipstack::EndpointBuilder;
use sb_config::Config;
use sb_flow::schedule::{ModeDecision, Override};
use sb_media::Media;
use sb_store::CallRecordSink;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// The methods the PBX answers, as advertised in `Allow`.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, SUBSCRIBE";

/// What the SIP layer needs from the rest of the PBX.
pub struct SipSettings {
    pub listen: SocketAddr,
    /// The address written into Contact and SDP: what phones can reach.
    pub advertise_ip: IpAddr,
    pub config: Arc<Config>,
    pub voice: Voice,
    pub media: Media,
    pub records: CallRecordSink,
    pub clock: PbxClock,
    /// The responsible-manager service that `responsible` steps (and 6100) ask; without
    /// it they find nobody (`not_found`).
    pub icm: Option<Arc<sb_icm::Icm>>,
    /// Builds the service again from a reloaded configuration (its `[icm]` may have
    /// changed); without it a reload keeps the service it has.
    pub icm_builder: Option<IcmBuilder>,
    /// The database of voicemail messages, mailbox PINs and greetings.
    pub store: sb_store::Store,
    /// Where missed and answered calls go for the callback tasks.
    pub tasks: crate::TaskEvents,
    /// Woken when a message is left, so the mailer sends its e-mails now rather than at
    /// its next round.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// Where the distributor's records and the agents' changes go, for the statistics.
    pub queue_log: sb_store::QueueLogSink,
}

/// Builds the responsible-manager service for a configuration (`None` without `[icm]`);
/// the binary provides it, since it owns the call history the service reads.
pub type IcmBuilder =
    Arc<dyn Fn(&Config) -> Result<Option<Arc<sb_icm::Icm>>, String> + Send + Sync>;

/// Failures that stop the SIP server from starting.
#[derive(Debug, thiserror::Error)]
pub enum SipError {
    #[error("cannot listen for SIP on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("SIP endpoint: {0}")]
    Endpoint(String),
    #[error("{0}")]
    Plan(#[from] PlanError),
}

/// State shared by every transaction and call.
pub(crate) struct Shared {
    /// The current version of the configuration; see [`Plan`].
    plan: RwLock<Arc<Plan>>,
    /// Manual schedule overrides, kept across reloads.
    overrides: Mutex<BTreeMap<String, Override>>,
    pub voice: Voice,
    pub presence: Arc<Presence>,
    pub auth: DigestAuth,
    /// Shared with [`crate::mwi::Mwi`], which NOTIFYs registered devices.
    pub location: Arc<Mutex<Location>>,
    pub dialogs: Arc<DialogLayer>,
    pub media: Media,
    pub records: CallRecordSink,
    pub clock: PbxClock,
    /// Our Contact URI for dialogs the PBX takes part in.
    pub contact: Uri,
    /// Cancelled on SIGTERM: new calls get 503.
    pub draining: CancellationToken,
    /// Cancelled when the drain timeout runs out: calls still up are ended.
    pub hangup_all: CancellationToken,
    pub active_calls: AtomicUsize,
    /// Whether a new call may start: `[pbx] max_calls` and the event loop's lag.
    pub admission: call::admission::Admission,
    /// Hang-ups still waiting for the far end's answer, after their calls ended (see
    /// [`call::hangup`]); waited for on shutdown.
    pub background: tokio_util::task::TaskTracker,
    /// The queue service (the distributor and its agents).
    pub queues: crate::queue::Queues,
    /// Message-waiting indication: SUBSCRIBEs to `message-summary` and the NOTIFYs.
    pub mwi: crate::mwi::Mwi,
    /// The responsible-manager service, when `[icm]` is configured; replaced on reload.
    icm: RwLock<Option<Arc<sb_icm::Icm>>>,
    icm_builder: Option<IcmBuilder>,
    pub store: sb_store::Store,
    pub tasks: crate::TaskEvents,
    pub mail_wake: Arc<tokio::sync::Notify>,
}

/// The receive buffer asked for on the SIP UDP socket. The kernel's default (about 200 KiB)
/// overflows in a burst of a few thousand requests; the kernel caps the request at
/// `net.core.rmem_max`, which an operator of a busy PBX raises.
const SIP_RECV_BUFFER: usize = 4 << 20;

fn sip_udp_socket(addr: SocketAddr) -> std::io::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_nonblocking(true)?;
    if let Err(e) = socket.set_recv_buffer_size(SIP_RECV_BUFFER) {
        warn!(error = %e, "cannot enlarge the SIP receive buffer");
    }
    socket.bind(&addr.into())?;
    tokio::net::UdpSocket::from_std(socket.into())
}

/// A running SIP server.
pub struct SipServer {
    shared: Arc<Shared>,
    endpoint: rsipstack::transaction::endpoint::Endpoint,
    cancel: CancellationToken,
}

impl SipServer {
    /// Binds UDP and TCP on the listen address.
    pub async fn bind(settings: SipSettings) -> Result<SipServer, SipError> {
        let cancel = CancellationToken::new();
        let transport_layer = TransportLayer::new(cancel.clone());
        let bind_err = |e: rsipstack::Error| SipError::Bind {
            addr: settings.listen,
            reason: e.to_string(),
        };
        let socket = sip_udp_socket(settings.listen).map_err(|e| SipError::Bind {
            addr: settings.listen,
            reason: e.to_string(),
        })?;
        let udp = UdpConnection::from_socket(Arc::new(socket), None, Some(cancel.child_token()))
            .await
            .map_err(bind_err)?;
        transport_layer.add_transport(udp.into());
        let tcp = TcpListenerConnection::new(settings.listen, None)
            .await
            .map_err(bind_err)?;
        transport_layer.add_transport(tcp.into());

        let endpoint = EndpointBuilder::new()
            .with_transport_layer(transport_layer)
            .with_cancel_token(cancel.clone())
            .with_user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
            .build();
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let contact: Uri = format!(
            "sip:switchboard@{}",
            SocketAddr::new(settings.advertise_ip, settings.listen.port())
        )
        .as_str()
        .try_into()
        .map_err(|e: rsipstack::sip::Error| SipError::Endpoint(e.to_string()))?;
        let pbx = &settings.config.pbx;
        let plan = Plan::new(settings.config.clone(), &settings.voice, &BTreeMap::new())?;
        let location = Arc::new(Mutex::new(Location::new()));
        let mwi = crate::mwi::Mwi::start(
            endpoint.inner.clone(),
            location.clone(),
            &pbx.domain,
            contact.clone(),
            cancel.child_token(),
        );
        let shared = Arc::new(Shared {
            auth: DigestAuth::new(&pbx.domain, Duration::from_secs(pbx.nonce_ttl_secs))
                .offering_sha256(pbx.digest_sha256),
            plan: RwLock::new(Arc::new(plan)),
            overrides: Mutex::new(BTreeMap::new()),
            voice: settings.voice,
            presence: Arc::default(),
            location,
            dialogs,
            media: settings.media,
            records: settings.records,
            clock: settings.clock,
            contact,
            draining: CancellationToken::new(),
            hangup_all: CancellationToken::new(),
            active_calls: AtomicUsize::new(0),
            admission: call::admission::Admission::default(),
            background: tokio_util::task::TaskTracker::new(),
            queues: crate::queue::Queues::start(
                &settings.config,
                settings.clock,
                settings.queue_log.clone(),
            ),
            mwi,
            icm: RwLock::new(settings.icm),
            icm_builder: settings.icm_builder,
            store: settings.store,
            tasks: settings.tasks,
            mail_wake: settings.mail_wake,
        });
        Ok(SipServer {
            shared,
            endpoint,
            cancel,
        })
    }

    /// The message-waiting service: plug the voicemail store in with
    /// [`crate::Mwi::set_counts`] before [`SipServer::run`], and call
    /// [`crate::Mwi::changed`] whenever a mailbox changes.
    pub fn mwi(&self) -> crate::mwi::Mwi {
        self.shared.mwi.clone()
    }

    /// A handle on the live state (calls in progress, registrations) for the API.
    pub fn status(&self) -> SipStatus {
        SipStatus {
            shared: self.shared.clone(),
        }
    }

    /// Serves until `shutdown` resolves, then refuses new calls, lets calls in progress
    /// finish for up to the drain timeout, ends the rest, and returns.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), SipError> {
        let mut incoming = self
            .endpoint
            .incoming_transactions()
            .map_err(|e| SipError::Endpoint(e.to_string()))?;
        let endpoint_inner = self.endpoint.inner.clone();
        let serve = tokio::spawn(async move { endpoint_inner.serve().await });
        let purge = tokio::spawn(purge_lapsed_bindings(self.shared.clone()));
        let probe = {
            let shared = self.shared.clone();
            tokio::spawn(async move { shared.admission.probe().await })
        };
        info!(addr = ?self.endpoint.get_addrs(), "SIP listening");

        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                tx = incoming.recv() => match tx {
                    Some(tx) => {
                        let shared = self.shared.clone();
                        tokio::spawn(dispatch(shared, tx));
                    }
                    None => break,
                },
                () = &mut shutdown => break,
            }
        }

        self.shared.draining.cancel();
        let drain = Duration::from_secs(self.shared.plan().config.pbx.drain_timeout_secs);
        info!(
            calls = self.shared.active_calls.load(Ordering::SeqCst),
            drain_secs = drain.as_secs(),
            "draining calls"
        );
        let deadline = Instant::now() + drain;
        let mut ticker = tokio::time::interval(Duration::from_millis(100));
        let mut forced = false;
        loop {
            // Keep answering in-dialog requests (BYE of calls that end now) while draining.
            tokio::select! {
                tx = incoming.recv() => if let Some(tx) = tx {
                    tokio::spawn(dispatch(self.shared.clone(), tx));
                },
                _ = ticker.tick() => {
                    if self.shared.active_calls.load(Ordering::SeqCst) == 0
                        && self.shared.background.is_empty()
                    {
                        break;
                    }
                    if !forced && Instant::now() >= deadline {
                        warn!(calls = self.shared.active_calls.load(Ordering::SeqCst), "drain timeout: ending calls");
                        self.shared.hangup_all.cancel();
                        forced = true;
                    }
                    if Instant::now() >= deadline + Duration::from_secs(5) {
                        warn!("calls did not end after the drain timeout; stopping anyway");
                        break;
                    }
                }
            }
        }
        purge.abort();
        probe.abort();
        self.cancel.cancel();
        serve.abort();
        Ok(())
    }
}

impl Shared {
    /// The configuration version new calls start with.
    pub fn plan(&self) -> Arc<Plan> {
        self.plan.read().clone()
    }

    /// The responsible-manager service new lookups use.
    pub fn icm(&self) -> Option<Arc<sb_icm::Icm>> {
        self.icm.read().clone()
    }

    /// See [`SipStatus::set_override`].
    pub fn set_override(&self, schedule: &str, manual: Option<Override>) -> bool {
        let mut overrides = self.overrides.lock();
        let plan = self.plan();
        if !plan.config.schedules.contains_key(schedule) {
            return false;
        }
        match &manual {
            Some(manual) => {
                info!(schedule, mode = ?manual.mode, set_by = %manual.set_by, "schedule override set");
                overrides.insert(schedule.to_owned(), manual.clone());
            }
            None => {
                info!(schedule, "schedule override removed");
                overrides.remove(schedule);
            }
        }
        *self.plan.write() = Arc::new(plan.with_overrides(&overrides));
        true
    }
}

/// The switch's live state and its controls (reload, schedule overrides); cheap to clone.
#[derive(Clone)]
pub struct SipStatus {
    shared: Arc<Shared>,
}

/// The configuration in force, from a handle that lets the server go: see
/// [`SipStatus::live_config`].
#[derive(Clone)]
pub struct LiveConfig {
    shared: Weak<Shared>,
}

impl LiveConfig {
    /// The configuration in force now; `None` once the server is gone.
    pub fn get(&self) -> Option<Arc<Config>> {
        self.shared
            .upgrade()
            .map(|shared| shared.plan().config.clone())
    }
}

/// One schedule's state, as the API shows it.
#[derive(Debug, Clone)]
pub struct ScheduleState {
    pub name: String,
    /// The mode now, the override included, and why.
    pub decision: ModeDecision,
    /// The manual override in force.
    pub manual: Option<Override>,
}

/// One registered device, as the API shows it.
#[derive(Debug, Clone)]
pub struct Registration {
    pub extension: String,
    pub binding: Binding,
}

impl SipStatus {
    pub fn active_calls(&self) -> usize {
        self.shared.active_calls.load(Ordering::SeqCst)
    }

    /// True once SIGTERM was received: new calls are refused.
    pub fn draining(&self) -> bool {
        self.shared.draining.is_cancelled()
    }

    /// Makes `config` the version new calls start with; calls in progress keep theirs.
    /// The queues take their new settings in place: callers waiting keep their places.
    /// Settings read only at start (listen addresses, the SIP domain, port ranges) need a
    /// restart. On error nothing changes.
    pub fn reload(&self, config: Config) -> Result<(), PlanError> {
        let overrides = self.shared.overrides.lock();
        let memory = self.shared.plan().flows.ring_memory();
        let icm = match &self.shared.icm_builder {
            Some(build) => Some(build(&config).map_err(PlanError::Icm)?),
            None => None,
        };
        let plan = Plan::new(Arc::new(config), &self.shared.voice, &overrides)?;
        // Before the new dial plan: a call that reaches a new queue by it joins after the
        // queue service has the queue.
        let location = self.shared.location.clone();
        let registered =
            move |agent: &str| !location.lock().lookup(agent, Instant::now()).is_empty();
        self.shared
            .queues
            .reload(plan.config.clone(), Box::new(registered));
        *self.shared.plan.write() = Arc::new(plan.with_ring_memory(memory));
        if let Some(icm) = icm {
            // Lookups already running finish with the service they started with.
            *self.shared.icm.write() = icm;
        }
        info!("configuration reloaded");
        Ok(())
    }

    /// Lays a manual override on `schedule` ("we close early today"), or removes it with
    /// `None`; new calls see it, and it survives reloads. `false` if there is no such
    /// schedule.
    pub fn set_override(&self, schedule: &str, manual: Option<Override>) -> bool {
        self.shared.set_override(schedule, manual)
    }

    /// Every schedule's mode now (by the PBX clock), with the override in force if any.
    pub fn schedules(&self) -> Vec<ScheduleState> {
        let plan = self.shared.plan();
        let now = self.shared.clock.now();
        let overrides = self.shared.overrides.lock().clone();
        plan.config
            .schedules
            .keys()
            .filter_map(|name| {
                let decision = plan.flows.schedule_mode(name, now)?;
                Some(ScheduleState {
                    name: name.clone(),
                    decision,
                    manual: overrides.get(name).filter(|o| o.is_active(now)).cloned(),
                })
            })
            .collect()
    }

    /// The PBX's time now (the `--start-time` clock when one was given).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.shared.clock.now()
    }

    /// The message-waiting service, for whoever changes a mailbox (the API, the store).
    pub fn mwi(&self) -> crate::mwi::Mwi {
        self.shared.mwi.clone()
    }

    /// The configuration in force now (it changes on reload), for services outside the
    /// SIP layer that follow it: the mailer, the task keeper, message-waiting counts.
    pub fn config(&self) -> Arc<Config> {
        self.shared.plan().config.clone()
    }

    /// A handle on the configuration in force that does not keep the server alive, for
    /// services the server itself holds (the message-waiting counts): a strong handle there
    /// would be a cycle, and the server, the call-record sink it owns with it, would never
    /// be dropped, so the record writer would wait for it forever at shutdown.
    pub fn live_config(&self) -> LiveConfig {
        LiveConfig {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// The responsible-manager service in force now (rebuilt on reload), if configured.
    pub fn icm(&self) -> Option<Arc<sb_icm::Icm>> {
        self.shared.icm()
    }

    /// Every queue's live figures and callers, and every agent's state.
    pub fn queues(&self) -> crate::queue::QueuesView {
        self.shared.queues.view()
    }

    pub fn registrations(&self) -> Vec<Registration> {
        self.shared
            .location
            .lock()
            .all(Instant::now())
            .into_iter()
            .map(|(extension, binding)| Registration { extension, binding })
            .collect()
    }
}

async fn purge_lapsed_bindings(shared: Arc<Shared>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(30));
    loop {
        ticker.tick().await;
        shared.location.lock().purge(Instant::now());
    }
}

/// Sends a response with extra headers; a send failure is logged, never fatal.
pub(crate) async fn reply(tx: &mut Transaction, status: StatusCode, headers: Vec<Header>) {
    if let Err(e) = tx.reply_with(status.clone(), headers, None).await {
        debug!(%status, error = %e, "response not sent");
    }
}

/// The address the request actually came from (not what its Via claims).
pub(crate) fn source_addr(tx: &Transaction) -> SocketAddr {
    tx.connection
        .as_ref()
        .and_then(|c| c.get_remote_addr())
        .and_then(|a| a.get_socketaddr().ok())
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
}

async fn dispatch(shared: Arc<Shared>, mut tx: Transaction) {
    if let Some(defect) = crate::validate::check_request(&tx.original) {
        if tx.original.method != Method::Ack {
            debug!(source = %source_addr(&tx), reason = defect.reason, "malformed request refused");
            let status = StatusCode::Other(defect.code, defect.reason.to_string());
            reply(&mut tx, status, vec![]).await;
        }
        return;
    }
    if tx.original.method == Method::Subscribe {
        return crate::mwi::handle_subscribe(&shared, tx).await;
    }
    let in_dialog = tx
        .original
        .to_header()
        .ok()
        .and_then(|to| to.tag().ok().flatten())
        .is_some();
    if in_dialog {
        return in_dialog_request(&shared, tx).await;
    }
    match tx.original.method {
        Method::Register => crate::registrar::handle_register(&shared, &mut tx).await,
        Method::Invite => {
            if shared.draining.is_cancelled() {
                reply(&mut tx, StatusCode::ServiceUnavailable, vec![]).await;
                return;
            }
            call::handle_invite(shared, tx).await;
        }
        Method::Options => {
            let headers = vec![
                Header::Allow(ALLOW.into()),
                Header::Accept("application/sdp".into()),
            ];
            reply(&mut tx, StatusCode::OK, headers).await;
        }
        Method::Ack => {}
        Method::Bye | Method::Cancel | Method::Update | Method::Info => {
            reply(&mut tx, StatusCode::CallTransactionDoesNotExist, vec![]).await;
        }
        _ => {
            let headers = vec![Header::Allow(ALLOW.into())];
            reply(&mut tx, StatusCode::MethodNotAllowed, headers).await;
        }
    }
}

async fn in_dialog_request(shared: &Shared, mut tx: Transaction) {
    match shared.dialogs.match_dialog(&tx) {
        Some(Dialog::Invite(mut dialog)) => {
            if let Err(e) = dialog.handle(&mut tx).await {
                debug!(method = %tx.original.method, error = %e, "in-dialog request failed");
            }
        }
        Some(_) | None => {
            if tx.original.method != Method::Ack {
                reply(&mut tx, StatusCode::CallTransactionDoesNotExist, vec![]).await;
            }
        }
    }
}
