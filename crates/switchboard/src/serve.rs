//! Running the PBX: load the configuration, open the database, start media and SIP, and stop
//! cleanly on SIGTERM.

use crate::cli::ServerArgs;
use crate::live::SipLiveView;
use anyhow::{Context, Result};
use sb_api::ApiState;
use sb_media::{Media, MediaConfig};
use sb_sip::{PbxClock, SipServer, SipSettings};
use sb_store::Store;
use std::future::Future;
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};

/// How long the record writer may take to flush after the calls have ended.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs `body` on a multi-threaded runtime and turns its error into an exit code.
pub fn runtime_and<F, Fut>(body: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("switchboard: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(body()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rsipstack=warn,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The configuration `--config` names, or the embedded demo without it.
pub(crate) fn load_config(args: &ServerArgs) -> Result<sb_config::Config> {
    match &args.config {
        Some(path) => sb_config::load_file(path).map_err(|errors| {
            anyhow::anyhow!("invalid configuration {}:\n{errors}", path.display())
        }),
        None => Ok(sb_config::demo()),
    }
}

/// The address phones should send SIP and RTP to.
fn advertise_ip(args: &ServerArgs) -> IpAddr {
    if let Some(ip) = args.advertise_ip {
        return ip;
    }
    let listen = args.sip_listen.ip();
    if !listen.is_unspecified() {
        return listen;
    }
    // Asking the routing table which source address it would use; a UDP connect sends nothing.
    UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|socket| {
            socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
            socket.local_addr()
        })
        .map(|addr| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// Runs the PBX until SIGTERM or Ctrl-C.
pub async fn run(args: ServerArgs) -> Result<()> {
    let config = Arc::new(load_config(&args)?);
    let store = Store::open(&args.data_dir)
        .await
        .with_context(|| format!("cannot open the database in {}", args.data_dir.display()))?;
    crate::voicemail::recover(&store, &config).await?;
    let http = tokio::net::TcpListener::bind(args.http_listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", args.http_listen))?;
    let (records, writer) = sb_store::spawn_writer(store.clone());
    let (queue_log, queue_log_writer) = sb_store::spawn_queue_log(store.clone());
    let advertise_ip = advertise_ip(&args);
    let media = Media::new(MediaConfig {
        bind_ip: args.sip_listen.ip(),
        advertise_ip,
        port_min: args.rtp_ports.low,
        port_max: args.rtp_ports.high,
        inactivity_timeout: Duration::from_secs(config.pbx.rtp_timeout_secs),
    })
    .context("media")?;
    let clock = match args.start_time {
        Some(start) => PbxClock::starting_at(start.into()),
        None => PbxClock::real(),
    };
    let prompts = crate::voice::prompts_dir(args.prompts_dir.as_deref())?;
    let mut voice = crate::voice::voice(&config, &prompts, &args.data_dir);
    voice.moh = crate::moh::start(crate::moh::load_music(&config)?);
    let icm =
        crate::icm::build(&config, &store, clock).context("the responsible-manager service")?;
    let icm_builder: sb_sip::IcmBuilder = {
        let store = store.clone();
        Arc::new(move |config: &sb_config::Config| {
            crate::icm::build(config, &store, clock).map_err(|e| format!("{e:#}"))
        })
    };
    let (tasks, task_events) = sb_sip::TaskEvents::channel();
    let mail_wake = Arc::new(tokio::sync::Notify::new());
    let server = SipServer::bind(SipSettings {
        listen: args.sip_listen,
        advertise_ip,
        config: config.clone(),
        voice,
        media,
        records,
        clock,
        icm,
        icm_builder: Some(icm_builder),
        store: store.clone(),
        tasks,
        mail_wake: mail_wake.clone(),
        queue_log,
    })
    .await?;
    server
        .mwi()
        .set_counts(Arc::new(crate::voicemail::StoreCounts {
            store: store.clone(),
            config: server.status().live_config(),
        }));
    let keeper = {
        let config = server.status();
        let icm = server.status();
        crate::tasks::TaskKeeper::new(
            store.clone(),
            Arc::new(move || config.config()),
            Arc::new(move || icm.icm()),
        )
    };
    let stop_mailer = tokio_util::sync::CancellationToken::new();
    let mailer = tokio::spawn(crate::mailer::run(
        store.clone(),
        {
            let status = server.status();
            move || status.config()
        },
        mail_wake.clone(),
        move || clock.now(),
        stop_mailer.clone(),
    ));
    let (stop_keeper, keeper_stopped) = tokio::sync::oneshot::channel::<()>();
    let keeper = tokio::spawn(keeper.run(task_events, async {
        keeper_stopped.await.ok();
    }));
    info!(
        sip = %args.sip_listen,
        http = %args.http_listen,
        %advertise_ip,
        rtp = %format!("{}-{}", args.rtp_ports.low, args.rtp_ports.high),
        data = %args.data_dir.display(),
        extensions = config.extensions.len(),
        pbx_time = %clock.now(),
        "switchboard ready"
    );
    let api_state = ApiState {
        store,
        live: Arc::new(SipLiveView(server.status())),
        control: Arc::new(crate::control::SipControl {
            status: server.status(),
            config_path: args.config.clone(),
        }),
    };
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let api = tokio::spawn(sb_api::serve(http, api_state, async {
        http_stopped.await.ok();
    }));
    let reloader = tokio::spawn(reload_on_sighup(server.status(), args.config.clone()));
    server.run(shutdown_signal()).await?;
    reloader.abort();
    stop_http.send(()).ok();
    match api.await {
        Ok(Err(e)) => error!(error = %e, "HTTP server failed"),
        Err(e) => error!(error = %e, "HTTP server task failed"),
        Ok(Ok(())) => {}
    }
    stop_mailer.cancel();
    if tokio::time::timeout(FLUSH_TIMEOUT, mailer).await.is_err() {
        warn!("the mailer did not stop in time");
    }
    stop_keeper.send(()).ok();
    if tokio::time::timeout(FLUSH_TIMEOUT, keeper).await.is_err() {
        warn!("the callback task keeper did not finish in time");
    }
    if tokio::time::timeout(FLUSH_TIMEOUT, queue_log_writer)
        .await
        .is_err()
    {
        warn!("the queue log writer did not finish in time");
    }
    match tokio::time::timeout(FLUSH_TIMEOUT, writer).await {
        Ok(Ok(())) => info!("call records flushed; stopped"),
        Ok(Err(e)) => error!(error = %e, "call record writer failed"),
        Err(_) => warn!("call record writer did not finish in time"),
    }
    Ok(())
}

/// SIGHUP reads the configuration file again; a file with errors is refused with its
/// messages and the running version stays.
async fn reload_on_sighup(status: sb_sip::SipStatus, path: Option<PathBuf>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangup = match signal(SignalKind::hangup()) {
        Ok(hangup) => hangup,
        Err(e) => {
            error!(error = %e, "cannot listen for SIGHUP");
            return;
        }
    };
    while hangup.recv().await.is_some() {
        let Some(path) = &path else {
            info!("SIGHUP: running the embedded demo, there is no file to reload");
            continue;
        };
        match crate::reload::reload_file(&status, path) {
            Ok(()) => info!(file = %path.display(), "SIGHUP: configuration reloaded"),
            Err(e) => error!("SIGHUP: reload refused, the running configuration stays:\n{e:#}"),
        }
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            error!(error = %e, "cannot listen for SIGTERM");
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = term.recv() => info!("SIGTERM: stopping"),
        _ = tokio::signal::ctrl_c() => info!("interrupt: stopping"),
    }
}

/// `switchboard calls`: the most recent call records as a table.
pub async fn print_calls(args: &ServerArgs, limit: u32) -> Result<()> {
    let store = Store::open(&args.data_dir)
        .await
        .with_context(|| format!("cannot open the database in {}", args.data_dir.display()))?;
    let records = store.recent_calls(limit).await?;
    print!("{}", sb_store::format_calls_table(&records));
    Ok(())
}
