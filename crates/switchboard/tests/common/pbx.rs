//! One `switchboard` process per test: its own loopback ports, RTP range, data directory and
//! log; ready when it answers OPTIONS; stopped (SIGTERM, then SIGKILL) when dropped.

use super::ports;
use super::sip;
use super::sipp::Sipp;
use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the PBX may take to answer its first OPTIONS.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// The log filter when neither SWITCHBOARD_TEST_LOG nor RUST_LOG is set.
const DEFAULT_LOG: &str =
    "info,sb_sip=debug,sb_media=debug,switchboard=debug,rsipstack=warn,sqlx=warn";
/// Lines of the PBX log printed when a test fails.
const LOG_TAIL_LINES: usize = 200;

/// The `switchboard` binary Cargo built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_switchboard")
}

/// The demo office as TOML: `switchboard print-demo-config`, or crates/config/demo.toml when
/// the command does not work.
pub fn demo_config() -> String {
    static DEMO: OnceLock<String> = OnceLock::new();
    DEMO.get_or_init(|| {
        let printed = Command::new(binary())
            .arg("print-demo-config")
            .stdin(Stdio::null())
            .output();
        if let Ok(out) = &printed {
            if out.status.success() && out.stdout.contains(&b'[') {
                return String::from_utf8(out.stdout.clone()).expect("demo config is UTF-8");
            }
        }
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/demo.toml");
        fs::read_to_string(&file).unwrap_or_else(|e| {
            panic!(
                "`switchboard print-demo-config` failed ({printed:?}) and {} is unreadable: {e}",
                file.display()
            )
        })
    })
    .clone()
}

/// Edits of the demo configuration that tests need, on the TOML text itself so a test reads
/// like the change an operator would make.
#[derive(Clone, Debug)]
pub struct ConfigText(pub String);

impl ConfigText {
    pub fn demo() -> Self {
        ConfigText(demo_config())
    }

    /// Sets `key = value` in the `[pbx]` table (value as TOML: `2`, `"x"`).
    pub fn pbx(self, key: &str, value: &str) -> Self {
        ConfigText(set_table_key(&self.0, "pbx", key, value))
    }

    pub fn ring_timeout_secs(self, secs: u64) -> Self {
        self.pbx("ring_timeout_secs", &secs.to_string())
    }

    /// Points the carrier trunk (inbound and outbound) at 127.0.0.1:`port` instead of :5090.
    pub fn trunk_port(self, port: u16) -> Self {
        assert!(
            self.0.contains("127.0.0.1:5090"),
            "the demo configuration has no 127.0.0.1:5090 trunk address to replace:\n{}",
            self.0
        );
        ConfigText(
            self.0
                .replace("127.0.0.1:5090", &format!("127.0.0.1:{port}")),
        )
    }
}

/// Replaces `key = ...` in `[table]`, or adds it right under the table header (adding the
/// table at the top when missing).
fn set_table_key(toml: &str, table: &str, key: &str, value: &str) -> String {
    let header = format!("[{table}]");
    let setting = format!("{key} = {value}");
    let mut lines: Vec<String> = toml.lines().map(str::to_owned).collect();
    match lines.iter().position(|l| l.trim() == header) {
        Some(at) => {
            let end = lines[at + 1..]
                .iter()
                .position(|l| l.trim_start().starts_with('['))
                .map_or(lines.len(), |n| at + 1 + n);
            match (at + 1..end).find(|&i| is_key_line(&lines[i], key)) {
                Some(i) => lines[i] = setting,
                None => lines.insert(at + 1, setting),
            }
        }
        None => {
            lines.insert(0, String::new());
            lines.insert(0, setting);
            lines.insert(0, header);
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn is_key_line(line: &str, key: &str) -> bool {
    let t = line.trim_start();
    t.strip_prefix(key)
        .map(|rest| rest.trim_start().starts_with('='))
        .unwrap_or(false)
}

/// How to start a PBX.
#[derive(Clone, Debug, Default)]
pub struct PbxOptions {
    /// A TOML configuration to write and pass with --config; None runs the embedded demo.
    pub config: Option<String>,
    /// Extra command-line arguments.
    pub args: Vec<String>,
    /// How many RTP ports the instance gets (default 20).
    pub rtp_port_count: Option<u16>,
    /// The data directory of an earlier instance to start on (a restart after a crash or a
    /// stop), instead of a fresh one; the earlier [`Pbx`] must outlive this one, since its
    /// temp dir holds the directory.
    pub data_dir: Option<PathBuf>,
}

impl PbxOptions {
    /// The embedded demo office, no --config.
    pub fn demo() -> Self {
        PbxOptions::default()
    }

    pub fn with_config(config: ConfigText) -> Self {
        PbxOptions {
            config: Some(config.0),
            ..PbxOptions::default()
        }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Starts on `data_dir` (see [`PbxOptions::data_dir`]).
    pub fn data_dir(mut self, data_dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(data_dir.into());
        self
    }
}

/// A running `switchboard`.
pub struct Pbx {
    /// SIP, UDP and TCP.
    pub sip: SocketAddr,
    pub http: SocketAddr,
    /// The RTP range given with --rtp-ports, inclusive.
    pub rtp_ports: (u16, u16),
    pub data_dir: PathBuf,
    log_path: PathBuf,
    dir: Option<tempfile::TempDir>,
    child: Option<Child>,
}

impl Pbx {
    /// The demo office with no --config.
    pub fn demo() -> Pbx {
        Pbx::start(PbxOptions::demo())
    }

    /// Starts the PBX and waits until it answers OPTIONS with 200; panics with its log if it
    /// does not within 20 s. A start that loses a port race is retried on fresh ports.
    pub fn start(options: PbxOptions) -> Pbx {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Pbx::try_start(&options) {
                Ok(pbx) => return pbx,
                Err(failed) => {
                    let (mut pbx, why) = *failed;
                    let log = pbx.log();
                    let port_race =
                        log.contains("Address already in use") || log.contains("AddrInUse");
                    if port_race && attempt < 3 {
                        drop(pbx);
                        continue;
                    }
                    let tail = tail(&log, LOG_TAIL_LINES);
                    let dir = pbx.keep_files();
                    panic!("switchboard did not become ready: {why}\n--- switchboard log (last {LOG_TAIL_LINES} lines; files kept in {dir}) ---\n{tail}");
                }
            }
        }
    }

    fn try_start(options: &PbxOptions) -> Result<Pbx, Box<(Pbx, String)>> {
        let dir = tempfile::Builder::new()
            .prefix("switchboard-test-")
            .tempdir()
            .expect("temp dir");
        let sip = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, ports::port()));
        let http = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, ports::port()));
        let rtp_ports = ports::port_range(options.rtp_port_count.unwrap_or(20));
        let data_dir = options
            .data_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("data"));
        fs::create_dir_all(&data_dir).expect("data dir");
        let log_path = dir.path().join("switchboard.log");

        let mut command = Command::new(binary());
        command
            .arg("--sip-listen")
            .arg(sip.to_string())
            .arg("--http-listen")
            .arg(http.to_string())
            .arg("--rtp-ports")
            .arg(format!("{}-{}", rtp_ports.0, rtp_ports.1))
            .arg("--data-dir")
            .arg(&data_dir);
        if let Some(config) = &options.config {
            let path = dir.path().join("switchboard.toml");
            fs::write(&path, config).expect("write config");
            command.arg("--config").arg(path);
        }
        command.args(&options.args);
        isolate_env(&mut command);
        command
            .stdin(Stdio::null())
            .stdout(File::create(dir.path().join("stdout.log")).expect("stdout file"))
            .stderr(File::create(&log_path).expect("log file"));
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary()));

        let mut pbx = Pbx {
            sip,
            http,
            rtp_ports,
            data_dir,
            log_path,
            dir: Some(dir),
            child: Some(child),
        };
        match pbx.wait_ready() {
            Ok(()) => Ok(pbx),
            Err(why) => Err(Box::new((pbx, why))),
        }
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let mut last = None;
        while started.elapsed() < READY_TIMEOUT {
            if let Some(status) = self.exit_status() {
                return Err(format!("it exited with {status}"));
            }
            match sip::options_udp(self.sip, Duration::from_millis(250)) {
                Some(200) => return Ok(()),
                other => last = other.or(last),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(match last {
            Some(code) => format!(
                "OPTIONS to {} was answered {code}, not 200, for {READY_TIMEOUT:?}",
                self.sip
            ),
            None => format!(
                "no answer to OPTIONS on {} within {READY_TIMEOUT:?}",
                self.sip
            ),
        })
    }

    /// The directory holding this instance's config, log and data; tests put SIPp's files here.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("dir").path()
    }

    /// A SIPp run against this PBX, its files kept next to the PBX log.
    pub fn sipp(&self, scenario: &str) -> Sipp {
        Sipp::new(scenario, self.sip, self.dir())
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("child").id()
    }

    /// The PBX's log (stderr) so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&fs::read(&self.log_path).unwrap_or_default()).into_owned()
    }

    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Sends SIGTERM, as an operator stopping the service would.
    pub fn sigterm(&self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGTERM) };
    }

    /// Kills the process with SIGKILL, as a crash or a power cut would, and reaps it; the
    /// handle then owns no process (dropping it is no crash), and its files stay until it is
    /// dropped, for a restart on the same data directory ([`PbxOptions::data_dir`]).
    pub fn sigkill(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("a running switchboard");
        // Child::kill is SIGKILL on Unix.
        child.kill().expect("SIGKILL switchboard");
        child.wait().expect("reap switchboard")
    }

    /// Waits for the PBX to exit by itself (after [`Pbx::sigterm`]) and returns its status;
    /// the process is then no longer this handle's, so dropping it does not count the exit
    /// as a crash (its log is still checked for panics).
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let status = wait_until("switchboard exits", timeout, || self.exit_status());
        self.child = None;
        status
    }

    /// Panics (with the log) if the process has exited or logged a panic.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.exit_status() {
            panic!(
                "switchboard exited ({status}); log tail:\n{}",
                tail(&self.log(), LOG_TAIL_LINES)
            );
        }
        self.assert_no_panic();
    }

    fn assert_no_panic(&self) {
        let log = self.log();
        if let Some(at) = log.find("panicked at") {
            let start = log[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
            panic!(
                "switchboard panicked:\n{}",
                &log[start..(at + 2000).min(log.len())]
            );
        }
    }

    /// Resident memory of the process, from /proc/PID/status, in KiB.
    pub fn vm_rss_kib(&self) -> u64 {
        let status =
            fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// OPTIONS over UDP; the final status code.
    pub fn options_udp(&self) -> Option<u16> {
        sip::options_udp(self.sip, Duration::from_secs(2))
    }

    /// OPTIONS over a new TCP connection; the final status code.
    pub fn options_tcp(&self) -> Option<u16> {
        sip::options_tcp(self.sip, Duration::from_secs(2))
    }

    /// Polls until the PBX answers OPTIONS 200 over UDP and then over TCP; panics (with the
    /// last answers) after `timeout`.
    pub fn wait_answering_options(&self, timeout: Duration) {
        let started = Instant::now();
        let (mut udp, mut tcp) = (None, None);
        while started.elapsed() < timeout {
            udp = self.options_udp();
            if udp == Some(200) {
                tcp = self.options_tcp();
                if tcp == Some(200) {
                    return;
                }
            }
        }
        panic!("the PBX stopped answering OPTIONS: last UDP answer {udp:?}, TCP {tcp:?} (within {timeout:?})");
    }

    /// `switchboard calls --data-dir DIR --limit 100`, parsed.
    pub fn calls(&self) -> Result<Vec<CallRow>, String> {
        let out = Command::new(binary())
            .arg("calls")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--limit")
            .arg("100")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run switchboard calls: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            return Err(format!(
                "switchboard calls exited {}: {}{}",
                out.status,
                stdout,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(parse_calls_table(&stdout))
    }

    /// Polls `switchboard calls` until a record with `disposition` appears (records are
    /// written when the call ends, possibly a moment after the last SIP message).
    pub fn wait_for_call(&self, disposition: &str, timeout: Duration) -> CallRow {
        let started = Instant::now();
        let mut last = Err(String::from("never ran"));
        while started.elapsed() < timeout {
            last = self.calls();
            if let Ok(rows) = &last {
                if let Some(row) = rows.iter().find(|r| r.disposition == disposition) {
                    return row.clone();
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no call record with disposition {disposition:?} within {timeout:?}; `switchboard calls` gave: {last:#?}");
    }

    /// Keeps the temp dir after the test (for a failure) and returns its path.
    fn keep_files(&mut self) -> String {
        match self.dir.take() {
            Some(dir) => {
                let path = dir.keep();
                path.display().to_string()
            }
            None => String::from("(already kept)"),
        }
    }

    fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        if child.try_wait().ok().flatten().is_none() {
            // SAFETY: kill(2) on our own child's pid.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            child.kill().ok();
        }
        child.wait().ok()
    }
}

impl Drop for Pbx {
    fn drop(&mut self) {
        let exited_on_its_own = self.exit_status();
        self.stop();
        let keep = std::env::var_os("SWITCHBOARD_TEST_KEEP").is_some();
        if std::thread::panicking() {
            let log = self.log();
            let dir = self.keep_files();
            eprintln!(
                "--- switchboard log, last {LOG_TAIL_LINES} lines (SIP {}; files kept in {dir}) ---\n{}",
                self.sip,
                tail(&log, LOG_TAIL_LINES)
            );
            return;
        }
        if keep {
            eprintln!("switchboard test files kept in {}", self.keep_files());
        }
        if let Some(status) = exited_on_its_own {
            let log = self.log();
            let dir = self.keep_files();
            panic!(
                "switchboard exited during the test ({status}); files in {dir}; log tail:\n{}",
                tail(&log, LOG_TAIL_LINES)
            );
        }
        self.assert_no_panic();
    }
}

/// Removes SWITCHBOARD_* settings inherited from the developer's shell and sets the log
/// filter (SWITCHBOARD_TEST_LOG, else RUST_LOG, else a debug level for Switchboard's crates).
fn isolate_env(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SWITCHBOARD_") {
            command.env_remove(&key);
        }
    }
    let filter = std::env::var("SWITCHBOARD_TEST_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| DEFAULT_LOG.to_owned());
    command.env("RUST_LOG", filter);
}

/// One line of `switchboard calls`.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRow {
    pub line: String,
    /// ANSWERED, NO ANSWER, BUSY, FAILED or CANCELLED.
    pub disposition: String,
    /// The CALLER and CALLEE columns when the header names them (`101 (Anna)`).
    pub caller: String,
    pub callee: String,
}

const DISPOSITIONS: [&str; 5] = ["NO ANSWER", "ANSWERED", "BUSY", "FAILED", "CANCELLED"];

/// Parses the table: the header line gives the column starts; rows are cut there. The
/// disposition is found by its words, so the parse survives column changes.
pub fn parse_calls_table(text: &str) -> Vec<CallRow> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let column = |name: &str| header.find(name);
    let caller_at = column("CALLER");
    let callee_at = column("CALLEE");
    let next_after = |start: usize| {
        header[start..].find("  ").and_then(|gap| {
            header[start + gap..]
                .find(|c: char| c != ' ')
                .map(|n| start + gap + n)
        })
    };
    let cut = |line: &str, at: Option<usize>| -> String {
        let Some(start) = at else {
            return String::new();
        };
        let end = next_after(start).unwrap_or(line.len());
        line.get(start..end.min(line.len()))
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    lines
        .filter_map(|line| {
            let disposition = DISPOSITIONS.iter().find(|d| {
                line.match_indices(*d).any(|(i, _)| {
                    let before = line[..i].chars().next_back();
                    let after = line[i + d.len()..].chars().next();
                    before.is_none_or(|c| c == ' ') && after.is_none_or(|c| c == ' ')
                })
            })?;
            Some(CallRow {
                line: line.to_owned(),
                disposition: (*disposition).to_owned(),
                caller: cut(line, caller_at),
                callee: cut(line, callee_at),
            })
        })
        .collect()
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Polls `f` every 20 ms until it returns Some, or panics after `timeout` naming `what`.
pub fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = f() {
            return value;
        }
        if started.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
