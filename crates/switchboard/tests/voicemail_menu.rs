//! Listening to voicemail by phone, end to end: an extension dials `*97` (its own box) or
//! `*98` (a box keyed in) and works the menu with RFC 4733 digits.
//!
//! The phone is SIPp (digest-authenticated as the extension) for the signalling, with its
//! SDP naming a UDP socket of this test: what the PBX says arrives there and is compared,
//! sample by sample after G.711, with the shipped prompts; the keys leave from there as
//! RFC 4733 events. Each step waits for what the PBX says rather than for a time: the test
//! hears the answer to a key (as much as it checks, or until the PBX pauses for the next
//! key) before pressing the next one. Messages are left the way callers leave them, by a
//! call to a `voicemail` step, and read back with `switchboard voicemail BOX`.

mod common;

use common::media_check::{self as mc, MediaSocket};
use common::scenario::{run_binary, CallerScript};
use common::*;
use sb_media::audio::Codec;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The demo office, with 820 leading straight to the voicemail of 102. The RTP timeout is
/// raised: the test's phone sends nothing but keys, and a menu call lasts a while.
const LEAVE_FOR_102: &str = r#"
[[internal]]
number = "820"
target = "scenario:vm_102"

[scenario.vm_102]
entry = "vm"
default = "vm"

[scenario.vm_102.steps.vm]
kind = "voicemail"
box = "102"
"#;

fn pbx() -> Pbx {
    let config = ConfigText::demo().pbx("rtp_timeout_secs", "600");
    Pbx::start(PbxOptions::with_config(ConfigText(format!(
        "{}{LEAVE_FOR_102}",
        config.0
    ))))
}

/// The demo's prompts are Russian.
const LANGUAGE: &str = "ru";
const CODEC: Codec = Codec::Pcmu;
const TELEPHONE_EVENT: u8 = 101;
const SSRC: u32 = 0x7e57_0097;

/// How much of the start of what the PBX says is compared: enough to tell every answer
/// apart, short enough not to wait for whole menus.
const COMPARED: usize = 4 * 8000;

/// How late the answer to a key may start in what is heard: the end of the prompt the key
/// cut off, which the PBX sent before the key reached it.
const MAX_LATE: usize = 8000;

/// Samples of the start of the reference that find where it begins in what was heard.
const PROBE: usize = 2000;

/// A phone on a call to the PBX: SIPp for the SIP, this test's socket for the media.
struct Phone {
    media: MediaSocket,
    pbx_media: SocketAddr,
    uac: SippRun,
    sequence: u16,
    timestamp: u32,
}

/// Extension `from` dialling `number`, offering PCMU and telephone-event; the call is up
/// when this returns.
fn dial(pbx: &Pbx, from: &str, number: &str) -> Phone {
    let media = MediaSocket::bind();
    let mut uac = caller(pbx, "med_uac_wait_bye", from, number)
        .key("pt", CODEC.payload_type())
        .key("codec", "PCMU")
        .key(
            "fmts",
            format!("{} {TELEPHONE_EVENT}", CODEC.payload_type()),
        )
        .key(
            "te_attr",
            format!("rtpmap:{TELEPHONE_EVENT} telephone-event/8000"),
        )
        .rtp_port(media.port())
        .recv_timeout(Duration::from_secs(120))
        .timeout(Duration::from_secs(180))
        .spawn();
    let pbx_media = rtp::parse_addr(&uac.wait_log("SDP_ANSWER", Duration::from_secs(15)));
    Phone {
        media,
        pbx_media,
        uac,
        sequence: 4000,
        timestamp: 160_000,
    }
}

impl Phone {
    /// Presses `keys` as RFC 4733 events (100 ms each, 150 ms apart), after throwing away
    /// what the PBX said meanwhile (the rest of a prompt the test did not wait for).
    fn press(&mut self, keys: &str) {
        self.drain();
        for key in keys.chars() {
            let event = match key {
                '*' => 10,
                '#' => 11,
                digit => digit.to_digit(10).expect("a key of the keypad") as u8,
            };
            let packets = mc::dtmf_event_packets(
                TELEPHONE_EVENT,
                event,
                800,
                SSRC,
                self.sequence,
                self.timestamp,
            );
            let mut last_sequence = self.sequence;
            for packet in &packets {
                let sequence = mc::parse(packet).expect("RTP").sequence;
                // Updates 20 ms apart; the repeated end packets back to back.
                if sequence != last_sequence {
                    std::thread::sleep(Duration::from_millis(20));
                }
                last_sequence = sequence;
                self.media
                    .rtp
                    .send_to(packet, self.pbx_media)
                    .expect("send");
            }
            self.sequence = last_sequence.wrapping_add(1);
            self.timestamp = self.timestamp.wrapping_add(2000);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn drain(&self) {
        let socket = &self.media.rtp;
        socket.set_nonblocking(true).expect("nonblocking");
        let mut buf = [0u8; 2048];
        while socket.recv_from(&mut buf).is_ok() {}
        socket.set_nonblocking(false).expect("blocking");
    }

    /// What the PBX says from now: until it pauses for a key (or hangs up), or until
    /// `enough` samples were heard.
    fn hear(&self, enough: usize) -> Vec<i16> {
        let frames = enough.div_ceil(mc::FRAME);
        let arrivals = mc::record_until(
            &self.media.rtp,
            Instant::now() + Duration::from_secs(30),
            Duration::from_millis(600),
            |got| got.len() >= frames,
        );
        let packets: Vec<_> = mc::rtp_of(&arrivals)
            .into_iter()
            .filter(|(_, p)| p.payload_type == CODEC.payload_type())
            .collect();
        mc::decode(CODEC, &packets)
    }

    /// Asserts that the PBX says `prompts` now, in a row (their first [`COMPARED`]
    /// samples), the answer to the last key starting within [`MAX_LATE`] samples.
    fn expect(&self, prompts: &[&str]) {
        let mut reference = Vec::new();
        for name in prompts {
            reference.extend(mc::shipped_prompt(LANGUAGE, name));
        }
        reference.truncate(COMPARED);
        let reference = mc::round_trip(CODEC, &reference);
        let heard = self.hear(reference.len() + MAX_LATE);
        assert!(
            heard.len() >= reference.len(),
            "expected {prompts:?} ({} samples), heard only {} samples",
            reference.len(),
            heard.len()
        );
        let latest = (heard.len() - reference.len()).min(MAX_LATE) as isize;
        let probe = &reference[..reference.len().min(PROBE)];
        let (_, start) = mc::best_correlation(probe, &heard, 0..=latest);
        let (correlation, lag) =
            mc::best_correlation(&reference, &heard, (start - 2).max(0)..=(start + 2));
        eprintln!("{prompts:?}: correlation {correlation:.4} at {lag}");
        assert!(
            correlation >= 0.98,
            "expected {prompts:?}: what was heard correlates {correlation:.4} (at {lag}) with it"
        );
    }

    /// The PBX has hung up (the phone got its BYE).
    fn hung_up(self) {
        let uac = self.uac.wait();
        uac.assert_success();
        assert_eq!(uac.log("GOT_BYE").as_deref(), Some("1"), "{uac}");
    }
}

/// One line of `switchboard voicemail BOX`.
#[derive(Debug, Clone, PartialEq)]
struct Message {
    id: String,
    state: String,
    caller: String,
    file: PathBuf,
}

/// `switchboard voicemail BOX`, parsed.
fn messages(pbx: &Pbx, mailbox: &str) -> Vec<Message> {
    let data_dir = pbx.data_dir.display().to_string();
    let out = run_binary(&["--data-dir", &data_dir, "voicemail", mailbox]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "switchboard voicemail {mailbox}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if text.contains("no messages") {
        return Vec::new();
    }
    text.lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert!(cells.len() >= 7, "a message line: {line:?}");
            Message {
                id: cells[0].to_owned(),
                state: cells[1].to_owned(),
                caller: cells[5].to_owned(),
                file: PathBuf::from(cells[cells.len() - 1]),
            }
        })
        .collect()
}

/// A caller who hears the greeting and the tone, speaks (SIPp's g711a.pcap) and hangs up.
fn leave_message(pbx: &Pbx, from: &str) -> SippRun {
    CallerScript::new()
        .pause_ms(7000)
        .audio()
        .pause_ms(5000)
        .bye()
        .extension(pbx, from, "820")
        .spawn()
}

#[test]
fn listening_and_deleting_by_phone_with_rfc4733_digits() {
    let pbx = pbx();
    let callers = [leave_message(&pbx, "103"), leave_message(&pbx, "104")];
    for caller in callers {
        caller.wait().assert_success();
    }
    let left = wait_until("two messages in box 102", RECORD_TIMEOUT, || {
        let listed = messages(&pbx, "102");
        (listed.len() == 2).then_some(listed)
    });
    assert!(left.iter().all(|m| m.state == "new"), "{left:#?}");
    assert!(left.iter().all(|m| m.file.is_file()), "{left:#?}");
    // The oldest message is played first: its caller's number is read out.
    let (first, second) = (&left[0], &left[1]);
    let mut envelope = vec!["vm-message", "num-1", "vm-from"];
    let digits: Vec<String> = first.caller.chars().map(|d| format!("num-{d}")).collect();
    envelope.extend(digits.iter().map(String::as_str));

    let mut phone = dial(&pbx, "102", "*97");
    phone.expect(&["vm-enter-pin"]);
    phone.press("1102#");
    // The count of new messages first, then the main menu.
    phone.expect(&[
        "vm-you-have",
        "num-2",
        "vm-new-messages-few",
        "vm-main-menu",
    ]);
    phone.press("1");
    phone.expect(&envelope);
    phone.press("7");
    phone.expect(&["vm-deleted", "vm-message", "num-2", "vm-from"]);
    // Back to the main menu from the second message: it counts as heard.
    phone.press("*");
    phone.expect(&["vm-main-menu"]);
    phone.press("*");
    phone.expect(&["vm-goodbye"]);
    phone.hung_up();

    let after = messages(&pbx, "102");
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(after[0].id, second.id, "the second message is the one left");
    assert_eq!(after[0].state, "saved", "{after:#?}");
    assert!(after[0].file.is_file(), "{after:#?}");
    assert!(
        !first.file.exists(),
        "the deleted message's file {} is still there",
        first.file.display()
    );
}

#[test]
fn three_wrong_pins_end_the_call() {
    let pbx = pbx();
    let mut phone = dial(&pbx, "103", "*97");
    phone.expect(&["vm-enter-pin"]);
    for _ in 0..2 {
        phone.press("0000#");
        phone.expect(&["vm-wrong-pin", "vm-enter-pin"]);
    }
    phone.press("0000#");
    phone.expect(&["vm-wrong-pin", "vm-goodbye"]);
    phone.hung_up();
}

#[test]
fn a_pin_changed_by_phone_is_the_one_asked_next_time() {
    let pbx = pbx();
    let mut phone = dial(&pbx, "105", "*97");
    phone.expect(&["vm-enter-pin"]);
    phone.press("1105#");
    phone.expect(&["vm-you-have", "vm-no-messages", "vm-main-menu"]);
    phone.press("0");
    phone.expect(&["vm-options-menu"]);
    phone.press("5");
    phone.expect(&["vm-new-pin"]);
    phone.press("2468#");
    phone.expect(&["vm-repeat-pin"]);
    phone.press("2468#");
    phone.expect(&["vm-pin-changed", "vm-options-menu"]);
    phone.press("*");
    phone.expect(&["vm-main-menu"]);
    phone.press("*");
    phone.expect(&["vm-goodbye"]);
    phone.hung_up();

    let mut phone = dial(&pbx, "105", "*97");
    phone.expect(&["vm-enter-pin"]);
    phone.press("1105#");
    phone.expect(&["vm-wrong-pin", "vm-enter-pin"]);
    phone.press("2468#");
    phone.expect(&["vm-you-have", "vm-no-messages", "vm-main-menu"]);
    phone.press("*");
    phone.expect(&["vm-goodbye"]);
    phone.hung_up();
}

/// `*98`: a box number that is no box is asked again; `0` is the shared box the caller
/// looks after (`general` for 101), which then asks its own PIN.
#[test]
fn any_box_by_its_number_and_the_shared_box_by_zero() {
    let pbx = pbx();
    let mut phone = dial(&pbx, "101", "*98");
    phone.expect(&["vm-enter-mailbox"]);
    phone.press("999#");
    phone.expect(&["invalid-choice", "vm-enter-mailbox"]);
    phone.press("0#");
    phone.expect(&["vm-enter-pin"]);
    phone.press("1000#");
    phone.expect(&["vm-you-have", "vm-no-messages", "vm-main-menu"]);
    phone.press("*");
    phone.expect(&["vm-goodbye"]);
    phone.hung_up();
}

/// `3` on a message rings whoever left it (here an extension, whose phone answers and
/// hangs up after a moment) and puts the owner through; the message counts as heard.
#[test]
fn calling_back_the_caller_of_a_message() {
    let pbx = pbx();
    leave_message(&pbx, "103").wait().assert_success();
    wait_until("a message in box 102", RECORD_TIMEOUT, || {
        (messages(&pbx, "102").len() == 1).then_some(())
    });
    let callee = registered_uas(&pbx, "103", "uas_answer_then_bye", |s| s.pause_ms(1500));

    let mut phone = dial(&pbx, "102", "*97");
    phone.expect(&["vm-enter-pin"]);
    phone.press("1102#");
    phone.expect(&["vm-you-have", "num-1n", "vm-new-messages-one"]);
    phone.press("1");
    phone.expect(&["vm-message", "num-1", "vm-from", "num-1", "num-0", "num-3"]);
    phone.press("3");
    phone.hung_up();
    callee.wait().assert_success();

    let after = messages(&pbx, "102");
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(after[0].state, "saved", "{after:#?}");
    let record = wait_until("the call record of the call back", RECORD_TIMEOUT, || {
        let calls = pbx.calls().ok()?;
        calls
            .into_iter()
            .find(|c| c.caller.starts_with("102") && c.disposition == "ANSWERED")
    });
    assert!(record.callee.starts_with("103"), "{record:#?}");
}
