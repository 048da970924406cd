//! baresip, a real softphone, registered to the PBX and driven over its ctrl_tcp module
//! (netstring-framed JSON commands in, call events out).
//!
//! Audio without a sound card: `ausine` (a 440 Hz tone, 48 kHz stereo, resampled by baresip)
//! as the source, `aubridge` as the player; codecs g711 only. Each instance has its own config
//! directory (`-f DIR`), SIP port, RTP range and ctrl_tcp port.

use super::pbx::Pbx;
use super::ports;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The baresip executable: $BARESIP or `baresip` on PATH.
pub fn baresip_binary() -> String {
    std::env::var("BARESIP").unwrap_or_else(|_| "baresip".to_owned())
}

fn module_path() -> String {
    std::env::var("BARESIP_MODULES").unwrap_or_else(|_| "/usr/lib/baresip/modules".to_owned())
}

/// How the softphone treats incoming calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerMode {
    Manual,
    Auto,
}

pub struct Baresip {
    pub user: String,
    pub dir: PathBuf,
    pub sip_port: u16,
    ctrl: TcpStream,
    buffer: Vec<u8>,
    /// Every message received on ctrl_tcp (events and command responses), as JSON text.
    pub messages: Vec<String>,
    consumed: Vec<bool>,
    child: Option<Child>,
    token: u32,
}

impl Baresip {
    /// Starts baresip as `user` (password `demo` + user) registered to `pbx`.
    pub fn start(pbx: &Pbx, user: &str, answer: AnswerMode) -> Baresip {
        let dir = pbx.dir().join(format!("baresip-{user}"));
        fs::create_dir_all(&dir).expect("baresip dir");
        // baresip listens on sip_listen's port for UDP and TCP, and on the next one for TLS.
        let sip_port = ports::ports(2, false);
        let ctrl_port = ports::port();
        let (rtp_low, rtp_high) = ports::port_range(10);
        let config = format!(
            "poll_method\t\tepoll\n\
             sip_listen\t\t127.0.0.1:{sip_port}\n\
             call_local_timeout\t120\n\
             call_max_calls\t\t4\n\
             audio_player\t\taubridge,play\n\
             audio_source\t\tausine,440\n\
             audio_alert\t\taubridge,alert\n\
             ausrc_srate\t\t48000\n\
             ausrc_channels\t\t2\n\
             rtp_ports\t\t{rtp_low}-{rtp_high}\n\
             module_path\t\t{modules}\n\
             module\t\t\tg711.so\n\
             module\t\t\tausine.so\n\
             module\t\t\taubridge.so\n\
             module_tmp\t\taccount.so\n\
             module_app\t\tmenu.so\n\
             module_app\t\tctrl_tcp.so\n\
             ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}\n",
            modules = module_path(),
        );
        fs::write(dir.join("config"), config).expect("baresip config");
        let answermode = match answer {
            AnswerMode::Manual => "manual",
            AnswerMode::Auto => "auto",
        };
        let account = format!(
            "<sip:{user}@{pbx};transport=udp>;auth_pass=demo{user};regint=600;answermode={answermode};audio_codecs=pcma,pcmu\n",
            pbx = pbx.sip,
        );
        fs::write(dir.join("accounts"), account).expect("baresip accounts");
        fs::write(dir.join("contacts"), "").expect("baresip contacts");

        let out = File::create(dir.join("baresip.log")).expect("baresip log");
        let mut child = Command::new(baresip_binary())
            .arg("-f")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} ({e}): install it with scripts/install-test-peers.sh",
                    baresip_binary()
                )
            });

        let ctrl_addr: SocketAddr = ([127, 0, 0, 1], ctrl_port).into();
        let deadline = Instant::now() + Duration::from_secs(10);
        let ctrl = loop {
            if let Ok(stream) = TcpStream::connect_timeout(&ctrl_addr, Duration::from_millis(200)) {
                break stream;
            }
            if let Some(status) = child.try_wait().ok().flatten() {
                let log = fs::read_to_string(dir.join("baresip.log")).unwrap_or_default();
                panic!("baresip exited ({status}) before opening ctrl_tcp:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "baresip did not open ctrl_tcp on {ctrl_addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Baresip {
            user: user.to_owned(),
            dir,
            sip_port,
            ctrl,
            buffer: Vec::new(),
            messages: Vec::new(),
            consumed: Vec::new(),
            child: Some(child),
            token: 0,
        }
    }

    /// Sends a ctrl_tcp command (`dial`, `hangup`, `reginfo`, `quit`, ...) and returns the
    /// response's JSON text.
    pub fn command(&mut self, command: &str, params: Option<&str>) -> String {
        self.token += 1;
        let token = format!("t{}", self.token);
        let mut json = format!("{{\"command\":\"{command}\",\"token\":\"{token}\"");
        if let Some(params) = params {
            json.push_str(&format!(
                ",\"params\":\"{}\"",
                params.replace('\\', "\\\\").replace('"', "\\\"")
            ));
        }
        json.push('}');
        let frame = format!("{}:{json},", json.len());
        self.ctrl
            .write_all(frame.as_bytes())
            .expect("write to baresip ctrl_tcp");
        let needle = format!("\"token\":\"{token}\"");
        self.wait_message(
            &format!("response to {command}"),
            Duration::from_secs(5),
            |m| m.contains("\"response\":true") && m.contains(&needle),
        )
    }

    /// Waits until baresip reports its account registered (polls `reginfo`).
    pub fn wait_registered(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let info = self.command("reginfo", None);
            if info.contains("32mOK") || info.contains(" OK ") {
                return;
            }
            // A refused registration shows as ERR with a `reg: ... Register: <why>` line; baresip
            // would only retry much later, so stop waiting.
            let refused = info.contains("ERR") && self.log().contains(": Register: ");
            if refused || Instant::now() > deadline {
                let log = self.log();
                let hint = if log.contains("Register: Function not implemented") {
                    "\nhint: baresip 1.0 (libre) gives up with ENOSYS on a WWW-Authenticate whose \
                     algorithm it does not know (e.g. SHA-256 offered next to MD5), instead of \
                     answering the MD5 one"
                } else {
                    ""
                };
                panic!("baresip {} did not register (waited up to {timeout:?}); last reginfo: {info}{hint}\n{log}", self.user);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for an event `{"event":true,"type":"<kind>",...}` not returned before.
    pub fn wait_event(&mut self, kind: &str, timeout: Duration) -> String {
        let needle = format!("\"type\":\"{kind}\"");
        self.wait_message(&format!("event {kind}"), timeout, |m| {
            m.contains("\"event\":true") && m.contains(&needle)
        })
    }

    /// Whether an event of this kind has been seen (returned or not).
    pub fn saw_event(&self, kind: &str) -> bool {
        let needle = format!("\"type\":\"{kind}\"");
        self.messages
            .iter()
            .any(|m| m.contains("\"event\":true") && m.contains(&needle))
    }

    fn wait_message(
        &mut self,
        what: &str,
        timeout: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) =
                (0..self.messages.len()).find(|&i| !self.consumed[i] && matches(&self.messages[i]))
            {
                self.consumed[i] = true;
                return self.messages[i].clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "baresip {}: no {what} within {timeout:?}; ctrl_tcp messages so far:\n{}\n--- baresip log ---\n{}",
                    self.user,
                    self.messages.join("\n"),
                    self.log()
                );
            }
            self.read_some(left.min(Duration::from_millis(200)));
        }
    }

    fn read_some(&mut self, wait: Duration) {
        self.ctrl
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .ok();
        let mut buf = [0u8; 8192];
        if let Ok(n) = self.ctrl.read(&mut buf) {
            self.buffer.extend_from_slice(&buf[..n]);
        }
        // Netstrings: <length>:<payload>,
        while let Some(colon) = self.buffer.iter().position(|&b| b == b':') {
            let Ok(len) = std::str::from_utf8(&self.buffer[..colon])
                .unwrap_or("x")
                .parse::<usize>()
            else {
                panic!(
                    "baresip ctrl_tcp sent a bad netstring: {:?}",
                    String::from_utf8_lossy(&self.buffer)
                );
            };
            if self.buffer.len() < colon + 1 + len + 1 {
                break;
            }
            let payload =
                String::from_utf8_lossy(&self.buffer[colon + 1..colon + 1 + len]).into_owned();
            self.buffer.drain(..colon + 1 + len + 1);
            self.messages.push(payload);
            self.consumed.push(false);
        }
    }

    /// baresip's own output.
    pub fn log(&self) -> String {
        let text = fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default();
        // The menu's call status line repeats; keep the log readable.
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("[0:"))
            .collect();
        super::pbx::tail(&lines.join("\n"), 80)
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if std::thread::panicking() {
            eprintln!("--- baresip {} log ---\n{}", self.user, self.log());
        }
        let json = "{\"command\":\"quit\",\"token\":\"quit\"}";
        self.ctrl
            .write_all(format!("{}:{json},", json.len()).as_bytes())
            .ok();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().ok();
        child.wait().ok();
    }
}
