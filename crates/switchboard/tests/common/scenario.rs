//! Helpers for the scenario tests (tests/scenarios.rs): calls the PBX answers itself and walks
//! through a scenario.
//!
//! - [`CallerScript`]: what a caller does once the PBX has answered (pauses, digits as SIP
//!   INFO or RFC 4733, audio, a BYE sent or awaited), written into a copy of
//!   tests/sipp/scn_caller.xml between its STEPS markers and run with SIPp.
//! - [`ConfigEdit`]: edits of the demo configuration by TOML table and key.
//! - [`trace`], [`http_get`], [`wav_data_len`], [`voicemail_messages`]: what the tests read
//!   back: the routing trace (`switchboard trace`), the HTTP API, the recorded messages.

use super::pbx::{binary, wait_until, ConfigText, Pbx};
use super::sipp::{scenario_path, Sipp};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The carrier's calling number in these tests.
pub const CALLER_NUMBER: &str = "79161234567";
/// The demo's main number (DID → scenario `main`).
pub const MAIN_NUMBER: &str = "74950000000";
/// SIPp's RFC 4733 recordings, one digit each: `dtmf_2833_<digit>.pcap`.
pub const DTMF_PCAP_DIR: &str = "/usr/share/sip-tester";
/// SIPp's 20 ms PCMA recording, about 4.7 s of speech.
pub const G711A_PCAP: &str = "/usr/share/sip-tester/g711a.pcap";
/// How long g711a.pcap plays.
pub const G711A_LENGTH: Duration = Duration::from_millis(4_800);

/// Monday 23 November 2026 at `HH:MM` in Moscow, for `--start-time`.
pub fn monday_at(hh_mm: &str) -> String {
    format!("2026-11-23T{hh_mm}:00+03:00")
}

/// A PBX running `config` with its clock started at `start_time` (RFC 3339).
pub fn pbx_at(config: ConfigText, start_time: &str) -> Pbx {
    Pbx::start(
        super::pbx::PbxOptions::with_config(config)
            .arg("--start-time")
            .arg(start_time),
    )
}

/// Edits of a TOML configuration by table and key.
pub trait ConfigEdit: Sized {
    /// Sets `key = value` (value as TOML) in `[table]`, replacing the key's line or adding it
    /// right under the header; panics when the table is missing (a test editing nothing).
    fn set(self, table: &str, key: &str, value: &str) -> Self;
    /// Appends TOML text (new tables) at the end.
    fn append(self, text: &str) -> Self;
}

impl ConfigEdit for ConfigText {
    fn set(self, table: &str, key: &str, value: &str) -> Self {
        ConfigText(set_key(&self.0, table, key, value))
    }

    fn append(self, text: &str) -> Self {
        ConfigText(format!("{}\n{text}\n", self.0))
    }
}

/// The demo with its carrier trunk recognised at 127.0.0.1 on each of `ports` (the first
/// is also its outbound address): several carrier calls at once need several SIPp.
pub fn trunk_at(ports: &[u16]) -> ConfigText {
    let first = ConfigText::demo().trunk_port(ports[0]);
    let single = format!("inbound_addresses = [\"127.0.0.1:{}\"]", ports[0]);
    assert!(first.0.contains(&single), "no {single} in the demo");
    let all: Vec<String> = ports.iter().map(|p| format!("\"127.0.0.1:{p}\"")).collect();
    ConfigText(first.0.replace(
        &single,
        &format!("inbound_addresses = [{}]", all.join(", ")),
    ))
}

/// `key = value` in `[table]` of `toml`.
pub fn set_key(toml: &str, table: &str, key: &str, value: &str) -> String {
    let header = format!("[{table}]");
    let mut lines: Vec<String> = toml.lines().map(str::to_owned).collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == header)
        .unwrap_or_else(|| panic!("no {header} in the configuration"));
    let end = lines[at + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |n| at + 1 + n);
    let setting = format!("{key} = {value}");
    let existing = (at + 1..end).find(|&i| {
        lines[i]
            .trim_start()
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    });
    match existing {
        Some(i) => lines[i] = setting,
        None => lines.insert(at + 1, setting),
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// One thing a caller does after the answer.
#[derive(Clone, Debug)]
pub enum Step {
    Pause(Duration),
    /// A digit as SIP INFO (`application/dtmf-relay`), waiting for its 200.
    Info(char),
    /// A digit as RFC 4733 events, SIPp playing its dtmf_2833 pcap.
    Rfc4733(char),
    /// Speech (g711a.pcap) towards the PBX; the script goes on while it plays.
    Audio,
    /// The caller hangs up: BYE, 200.
    Bye,
    /// The PBX hangs up: waits up to this long for its BYE, answers 200.
    WaitBye(Duration),
}

/// A caller's script after the PBX answered, turned into a SIPp scenario.
#[derive(Clone, Debug, Default)]
pub struct CallerScript {
    pub steps: Vec<Step>,
}

static SCRIPTS: AtomicU32 = AtomicU32::new(0);

impl CallerScript {
    pub fn new() -> Self {
        CallerScript::default()
    }

    pub fn pause_ms(mut self, ms: u64) -> Self {
        self.steps.push(Step::Pause(Duration::from_millis(ms)));
        self
    }

    /// Each digit as an INFO, 200 ms apart (no pause after the last: a BYE the PBX sends
    /// during a pause would be an unexpected message).
    pub fn info_digits(mut self, digits: &str) -> Self {
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 {
                self.steps.push(Step::Pause(Duration::from_millis(200)));
            }
            self.steps.push(Step::Info(digit));
        }
        self
    }

    /// Each digit as RFC 4733 (SIPp's pcap: 10 packets, 200 ms), 400 ms apart; no pause
    /// after the last. SIPp replays the pcaps as recorded, so digits must come in the order
    /// of their recorded RTP timestamps (1 < 0 < 4 ...) or the PBX rightly takes a later
    /// one as a stale packet. SIPp sends them from UDP source port 0.
    pub fn rtp_digits(mut self, digits: &str) -> Self {
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 {
                self.steps.push(Step::Pause(Duration::from_millis(400)));
            }
            self.steps.push(Step::Rfc4733(digit));
        }
        self
    }

    pub fn audio(mut self) -> Self {
        self.steps.push(Step::Audio);
        self
    }

    pub fn bye(mut self) -> Self {
        self.steps.push(Step::Bye);
        self
    }

    pub fn wait_bye(mut self, within: Duration) -> Self {
        self.steps.push(Step::WaitBye(within));
        self
    }

    /// The whole SIPp scenario: scn_caller.xml with this script between its STEPS markers.
    pub fn xml(&self) -> String {
        let template = std::fs::read_to_string(scenario_path("scn_caller")).expect("scn_caller");
        let begin = template.find("<!-- STEPS BEGIN -->").expect("STEPS BEGIN");
        let end = template.find("<!-- STEPS END -->").expect("STEPS END");
        let mut out = template[..begin].to_owned();
        out.push_str("<!-- STEPS (generated) -->\n");
        let mut cseq = 10;
        for step in &self.steps {
            cseq += 1;
            out.push_str(&step_xml(step, cseq));
        }
        out.push_str(&template[end..]);
        out
    }

    /// A SIPp run of this script against `pbx` (the file is written into the test's dir).
    pub fn sipp(&self, pbx: &Pbx) -> Sipp {
        let n = SCRIPTS.fetch_add(1, Ordering::Relaxed);
        let path = pbx.dir().join(format!("scn_caller_{n}.xml"));
        std::fs::write(&path, self.xml()).expect("write the generated scenario");
        // Long scripts: the run's timeout covers all of them plus the call setup.
        let total: Duration = self
            .steps
            .iter()
            .map(|s| match s {
                Step::Pause(d) | Step::WaitBye(d) => *d,
                _ => Duration::from_millis(500),
            })
            .sum();
        Sipp::from_file(path, pbx.sip, pbx.dir()).timeout(total + Duration::from_secs(20))
    }

    /// The carrier calling `number` from the trunk's address (`trunk_port`).
    pub fn carrier(&self, pbx: &Pbx, trunk_port: u16, number: &str) -> Sipp {
        self.sipp(pbx)
            .port(trunk_port)
            .key("user", CALLER_NUMBER)
            .service(number)
    }

    /// Extension `from` (demo password) calling `number`.
    pub fn extension(&self, pbx: &Pbx, from: &str, number: &str) -> Sipp {
        self.sipp(pbx).extension(from).service(number)
    }
}

const IN_DIALOG_HEADERS: &str =
    "      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: <sip:[user]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
";

fn step_xml(step: &Step, cseq: u32) -> String {
    let mut x = String::new();
    match step {
        Step::Pause(d) => {
            let _ = writeln!(x, "  <pause milliseconds=\"{}\"/>", d.as_millis());
        }
        Step::Info(digit) => {
            let _ = write!(
                x,
                "  <send retrans=\"500\">\n    <![CDATA[\n\n      INFO [next_url] SIP/2.0\n{IN_DIALOG_HEADERS}      CSeq: {cseq} INFO\n      Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>\n      Max-Forwards: 70\n      Content-Type: application/dtmf-relay\n      Content-Length: [len]\n\n      Signal={digit}\n      Duration=160\n\n    ]]>\n  </send>\n  <recv response=\"200\">\n    <action>\n      <log message=\"INFO_ANSWERED={digit}\"/>\n    </action>\n  </recv>\n"
            );
        }
        Step::Rfc4733(digit) => {
            let name = match digit {
                '#' => "pound".to_owned(),
                '*' => "star".to_owned(),
                d => d.to_string(),
            };
            let _ = writeln!(
                x,
                "  <nop>\n    <action>\n      <exec play_pcap_audio=\"{DTMF_PCAP_DIR}/dtmf_2833_{name}.pcap\"/>\n    </action>\n  </nop>"
            );
        }
        Step::Audio => {
            let _ = writeln!(
                x,
                "  <nop>\n    <action>\n      <exec play_pcap_audio=\"{G711A_PCAP}\"/>\n    </action>\n  </nop>"
            );
        }
        Step::Bye => {
            let _ = write!(
                x,
                "  <send retrans=\"500\">\n    <![CDATA[\n\n      BYE [next_url] SIP/2.0\n{IN_DIALOG_HEADERS}      CSeq: {cseq} BYE\n      Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>\n      Max-Forwards: 70\n      Content-Length: 0\n\n    ]]>\n  </send>\n  <recv response=\"200\" crlf=\"true\">\n    <action>\n      <log message=\"BYE_ANSWERED=1\"/>\n    </action>\n  </recv>\n"
            );
        }
        Step::WaitBye(within) => {
            let _ = write!(
                x,
                "  <recv request=\"BYE\" timeout=\"{}\">\n    <action>\n      <log message=\"GOT_BYE=1\"/>\n    </action>\n  </recv>\n  <send>\n    <![CDATA[\n\n      SIP/2.0 200 OK\n      [last_Via:]\n      [last_From:]\n      [last_To:]\n      [last_Call-ID:]\n      [last_CSeq:]\n      Content-Length: 0\n\n    ]]>\n  </send>\n",
                within.as_millis()
            );
        }
    }
    x
}

/// Runs the binary with `args` (no SWITCHBOARD_* from the environment).
pub fn run_binary(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run switchboard")
}

/// `switchboard --data-dir DIR trace KEY`, polled until the call's record is written.
pub fn trace(pbx: &Pbx, key: &str) -> String {
    let data_dir = pbx.data_dir.display().to_string();
    let mut last = String::new();
    wait_until(
        &format!("the trace of call {key}"),
        super::RECORD_TIMEOUT,
        || {
            let out = run_binary(&["--data-dir", &data_dir, "trace", key]);
            if out.status.success() {
                return Some(String::from_utf8_lossy(&out.stdout).into_owned());
            }
            last = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(100));
            None
        },
    )
}

/// Asserts that `lines` appear in `trace` in this order (each a substring of a later line
/// than the one before).
pub fn assert_trace_in_order(trace: &str, lines: &[&str]) {
    let all: Vec<&str> = trace.lines().collect();
    let mut from = 0;
    for wanted in lines {
        match all[from..].iter().position(|l| l.contains(wanted)) {
            Some(i) => from += i + 1,
            None => panic!("the trace has no {wanted:?} (after line {from}):\n{trace}"),
        }
    }
}

/// Switchboard's call id from `switchboard trace` output (`call     ID (SIP Call-ID ...)`).
pub fn call_id_of(trace: &str) -> String {
    trace
        .lines()
        .find_map(|l| l.strip_prefix("call"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no call id in the trace:\n{trace}"))
        .to_owned()
}

pub use super::http::get as http_get;

/// The messages in voicemail box `mailbox` of `pbx`.
pub fn voicemail_messages(pbx: &Pbx, mailbox: &str) -> Vec<PathBuf> {
    let dir = pbx.data_dir.join("voicemail").join(mailbox);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    name.starts_with("msg-") && name.ends_with(".wav")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// `switchboard voicemail BOX` on the PBX's data directory: the box's messages as the
/// database has them.
pub fn voicemail_listing(pbx: &Pbx, mailbox: &str) -> String {
    let out = std::process::Command::new(binary())
        .args(["voicemail", mailbox, "--data-dir"])
        .arg(&pbx.data_dir)
        .output()
        .expect("switchboard voicemail runs");
    assert!(
        out.status.success(),
        "switchboard voicemail {mailbox}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks `path` is a RIFF/WAVE file whose `data` chunk fits in it; returns the chunk's
/// length in bytes and the format's sample rate.
pub fn wav_data_len(path: &Path) -> (usize, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let what = path.display();
    assert!(
        bytes.len() >= 44,
        "{what}: {} bytes, not a WAV",
        bytes.len()
    );
    assert_eq!(&bytes[0..4], b"RIFF", "{what}: no RIFF header");
    assert_eq!(&bytes[8..12], b"WAVE", "{what}: not WAVE");
    let riff_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(
        riff_len + 8,
        bytes.len(),
        "{what}: the RIFF size does not match the file (not closed properly?)"
    );
    let mut at = 12;
    let mut rate = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if id == b"fmt " {
            rate = Some(u32::from_le_bytes(
                bytes[at + 12..at + 16].try_into().unwrap(),
            ));
        }
        if id == b"data" {
            assert!(
                at + 8 + len <= bytes.len(),
                "{what}: the data chunk ({len} bytes) runs past the end of the file"
            );
            return (len, rate.unwrap_or_else(|| panic!("{what}: no fmt chunk")));
        }
        at += 8 + len + (len & 1);
    }
    panic!("{what}: no data chunk");
}
