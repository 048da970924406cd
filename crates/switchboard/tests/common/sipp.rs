//! Running SIPp scenarios from tests/sipp/: in the foreground with a timeout, or in the
//! background (a UAS waiting for the PBX's INVITE) to be waited for later.
//!
//! Every run gets its own SIP, media (-mp) and control (-cp) ports, so parallel runs never
//! collide, and writes its files (`<name>_logs.log` from the scenarios' `<log>` actions,
//! `_messages.log`, `_errors.log`, `_screen.log`) into the test's directory. Scenarios report
//! what they saw as `KEY=value` lines in the logs file (CALL_ID, SDP_ANSWER, GOT_CANCEL, ...),
//! which [`SippOutcome::log`] reads.
//!
//! Always passed: `-m 1` (one call, then exit: 0 = the call succeeded), `-nostdin`, `-aa`
//! (answer OPTIONS/INFO/NOTIFY/UPDATE 200: a PBX's keep-alive OPTIONS to a registered SIPp
//! must not count as an unexpected message), `-recv_timeout` and `-timeout ... -timeout_error`
//! so a scenario waiting for a message that never comes fails instead of hanging.

use super::ports;
use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static RUNS: AtomicU32 = AtomicU32::new(0);

/// The SIPp executable: $SIPP or `sipp` on PATH.
pub fn sipp_binary() -> String {
    std::env::var("SIPP").unwrap_or_else(|_| "sipp".to_owned())
}

/// tests/sipp/<name>.xml (the name may include a subdirectory and may end in .xml).
pub fn scenario_path(name: &str) -> PathBuf {
    let file = if name.ends_with(".xml") {
        name.to_owned()
    } else {
        format!("{name}.xml")
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sipp")
        .join(file);
    assert!(path.is_file(), "no SIPp scenario {}", path.display());
    path
}

/// A SIPp invocation being built.
#[derive(Clone, Debug)]
pub struct Sipp {
    scenario: PathBuf,
    name: String,
    remote: SocketAddr,
    dir: PathBuf,
    /// The SIP port SIPp binds (-p): a registered UAS must reuse its registration's port.
    pub port: u16,
    media_port: u16,
    control_port: u16,
    keys: Vec<(String, String)>,
    args: Vec<String>,
    service: Option<String>,
    auth_user: Option<String>,
    tcp: bool,
    timeout: Duration,
    recv_timeout: Duration,
}

impl Sipp {
    /// `scenario` from tests/sipp/, talking to `remote`, files in `dir`.
    pub fn new(scenario: &str, remote: SocketAddr, dir: &Path) -> Sipp {
        Sipp::from_file(scenario_path(scenario), remote, dir)
    }

    /// A scenario file outside tests/sipp/ (one a test generated).
    pub fn from_file(scenario: PathBuf, remote: SocketAddr, dir: &Path) -> Sipp {
        let stem = scenario.file_stem().unwrap().to_string_lossy().into_owned();
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let media_port = ports::ports(4, true);
        Sipp {
            scenario,
            name: format!("{n:03}-{stem}"),
            remote,
            dir: dir.to_owned(),
            port: ports::port(),
            media_port,
            control_port: ports::port(),
            // By default the SDP offers SIPp's own media port: it is bound (by SIPp), so RTP
            // the PBX sends there is not answered by ICMP errors.
            keys: vec![("rtp_port".into(), media_port.to_string())],
            args: Vec::new(),
            service: None,
            auth_user: None,
            tcp: false,
            timeout: Duration::from_secs(30),
            recv_timeout: Duration::from_secs(10),
        }
    }

    /// The local SIP port (-p).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// `-key name value`, used as [name] in the scenario.
    pub fn key(mut self, name: &str, value: impl ToString) -> Self {
        self.keys.retain(|(k, _)| k != name);
        self.keys.push((name.to_owned(), value.to_string()));
        self
    }

    /// The extension this SIPp acts as ([user]) and its digest credentials (-au / -ap).
    pub fn auth(mut self, user: &str, password: &str) -> Self {
        self.auth_user = Some(user.to_owned());
        self.key("user", user)
            .arg("-au")
            .arg(user)
            .arg("-ap")
            .arg(password)
    }

    /// The extension with the demo password (`demo` + number).
    pub fn extension(self, number: &str) -> Self {
        let password = format!("demo{number}");
        self.auth(number, &password)
    }

    /// The number called (-s), the user part of the INVITE's Request-URI.
    pub fn service(mut self, number: &str) -> Self {
        self.service = Some(number.to_owned());
        self.arg("-s").arg(number)
    }

    /// The m=audio port written into this SIPp's SDP.
    pub fn rtp_port(self, port: u16) -> Self {
        self.key("rtp_port", port)
    }

    /// Duration of the scenario's `<pause/>` (-d), in milliseconds.
    pub fn pause_ms(self, ms: u64) -> Self {
        self.arg("-d").arg(ms.to_string())
    }

    /// SIP over TCP (-t t1) instead of UDP.
    pub fn tcp(mut self) -> Self {
        self.tcp = true;
        self
    }

    /// How long the whole run may take before SIPp fails it (and the harness kills it).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long each `<recv>` waits before the call fails (-recv_timeout).
    pub fn recv_timeout(mut self, timeout: Duration) -> Self {
        self.recv_timeout = timeout;
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    fn file(&self, what: &str) -> PathBuf {
        self.dir.join(format!("sipp-{}_{what}.log", self.name))
    }

    fn command_line(&self) -> Vec<String> {
        let mut line = vec![
            self.remote.to_string(),
            "-sf".into(),
            self.scenario.display().to_string(),
            "-i".into(),
            "127.0.0.1".into(),
            "-p".into(),
            self.port.to_string(),
            "-mp".into(),
            self.media_port.to_string(),
            "-cp".into(),
            self.control_port.to_string(),
            "-t".into(),
            if self.tcp { "t1" } else { "u1" }.into(),
            "-m".into(),
            "1".into(),
            "-nostdin".into(),
            "-aa".into(),
            "-recv_timeout".into(),
            self.recv_timeout.as_millis().to_string(),
            "-timeout".into(),
            format!("{}s", self.timeout.as_secs().max(1)),
            "-timeout_error".into(),
            "-trace_err".into(),
            "-error_file".into(),
            self.file("errors").display().to_string(),
            "-trace_msg".into(),
            "-message_file".into(),
            self.file("messages").display().to_string(),
            "-trace_logs".into(),
            "-log_file".into(),
            self.file("logs").display().to_string(),
            "-trace_screen".into(),
            "-screen_file".into(),
            self.file("screen").display().to_string(),
        ];
        // The digest uri must be the Request-URI; SIPp's default is remote_ip:remote_port.
        if let (Some(service), Some(_)) = (&self.service, &self.auth_user) {
            line.push("-auth_uri".into());
            line.push(format!("{service}@{}", self.remote));
        }
        for (k, v) in &self.keys {
            line.push("-key".into());
            line.push(k.clone());
            line.push(v.clone());
        }
        line.extend(self.args.iter().cloned());
        line
    }

    /// Starts SIPp in the background.
    pub fn spawn(self) -> SippRun {
        let args = self.command_line();
        let stdout = File::create(self.file("stdout")).expect("sipp stdout file");
        let child = Command::new(sipp_binary())
            .args(&args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(stdout.try_clone().expect("dup"))
            .stderr(stdout)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} ({e}): install SIPp with scripts/install-test-peers.sh",
                    sipp_binary()
                )
            });
        SippRun {
            command: format!("{} {}", sipp_binary(), args.join(" ")),
            child: Some(child),
            started: Instant::now(),
            sipp: self,
        }
    }

    /// Runs SIPp to the end (or its timeout) and returns what happened.
    pub fn run(self) -> SippOutcome {
        self.spawn().wait()
    }

    /// Runs and panics with SIPp's diagnostics unless the call succeeded (exit 0).
    pub fn run_ok(self) -> SippOutcome {
        let outcome = self.run();
        outcome.assert_success();
        outcome
    }
}

/// A SIPp running in the background; killed when dropped.
pub struct SippRun {
    pub sipp: Sipp,
    command: String,
    child: Option<Child>,
    started: Instant,
}

impl SippRun {
    /// Waits until SIPp listens on its SIP port (so an INVITE sent to it now is received).
    pub fn wait_ready(&mut self) -> &mut Self {
        let port = self.sipp.port;
        let tcp = self.sipp.tcp;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if is_listening(port, tcp) {
                return self;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "SIPp exited ({status}) before listening on {port}:\n{}",
                    self.collect(Some(status), false)
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "SIPp never listened on port {port}:\n{}",
                    self.collect(None, true)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls the scenario's logs file for `KEY=value` and returns the value (trimmed).
    pub fn wait_log(&mut self, key: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let path = self.sipp.file("logs");
        loop {
            let text = fs::read_to_string(&path).unwrap_or_default();
            if let Some(value) = log_value(&text, key) {
                return value;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                let outcome = self.collect(exited, false);
                panic!("SIPp never logged {key}= (within {timeout:?}):\n{outcome}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The value of `KEY=` in the scenario's logs file so far, if logged.
    pub fn logged(&self, key: &str) -> Option<String> {
        log_value(
            &fs::read_to_string(self.sipp.file("logs")).unwrap_or_default(),
            key,
        )
    }

    /// Waits for SIPp to exit (killing it after its timeout plus a grace period).
    pub fn wait(self) -> SippOutcome {
        let limit =
            (self.sipp.timeout + Duration::from_secs(5)).saturating_sub(self.started.elapsed());
        self.wait_at_most(limit)
    }

    /// Waits for this SIPp after its peer finished: normally (`wait`) when the peer
    /// succeeded, at most 3 s when it failed (a UAS still waiting for an INVITE that will
    /// never come would otherwise hold the test until its own timeout).
    pub fn wait_after(self, peer: &SippOutcome) -> SippOutcome {
        if peer.success() {
            self.wait()
        } else {
            self.wait_at_most(Duration::from_secs(3))
        }
    }

    /// Waits up to `limit`, then kills SIPp.
    pub fn wait_at_most(mut self, limit: Duration) -> SippOutcome {
        let deadline = Instant::now() + limit;
        let mut status = None;
        let mut killed = false;
        if let Some(child) = self.child.as_mut() {
            loop {
                if let Some(s) = child.try_wait().ok().flatten() {
                    status = Some(s);
                    break;
                }
                if Instant::now() > deadline {
                    child.kill().ok();
                    status = child.wait().ok();
                    killed = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.child = None;
        self.collect(status, killed)
    }

    /// Kills SIPp now and returns its files.
    pub fn stop(mut self) -> SippOutcome {
        let mut status = None;
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            status = child.wait().ok();
        }
        self.collect(status, true)
    }

    fn collect(&self, status: Option<ExitStatus>, killed: bool) -> SippOutcome {
        let read = |what: &str| {
            String::from_utf8_lossy(&fs::read(self.sipp.file(what)).unwrap_or_default())
                .into_owned()
        };
        SippOutcome {
            name: self.sipp.name.clone(),
            command: self.command.clone(),
            exit_code: status.and_then(|s| s.code()),
            killed,
            logs: read("logs"),
            errors: read("errors"),
            messages: read("messages"),
            screen: read("screen"),
            stdout: read("stdout"),
        }
    }
}

impl Drop for SippRun {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// What a SIPp run left behind.
#[derive(Clone)]
pub struct SippOutcome {
    pub name: String,
    pub command: String,
    /// 0: the call succeeded; 1: it failed; None: killed.
    pub exit_code: Option<i32>,
    pub killed: bool,
    /// `KEY=value` lines written by the scenario's `<log>` actions.
    pub logs: String,
    pub errors: String,
    pub messages: String,
    pub screen: String,
    pub stdout: String,
}

impl SippOutcome {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    pub fn assert_success(&self) {
        assert!(self.success(), "SIPp scenario failed:\n{self}");
    }

    /// For scenarios that must fail (a negative check).
    pub fn assert_failure(&self) {
        assert!(
            !self.success() && !self.killed,
            "SIPp scenario was expected to fail:\n{self}"
        );
    }

    /// The first value logged as `KEY=value`, trimmed.
    pub fn log(&self, key: &str) -> Option<String> {
        log_value(&self.logs, key)
    }

    /// The value of `KEY=...`; panics with the run's diagnostics when it is missing.
    pub fn expect_log(&self, key: &str) -> String {
        self.log(key)
            .unwrap_or_else(|| panic!("SIPp never logged {key}=:\n{self}"))
    }

    /// All logged values, as a map (last value wins).
    pub fn log_map(&self) -> HashMap<String, String> {
        self.logs
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()
    }

    /// How many messages of this kind SIPp received ("INVITE", "CANCEL", "SIP/2.0 200").
    pub fn received(&self, start_line_prefix: &str) -> usize {
        let mut count = 0;
        let mut lines = self.messages.lines();
        while let Some(line) = lines.next() {
            if line.contains("message received") {
                let first = lines.by_ref().find(|l| !l.trim().is_empty()).unwrap_or("");
                if first.starts_with(start_line_prefix) {
                    count += 1;
                }
            }
        }
        count
    }
}

impl fmt::Display for SippOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = |text: &str, n: usize| super::pbx::tail(text, n);
        writeln!(
            f,
            "=== SIPp {} (exit {:?}{}) ===",
            self.name,
            self.exit_code,
            if self.killed { ", killed" } else { "" }
        )?;
        writeln!(f, "command: {}", self.command)?;
        writeln!(f, "--- logs ---\n{}", self.logs.trim_end())?;
        writeln!(f, "--- errors ---\n{}", tail(&self.errors, 40))?;
        writeln!(
            f,
            "--- stdout/stderr (tail) ---\n{}",
            tail(&self.stdout, 15)
        )?;
        writeln!(f, "--- messages (tail) ---\n{}", tail(&self.messages, 120))
    }
}

impl fmt::Debug for SippOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The first `KEY=value` in a logs file, value trimmed.
pub fn log_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().to_owned())
    })
}

/// Whether something is bound to 127.0.0.1:`port` (UDP) or listening on it (TCP), from
/// /proc/net: the harness's "SIPp is ready" check.
pub fn is_listening(port: u16, tcp: bool) -> bool {
    let (file, state) = if tcp {
        ("/proc/net/tcp", "0A")
    } else {
        ("/proc/net/udp", "07")
    };
    let wanted = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .any(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            cols.len() > 3 && wanted.iter().any(|w| w == cols[1]) && cols[3] == state
        })
}
