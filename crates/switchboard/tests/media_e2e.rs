//! What a caller hears from, and says to, a call the PBX answers itself (a scenario):
//! prompts checked packet by packet and sample by sample against the prompt files, digits
//! by RFC 4733, in-band tones and SIP INFO reaching a menu exactly once, speech that is not
//! taken for a digit, voicemail recordings compared with what was sent, and damaged prompt
//! files that never leave the caller in silence.
//!
//! The caller is SIPp (extension 101, digest auth) dialling an internal number whose target
//! is one of the small scenarios below. Its SDP names either a UDP socket this test owns
//! (which records what the PBX sends, and sends audio of the test's own), or SIPp's media
//! port, from which SIPp plays a pcap (`play_pcap_audio` of `media.pcap` in the test's
//! directory, written by the test). What the scenario decided is read back from the call
//! record's routing trace (`switchboard trace CALL-ID`).

mod common;

use common::media_check::{self as mc, MediaSocket};
use common::*;
use sb_media::audio::Codec;
use sb_media::dtmf::{inband, Digit};
use sb_media::tones::dbm0_amplitude;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The scenarios under test, reached from internal numbers 810-815.
const SCENARIOS: &str = r#"
[[internal]]
number = "810"
target = "scenario:med_play"

[[internal]]
number = "811"
target = "scenario:med_menu"

[[internal]]
number = "812"
target = "scenario:med_info"

[[internal]]
number = "813"
target = "scenario:med_vm"

[[internal]]
number = "814"
target = "scenario:med_lang"

[[internal]]
number = "815"
target = "scenario:med_play2"

# Two prompts in a row, then the PBX hangs up.
[scenario.med_play2]
entry = "one"
default = "bye"

[scenario.med_play2.steps.one]
kind = "play"
prompts = ["num-1"]
next = "two"

[scenario.med_play2.steps.two]
kind = "play"
prompts = ["num-2", "num-3"]
next = "bye"

[scenario.med_play2.steps.bye]
kind = "hangup"
cause = "played"

# A prompt, then the PBX hangs up.
[scenario.med_play]
entry = "hello"
default = "bye"

[scenario.med_play.steps.hello]
kind = "play"
prompts = ["queue-thank-you"]
next = "bye"

[scenario.med_play.steps.bye]
kind = "hangup"
cause = "played"

# Three menus in a row: 1, then 2, then 3 leads to "done". Any other key, a key seen twice
# or no key within 5 s goes to "nokey".
[scenario.med_menu]
entry = "first"
default = "nokey"

[scenario.med_menu.steps.first]
kind = "menu"
prompts = ["num-1"]
digits = { 1 = "second" }
timeout = 5
retries = 0
fallback = "nokey"

[scenario.med_menu.steps.second]
kind = "menu"
prompts = ["num-2"]
digits = { 2 = "third" }
timeout = 5
retries = 0
fallback = "nokey"

[scenario.med_menu.steps.third]
kind = "menu"
prompts = ["num-3"]
digits = { 3 = "done" }
timeout = 5
retries = 0
fallback = "nokey"

[scenario.med_menu.steps.done]
kind = "hangup"
cause = "done"

[scenario.med_menu.steps.nokey]
kind = "hangup"
cause = "nokey"

# Two menus for SIP INFO: 5, then 9, then a prompt (so the INFO is answered well before
# the PBX hangs up).
[scenario.med_info]
entry = "first"
default = "nokey"

[scenario.med_info.steps.first]
kind = "menu"
prompts = ["num-5"]
digits = { 5 = "second", 9 = "wrong" }
timeout = 5
retries = 0
fallback = "nokey"

[scenario.med_info.steps.second]
kind = "menu"
prompts = ["num-9"]
digits = { 9 = "done", 5 = "wrong" }
timeout = 5
retries = 0
fallback = "nokey"

[scenario.med_info.steps.done]
kind = "play"
prompts = ["num-0"]
next = "bye"

[scenario.med_info.steps.bye]
kind = "hangup"
cause = "done"

[scenario.med_info.steps.wrong]
kind = "hangup"
cause = "wrong"

[scenario.med_info.steps.nokey]
kind = "hangup"
cause = "nokey"

# Straight to voicemail.
[scenario.med_vm]
entry = "vm"
default = "vm"

[scenario.med_vm.steps.vm]
kind = "voicemail"
box = "medbox"

[[mailbox]]
name = "medbox"

# English for this call, a prompt (damaged in the override directory of the prompt test),
# another prompt, then the PBX hangs up.
[scenario.med_lang]
entry = "lang"
default = "bye"

[scenario.med_lang.steps.lang]
kind = "set"
attribute = "language"
value = "en"
next = "broken"

[scenario.med_lang.steps.broken]
kind = "play"
prompts = ["invalid-choice"]
next = "after"

[scenario.med_lang.steps.after]
kind = "play"
prompts = ["queue-thank-you"]
next = "bye"

[scenario.med_lang.steps.bye]
kind = "hangup"
cause = "played"
"#;

/// The demo office plus the scenarios above (and `extra` TOML, such as a `[media]` key).
fn config(media: &[(&str, &str)]) -> ConfigText {
    let mut text = ConfigText::demo().0;
    for (key, value) in media {
        text = set_media_key(&text, key, value);
    }
    text.push_str(SCENARIOS);
    ConfigText(text)
}

/// `key = value` in `[media]`, right under its header.
fn set_media_key(toml: &str, key: &str, value: &str) -> String {
    let header = "[media]";
    let at = toml
        .find(&format!("\n{header}\n"))
        .unwrap_or_else(|| panic!("the demo configuration has no {header} table"));
    let insert = at + header.len() + 2;
    format!("{}{key} = {value}\n{}", &toml[..insert], &toml[insert..])
}

fn pbx(media: &[(&str, &str)]) -> Pbx {
    Pbx::start(PbxOptions::with_config(config(media)))
}

/// How the caller's SDP offer reads.
#[derive(Clone, Copy)]
struct Offer {
    codec: Codec,
    telephone_event: bool,
}

impl Offer {
    const PCMU: Offer = Offer {
        codec: Codec::Pcmu,
        telephone_event: true,
    };
    const PCMA: Offer = Offer {
        codec: Codec::Pcma,
        telephone_event: true,
    };
}

/// Extension 101 calling `number` with `scenario` (tests/sipp/med_*.xml) and `offer`.
fn call(pbx: &Pbx, scenario: &str, number: &str, offer: Offer) -> Sipp {
    let pt = offer.codec.payload_type();
    let name = match offer.codec {
        Codec::Pcmu => "PCMU",
        Codec::Pcma => "PCMA",
    };
    let (fmts, te) = if offer.telephone_event {
        (format!("{pt} 101"), "rtpmap:101 telephone-event/8000")
    } else {
        (pt.to_string(), "ptime:20")
    };
    caller(pbx, scenario, "101", number)
        .key("pt", pt)
        .key("codec", name)
        .key("fmts", fmts)
        .key("te_attr", te)
}

/// The trace of the call SIPp made (by its SIP Call-ID).
fn trace_of(pbx: &Pbx, sipp: &SippOutcome) -> Vec<String> {
    mc::trace(pbx, &sipp.expect_log("CALL_ID"), RECORD_TIMEOUT)
}

/// The trace entries about keys: "menu: digit ..." and "menu: invalid input ...".
fn key_entries(trace: &[String]) -> Vec<String> {
    trace
        .iter()
        .filter(|t| t.starts_with("menu: digit") || t.starts_with("menu: invalid"))
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------------------
// 1. A prompt heard
// ---------------------------------------------------------------------------------------

/// The caller offers only `codec`; the scenario plays queue-thank-you and hangs up. What
/// arrives at the caller's socket is one paced RTP stream, sample for sample the prompt
/// file after G.711.
fn prompt_heard(codec: Codec) {
    let pbx = pbx(&[]);
    let media = MediaSocket::bind();
    let offer = Offer {
        codec,
        telephone_event: true,
    };
    let uac = call(&pbx, "med_uac_wait_bye", "810", offer)
        .rtp_port(media.port())
        .spawn();
    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(15),
        Duration::from_millis(1500),
    );
    let uac = uac.wait();
    uac.assert_success();
    let pbx_media = rtp::parse_addr(&uac.expect_log("SDP_ANSWER"));

    let prompt = mc::shipped_prompt("ru", "queue-thank-you");
    let packets = mc::rtp_of(&arrivals);
    for a in &arrivals {
        assert_eq!(
            a.from, pbx_media,
            "RTP must come from the address in the PBX's SDP answer"
        );
    }
    let report = mc::check_stream(&packets, codec.payload_type(), Duration::from_millis(80));
    eprintln!(
        "{codec:?}: {} packets, mean gap {:?}, max gap {:?}; prompt {} samples",
        report.packets,
        report.mean_gap,
        report.max_gap,
        prompt.len()
    );
    assert!(
        report.problems.is_empty(),
        "{codec:?} playback broke the stream rules:\n{}",
        report.problems.join("\n")
    );
    let expected_packets = prompt.len().div_ceil(mc::FRAME);
    assert!(
        packets.len().abs_diff(expected_packets) <= 2,
        "{} packets for a prompt of {expected_packets} frames",
        packets.len()
    );
    let mean = report.mean_gap.as_secs_f64() * 1000.0;
    assert!(
        (18.0..=22.0).contains(&mean),
        "mean inter-packet gap {mean:.2} ms, not about 20"
    );
    let span = packets.last().unwrap().0 - packets[0].0;
    let nominal = Duration::from_millis(20 * (packets.len() as u64 - 1));
    assert!(
        span.abs_diff(nominal) < Duration::from_millis(100),
        "{} packets took {span:?} to arrive (nominal {nominal:?}): not paced in real time",
        packets.len()
    );

    let heard = mc::decode(codec, &packets);
    let reference = mc::round_trip(codec, &prompt);
    let (correlation, lag) = mc::best_correlation(&reference, &heard, -800..=800);
    eprintln!("{codec:?}: correlation {correlation:.5} at lag {lag}");
    assert!(
        correlation >= 0.99,
        "{codec:?}: what the caller heard correlates {correlation:.4} (lag {lag}) with the prompt"
    );

    let trace = trace_of(&pbx, &uac);
    assert!(
        trace.iter().any(|t| t == "play queue-thank-you"),
        "{trace:#?}"
    );
    assert!(trace.iter().any(|t| t == "hangup: played"), "{trace:#?}");
}

#[test]
fn a_prompt_is_heard_in_pcmu() {
    prompt_heard(Codec::Pcmu);
}

#[test]
fn a_prompt_is_heard_in_pcma() {
    prompt_heard(Codec::Pcma);
}

/// Prompts of two steps (and two prompts in one step) reach the caller as one stream: one
/// SSRC, sequence and timestamps running on, no gap between the prompts.
#[test]
fn prompts_in_a_row_are_one_continuous_stream() {
    let pbx = pbx(&[]);
    let codec = Codec::Pcmu;
    let media = MediaSocket::bind();
    let uac = call(&pbx, "med_uac_wait_bye", "815", Offer::PCMU)
        .rtp_port(media.port())
        .spawn();
    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(15),
        Duration::from_millis(1500),
    );
    let uac = uac.wait();
    uac.assert_success();
    let packets = mc::rtp_of(&arrivals);
    let report = mc::check_stream(&packets, codec.payload_type(), Duration::from_millis(80));
    assert!(
        report.problems.is_empty(),
        "three prompts in two steps broke the stream rules:\n{}",
        report.problems.join("\n")
    );
    let heard = mc::decode(codec, &packets);
    // Each prompt where it was heard: less than a frame after the one before ends (a new
    // step's playback starts on a frame boundary; prompts of one step are joined).
    let mut end = 0isize;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for name in ["num-1", "num-2", "num-3"] {
        let prompt = mc::round_trip(codec, &mc::shipped_prompt("ru", name));
        let (c, at) = mc::best_correlation(&prompt, &heard, end - 400..=end + 400);
        found.push(format!(
            "{name} ({} samples): correlation {c:.4} at sample {at}, previous prompt ended at {end}",
            prompt.len()
        ));
        if c < 0.99 || at < end || at - end >= mc::FRAME as isize {
            problems.push(name);
        }
        end = at + prompt.len() as isize;
    }
    eprintln!("{}", found.join("\n"));
    assert!(
        problems.is_empty(),
        "prompts {problems:?} not heard whole and back to back:\n{}",
        found.join("\n")
    );
    assert!(
        heard.len() as isize - end < mc::FRAME as isize,
        "{} samples heard, the last prompt ended at {end}",
        heard.len()
    );
}

// ---------------------------------------------------------------------------------------
// 2. RFC 4733 digits from SIPp's pcaps
// ---------------------------------------------------------------------------------------

const SIPP_PCAPS: &str = "/usr/share/sip-tester";

/// The RTP packets of SIPp's dtmf_2833_<name>.pcap, unchanged.
fn sipp_dtmf(name: &str) -> Vec<Vec<u8>> {
    let packets = rtp::read_pcap_rtp(format!("{SIPP_PCAPS}/dtmf_2833_{name}.pcap"));
    assert!(!packets.is_empty(), "dtmf_2833_{name}.pcap has no RTP");
    packets
}

/// Writes `media.pcap` into the test's directory: each group of packets starting at its
/// offset, the packets of a group 20 ms apart (the end packets of an event, which SIPp's
/// captures repeat at once, stay back to back).
fn write_media_pcap(pbx: &Pbx, groups: &[(Duration, Vec<Vec<u8>>)]) -> PathBuf {
    let mut packets = Vec::new();
    for (start, group) in groups {
        let mut at = *start;
        let mut last_seq = None;
        for p in group {
            let seq = mc::parse(p).map(|p| p.sequence);
            if last_seq.is_some() && seq != last_seq {
                at += Duration::from_millis(20);
            }
            last_seq = seq;
            packets.push((at, p.clone()));
        }
    }
    let path = pbx.dir().join("media.pcap");
    mc::write_pcap(&path, &packets);
    path
}

#[test]
fn rfc4733_digits_from_sipp_pcaps_reach_the_menu_once_each() {
    let pbx = pbx(&[]);
    write_media_pcap(
        &pbx,
        &[
            (Duration::from_millis(600), sipp_dtmf("1")),
            (Duration::from_millis(1600), sipp_dtmf("2")),
            (Duration::from_millis(2600), sipp_dtmf("3")),
        ],
    );
    let uac = call(&pbx, "med_uac_pcap", "811", Offer::PCMA)
        .recv_timeout(Duration::from_secs(20))
        .run();
    uac.assert_success();
    let trace = trace_of(&pbx, &uac);
    assert_eq!(
        key_entries(&trace),
        [
            "menu: digit 1 → second",
            "menu: digit 2 → third",
            "menu: digit 3 → done"
        ],
        "each key exactly once, in order; trace: {trace:#?}"
    );
    assert_eq!(trace.last().map(String::as_str), Some("hangup: done"));
}

/// The same key pressed twice in a row (two events, distinct timestamps) counts twice, and
/// the end packets each event repeats count once: 1 then 1 goes first → second → (invalid
/// in the second menu) → nokey.
#[test]
fn rfc4733_the_same_key_twice_is_two_presses() {
    let pbx = pbx(&[]);
    let ssrc = 0x5eed_0001;
    let first = mc::dtmf_event_packets(101, 1, 800, ssrc, 100, 16_000);
    let second = mc::dtmf_event_packets(101, 1, 800, ssrc, 120, 32_000);
    write_media_pcap(
        &pbx,
        &[
            (Duration::from_millis(600), first),
            (Duration::from_millis(1600), second),
        ],
    );
    let uac = call(&pbx, "med_uac_pcap", "811", Offer::PCMU)
        .recv_timeout(Duration::from_secs(20))
        .run();
    uac.assert_success();
    let trace = trace_of(&pbx, &uac);
    assert_eq!(
        key_entries(&trace),
        [
            "menu: digit 1 → second",
            "menu: invalid input \"1\", no retries left → nokey"
        ],
        "trace: {trace:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// 3. In-band digits, and speech that is no digit
// ---------------------------------------------------------------------------------------

/// `keys` as DTMF tones (120 ms each at -8 dBm0 per frequency, 500 ms apart) after 400 ms of
/// silence, then 400 ms of silence, as 20 ms packets of `codec`.
fn inband_packets(codec: Codec, keys: &str) -> Vec<Vec<u8>> {
    let amplitude = dbm0_amplitude(-8.0);
    let mut samples = vec![0i16; 3200];
    for key in keys.chars() {
        let digit = Digit::from_char(key).expect("a DTMF key");
        samples.extend(inband::generate(digit, 120, amplitude));
        samples.extend(vec![0i16; 3040]);
    }
    samples.extend(vec![0i16; 3200]);
    mc::audio_packets(codec, &samples, 0x1b_a4d0, 1000, 0)
}

#[test]
fn inband_digits_reach_the_menu_when_no_telephone_event_is_offered() {
    let pbx = pbx(&[]);
    let codec = Codec::Pcmu;
    let packets = inband_packets(codec, "123");
    write_media_pcap(&pbx, &[(Duration::from_millis(300), packets)]);
    let offer = Offer {
        codec,
        telephone_event: false,
    };
    let uac = call(&pbx, "med_uac_pcap", "811", offer)
        .recv_timeout(Duration::from_secs(20))
        .run();
    uac.assert_success();
    let trace = trace_of(&pbx, &uac);
    assert_eq!(
        key_entries(&trace),
        [
            "menu: digit 1 → second",
            "menu: digit 2 → third",
            "menu: digit 3 → done"
        ],
        "in-band keys each exactly once; trace: {trace:#?}\nlog:\n{}",
        tail(&pbx.log(), 60)
    );
}

#[test]
fn speech_is_not_taken_for_a_digit() {
    let pbx = pbx(&[]);
    let codec = Codec::Pcma;
    let mut speech = Vec::new();
    for (voice, text) in [
        (
            "en",
            "Hello, this is a test of the voice menu. I would like to speak to somebody about my order number four hundred and twenty seven, please.",
        ),
        (
            "ru",
            "Здравствуйте, я хотел бы поговорить с менеджером о заказе номер сто двадцать три.",
        ),
    ] {
        let samples = mc::espeak(pbx.dir(), voice, text)
            .expect("espeak-ng is needed (scripts/install-test-peers.sh installs it)");
        speech.extend(samples);
    }
    let seconds = speech.len() as f64 / 8000.0;
    assert!(seconds > 6.0, "only {seconds:.1} s of speech");
    let packets = mc::audio_packets(codec, &speech, 0x5bee_c400, 1, 0);
    write_media_pcap(&pbx, &[(Duration::from_millis(100), packets)]);
    let offer = Offer {
        codec,
        telephone_event: false,
    };
    let uac = call(&pbx, "med_uac_pcap", "811", offer)
        .recv_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(40))
        .run();
    uac.assert_success();
    let trace = trace_of(&pbx, &uac);
    assert_eq!(
        key_entries(&trace),
        Vec::<String>::new(),
        "{seconds:.1} s of speech gave keys; trace: {trace:#?}"
    );
    assert!(
        trace
            .iter()
            .any(|t| t == "menu: timeout, no retries left → nokey"),
        "the menu must time out; trace: {trace:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// 4. SIP INFO digits
// ---------------------------------------------------------------------------------------

#[test]
fn sip_info_digits_reach_the_menu() {
    let pbx = pbx(&[]);
    let uac = call(&pbx, "med_uac_info", "812", Offer::PCMU)
        .key("digit1", "5")
        .key("digit2", "9")
        .pause_ms(700)
        .recv_timeout(Duration::from_secs(15))
        .run();
    uac.assert_success();
    assert_eq!(uac.expect_log("INFO1_ANSWERED"), "1");
    assert_eq!(uac.expect_log("INFO2_ANSWERED"), "1");
    let trace = trace_of(&pbx, &uac);
    assert_eq!(
        key_entries(&trace),
        ["menu: digit 5 → second", "menu: digit 9 → done"],
        "trace: {trace:#?}"
    );
    assert_eq!(trace.last().map(String::as_str), Some("hangup: done"));
}

/// A key sent by INFO that makes the scenario hang up at once (9 in the first menu leads
/// to a hangup step): the INFO must be answered 200 before the PBX's BYE, or a caller
/// waiting for that answer sees its dialog ended under a pending request (SIPp aborts the
/// call on the unexpected BYE).
#[test]
fn the_info_that_ends_the_call_is_answered_before_the_bye() {
    let pbx = pbx(&[]);
    let uac = call(&pbx, "med_uac_info_bye", "812", Offer::PCMU)
        .key("digit1", "9")
        .pause_ms(700)
        .run();
    let trace = trace_of(&pbx, &uac);
    assert_eq!(
        key_entries(&trace),
        ["menu: digit 9 → wrong"],
        "trace: {trace:#?}"
    );
    assert!(
        uac.success(),
        "the PBX sent its BYE before the 200 OK to the INFO (CSeq 3) that ended the call:\n{uac}"
    );
}

// ---------------------------------------------------------------------------------------
// 5. and 6. Voicemail recordings
// ---------------------------------------------------------------------------------------

/// Whether the last `n` packets of `packets` are the 1 kHz beep.
fn ends_with_beep(packets: &[(Instant, mc::Packet)], codec: Codec, n: usize) -> bool {
    if packets.len() < n {
        return false;
    }
    let samples = mc::decode(codec, &packets[packets.len() - n..]);
    mc::tone_share(&samples, 1000.0) > 0.8
}

#[test]
fn a_voicemail_message_is_recorded_as_sent() {
    let pbx = pbx(&[]);
    let codec = Codec::Pcma;
    let media = MediaSocket::bind();
    let mut uac = call(&pbx, "med_uac_wait_bye", "813", Offer::PCMA)
        .rtp_port(media.port())
        .recv_timeout(Duration::from_secs(40))
        .timeout(Duration::from_secs(60))
        .spawn();
    let to_pbx = rtp::parse_addr(&uac.wait_log("SDP_ANSWER", Duration::from_secs(10)));

    // The greeting and the beep; the PBX sends nothing once the beep is over.
    let heard = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(15),
        Duration::from_millis(250),
    );
    let packets = mc::rtp_of(&heard);
    assert!(
        ends_with_beep(&packets, codec, 10),
        "no 1 kHz beep at the end of the {} packets the PBX sent",
        packets.len()
    );
    let greeting = mc::round_trip(codec, &mc::shipped_prompt("ru", "vm-leave-message"));
    let greeting_heard = mc::decode(codec, &packets);
    let (c, lag) = mc::best_correlation(&greeting, &greeting_heard, -800..=800);
    assert!(
        c > 0.99,
        "the greeting heard correlates {c:.4} (lag {lag}) with vm-leave-message"
    );

    // The message: SIPp's g711a.pcap speech, re-cut into 20 ms frames, then '#'.
    let mut message = Vec::new();
    for p in rtp::read_pcap_rtp(rtp::G711A_PCAP) {
        let p = mc::parse(&p).unwrap();
        Codec::Pcma.decode(&p.payload, &mut message);
    }
    message.truncate(message.len() / mc::FRAME * mc::FRAME);
    let ssrc = 0x00c0_ffee;
    let frames = mc::audio_packets(codec, &message, ssrc, 500, 8000);
    let frame_count = frames.len();
    let hash = mc::dtmf_event_packets(
        101,
        11,
        800,
        ssrc,
        500 + frame_count as u16,
        8000 + (frame_count * mc::FRAME) as u32,
    );
    let mut to_send = frames;
    to_send.extend(hash);
    let sent_at = Instant::now();
    let back = rtp::play_and_record(
        &media.rtp,
        to_pbx,
        &to_send,
        Duration::from_millis(20),
        usize::MAX,
        sent_at + Duration::from_millis(20 * to_send.len() as u64 + 500),
    );
    let uac = uac.wait();
    uac.assert_success();
    eprintln!(
        "sent {} frames ({:.2} s) and '#'; {} packets came back meanwhile",
        frame_count,
        message.len() as f64 / 8000.0,
        back.len()
    );

    let files = wait_until("the voicemail message", RECORD_TIMEOUT, || {
        let files = common::scenario::voicemail_messages(&pbx, "medbox");
        (!files.is_empty()).then_some(files)
    });
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    check_message_name(&name);
    let wav = mc::read_wav(&std::fs::read(&files[0]).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", files[0].display()));
    assert_eq!(
        (wav.format, wav.channels, wav.sample_rate, wav.bits),
        (1, 1, 8000, 16),
        "{name}: PCM, mono, 8 kHz, 16 bits"
    );
    let sent_len = Duration::from_secs_f64(message.len() as f64 / 8000.0);
    eprintln!("{name}: {:?} recorded, {sent_len:?} sent", wav.duration());
    assert!(
        wav.duration().abs_diff(sent_len) <= Duration::from_millis(100),
        "{name}: {:?} recorded, {sent_len:?} sent",
        wav.duration()
    );
    let (c, lag) = mc::best_correlation(&message, &wav.samples, -1600..=1600);
    eprintln!("{name}: correlation {c:.5} at lag {lag}");
    assert!(
        c >= 0.99,
        "{name}: the recording correlates {c:.4} (lag {lag}) with what was sent"
    );
    let trace = trace_of(&pbx, &uac);
    assert!(trace.iter().any(|t| t == "voicemail medbox"), "{trace:#?}");
}

/// A caller who speaks and then stays silent: the recording stops by itself after 7 s of
/// silence, the PBX hangs up, and the trailing silence is not in the file.
#[test]
fn a_voicemail_message_ends_after_seven_seconds_of_silence() {
    let pbx = pbx(&[]);
    let codec = Codec::Pcmu;
    let media = MediaSocket::bind();
    let mut uac = call(&pbx, "med_uac_wait_bye", "813", Offer::PCMU)
        .rtp_port(media.port())
        .recv_timeout(Duration::from_secs(40))
        .timeout(Duration::from_secs(60))
        .spawn();
    let to_pbx = rtp::parse_addr(&uac.wait_log("SDP_ANSWER", Duration::from_secs(10)));
    let heard = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(15),
        Duration::from_millis(250),
    );
    assert!(
        ends_with_beep(&mc::rtp_of(&heard), codec, 10),
        "no beep before the recording"
    );
    // 1.5 s of two steady tones at about -16 dBFS, then 10 s of digital silence.
    let voice: Vec<i16> = (0..12_000)
        .map(|n| {
            let t = f64::from(n) / 8000.0;
            let x = 3000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 2000.0 * (2.0 * std::f64::consts::PI * 697.0 * t).sin();
            x as i16
        })
        .collect();
    let mut samples = voice.clone();
    samples.extend(vec![0i16; 80_000]);
    let packets = mc::audio_packets(codec, &samples, 0x51_1e4c, 7, 0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (silence_from, bye_at) = std::thread::scope(|scope| {
        let sender = scope.spawn(|| mc::send_paced(&media.rtp, to_pbx, &packets, &stop));
        let silence_from = Instant::now() + Duration::from_millis(1500);
        uac.wait_log("GOT_BYE", Duration::from_secs(15));
        let bye_at = Instant::now();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sender.join().unwrap();
        (silence_from, bye_at)
    });
    let uac = uac.wait();
    uac.assert_success();
    let after_silence = bye_at.saturating_duration_since(silence_from);
    eprintln!("the PBX hung up {after_silence:?} into the silence");
    assert!(
        (Duration::from_millis(6500)..=Duration::from_millis(8000)).contains(&after_silence),
        "the PBX hung up {after_silence:?} after the caller fell silent, not about 7 s"
    );
    let files = wait_until("the voicemail message", RECORD_TIMEOUT, || {
        let files = common::scenario::voicemail_messages(&pbx, "medbox");
        (!files.is_empty()).then_some(files)
    });
    let wav = mc::read_wav(&std::fs::read(&files[0]).unwrap()).expect("a valid WAV");
    eprintln!("{:?} recorded for 1.5 s of voice", wav.duration());
    assert!(
        wav.duration().abs_diff(Duration::from_millis(1500)) <= Duration::from_millis(100),
        "{:?} recorded for 1.5 s of voice and 7 s of silence: the silence must be left out",
        wav.duration()
    );
    let (c, lag) = mc::best_correlation(&mc::round_trip(codec, &voice), &wav.samples, -800..=800);
    assert!(c >= 0.99, "correlation {c:.4} at lag {lag}");
}

/// `msg-<message id>.wav`: the message's row in the database has that id.
fn check_message_name(name: &str) {
    let id = name
        .strip_prefix("msg-")
        .and_then(|rest| rest.strip_suffix(".wav"));
    assert!(
        id.is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())),
        "voicemail file name {name:?} is not msg-<id>.wav"
    );
}

/// The caller hangs up `after_beep_start` after the beep began (by the prompt's length: SIPp
/// hangs up that long after its ACK), sending no audio: a valid WAV with (almost) nothing in
/// it must be kept.
fn hang_up_at_the_beep(after_beep_start: Duration) {
    let pbx = pbx(&[]);
    let media = MediaSocket::bind();
    let greeting = mc::shipped_prompt("ru", "vm-leave-message");
    let greeting_len = Duration::from_secs_f64(greeting.len() as f64 / 8000.0);
    let pause = greeting_len + after_beep_start;
    let uac = call(&pbx, "med_uac_hangup", "813", Offer::PCMA)
        .rtp_port(media.port())
        .pause_ms(pause.as_millis() as u64)
        .spawn();
    let heard = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(15),
        Duration::from_millis(1000),
    );
    let uac = uac.wait();
    uac.assert_success();
    let packets = mc::rtp_of(&heard);
    let beep_packets = packets
        .chunks(1)
        .filter(|p| mc::tone_share(&mc::decode(Codec::Pcma, p), 1000.0) > 0.8)
        .count();
    eprintln!(
        "hung up {pause:?} after the ACK; the caller got {} packets, {beep_packets} of them beep",
        packets.len()
    );
    let files = wait_until_or_none(RECORD_TIMEOUT, || {
        let files = common::scenario::voicemail_messages(&pbx, "medbox");
        (!files.is_empty()).then_some(files)
    });
    let trace = trace_of(&pbx, &uac);
    let files = files.unwrap_or_else(|| {
        panic!(
            "no voicemail file after hanging up {after_beep_start:?} into the beep ({beep_packets} beep packets heard); trace: {trace:#?}\nlog:\n{}",
            tail(&pbx.log(), 40)
        )
    });
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    check_message_name(&name);
    let wav = mc::read_wav(&std::fs::read(&files[0]).unwrap())
        .unwrap_or_else(|e| panic!("{name}: not a valid WAV: {e}"));
    assert_eq!((wav.channels, wav.sample_rate, wav.bits), (1, 8000, 16));
    assert!(
        wav.duration() <= Duration::from_millis(200),
        "{name}: {:?} recorded though the caller sent nothing",
        wav.duration()
    );
}

fn wait_until_or_none<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn hanging_up_right_after_the_beep_keeps_an_empty_message() {
    hang_up_at_the_beep(Duration::from_millis(250 + 150));
}

#[test]
fn hanging_up_during_the_beep_keeps_an_empty_message() {
    hang_up_at_the_beep(Duration::from_millis(100));
}

// ---------------------------------------------------------------------------------------
// 7. Damaged prompt files
// ---------------------------------------------------------------------------------------

/// A prompt override directory holding `files` (`<lang>/<name>.wav` → bytes).
fn override_dir(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("switchboard-prompts-")
        .tempdir()
        .unwrap();
    for (path, bytes) in files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
    dir
}

const GARBAGE: &[u8] = b"RIFF\x10\x00\x00\x00WAVEfmt this is not a wave file at all \x00\xff\xfe";

/// A damaged override of a prompt a scenario names, in the configured language, is found
/// at start: the PBX refuses to start and names the file.
#[test]
fn a_damaged_override_of_a_named_prompt_refuses_start() {
    let overrides = override_dir(&[("ru/queue-thank-you.wav", GARBAGE)]);
    let dir_value = format!("\"{}\"", overrides.path().display());
    let config = config(&[("prompt_override_dir", &dir_value)]);
    let work = tempfile::tempdir().unwrap();
    let config_path = work.path().join("switchboard.toml");
    std::fs::write(&config_path, &config.0).unwrap();
    let rtp = ports::port_range(4);
    let mut child = std::process::Command::new(common::pbx::binary())
        .arg("--sip-listen")
        .arg(format!("127.0.0.1:{}", ports::port()))
        .arg("--http-listen")
        .arg(format!("127.0.0.1:{}", ports::port()))
        .arg("--rtp-ports")
        .arg(format!("{}-{}", rtp.0, rtp.1))
        .arg("--data-dir")
        .arg(work.path().join("data"))
        .arg("--config")
        .arg(&config_path)
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_until(
        "switchboard refuses to start",
        Duration::from_secs(20),
        || child.try_wait().unwrap(),
    );
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!status.success(), "it started:\n{text}");
    let file = overrides.path().join("ru/queue-thank-you.wav");
    assert!(
        text.contains(&file.display().to_string()),
        "the refusal must name {}:\n{text}",
        file.display()
    );
    assert!(
        text.contains("scenario.med_play.steps.hello.prompts[0]"),
        "the refusal should name the key path:\n{text}"
    );
}

/// A prompt is only checked at start in the configured language: a scenario that switches
/// the call to English meets a damaged English override at run time. The prompt is skipped
/// (logged), and the caller hears the next step's prompt at once, not silence.
#[test]
fn a_damaged_prompt_met_at_run_time_is_skipped_not_silence() {
    let overrides = override_dir(&[("en/invalid-choice.wav", GARBAGE)]);
    let dir_value = format!("\"{}\"", overrides.path().display());
    let pbx = pbx(&[("prompt_override_dir", &dir_value)]);
    let codec = Codec::Pcmu;
    let media = MediaSocket::bind();
    let started = Instant::now();
    let mut uac = call(&pbx, "med_uac_wait_bye", "814", Offer::PCMU)
        .rtp_port(media.port())
        .spawn();
    uac.wait_log("ANSWERED", Duration::from_secs(10));
    let answered = Instant::now();
    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(15),
        Duration::from_millis(1500),
    );
    let uac = uac.wait();
    uac.assert_success();
    let packets = mc::rtp_of(&arrivals);
    assert!(!packets.is_empty(), "the caller heard nothing");
    let first = packets[0].0;
    eprintln!(
        "first packet {:?} after the call started, {:?} after SIPp logged the answer",
        first - started,
        first.saturating_duration_since(answered)
    );
    assert!(
        first.saturating_duration_since(answered) < Duration::from_millis(500),
        "silence for {:?} after the answer",
        first - answered
    );
    let heard = mc::decode(codec, &packets);
    let next = mc::round_trip(codec, &mc::shipped_prompt("en", "queue-thank-you"));
    let (c, lag) = mc::best_correlation(&next, &heard, -800..=800);
    assert!(
        c >= 0.99,
        "the caller should hear en/queue-thank-you; correlation {c:.4} at lag {lag}"
    );
    let log = pbx.log();
    assert!(
        log.contains("prompt skipped") && log.contains("invalid-choice"),
        "the skipped prompt must be logged:\n{}",
        tail(&log, 40)
    );
    let trace = trace_of(&pbx, &uac);
    let after = trace.iter().position(|t| t == "play queue-thank-you");
    let broken = trace.iter().position(|t| t == "play invalid-choice");
    assert!(
        broken.is_some() && after > broken,
        "the scenario must go on past the damaged prompt; trace: {trace:#?}"
    );
    assert_eq!(trace.last().map(String::as_str), Some("hangup: played"));
}

/// The voicemail greeting is not named by any scenario, so a damaged override of it is
/// only warned about at start; the voicemail step then goes straight to the beep and
/// records, rather than playing silence.
#[test]
fn a_damaged_voicemail_greeting_goes_straight_to_the_beep() {
    let overrides = override_dir(&[("ru/vm-leave-message.wav", GARBAGE)]);
    let dir_value = format!("\"{}\"", overrides.path().display());
    let pbx = pbx(&[("prompt_override_dir", &dir_value)]);
    let codec = Codec::Pcma;
    let media = MediaSocket::bind();
    let mut uac = call(&pbx, "med_uac_hangup", "813", Offer::PCMA)
        .rtp_port(media.port())
        .pause_ms(1500)
        .spawn();
    uac.wait_log("ANSWERED", Duration::from_secs(10));
    let answered = Instant::now();
    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(5),
        Duration::from_millis(400),
    );
    let uac = uac.wait();
    uac.assert_success();
    let packets = mc::rtp_of(&arrivals);
    assert!(
        !packets.is_empty(),
        "the caller heard nothing: no greeting and no beep"
    );
    let first = packets[0].0.saturating_duration_since(answered);
    let beep = mc::decode(codec, &packets);
    let share = mc::tone_share(&beep, 1000.0);
    eprintln!(
        "{} packets, the first {first:?} after the answer, 1 kHz share {share:.3}",
        packets.len()
    );
    assert!(first < Duration::from_millis(500), "silence for {first:?}");
    assert!(
        share > 0.8 && packets.len() <= 16,
        "expected only the beep ({} packets, 1 kHz share {share:.3})",
        packets.len()
    );
    assert!(
        pbx.log().contains("voicemail greeting missing"),
        "{}",
        tail(&pbx.log(), 40)
    );
    let files = wait_until("the voicemail message", RECORD_TIMEOUT, || {
        let files = common::scenario::voicemail_messages(&pbx, "medbox");
        (!files.is_empty()).then_some(files)
    });
    mc::read_wav(&std::fs::read(&files[0]).unwrap()).expect("a valid WAV");
}

/// The call record over HTTP carries the same trace as `switchboard trace`.
#[test]
fn the_trace_is_served_over_http() {
    let pbx = pbx(&[]);
    let uac = call(&pbx, "med_uac_info", "812", Offer::PCMA)
        .key("digit1", "5")
        .key("digit2", "9")
        .pause_ms(300)
        .run();
    uac.assert_success();
    let trace = trace_of(&pbx, &uac);
    assert!(
        trace.iter().any(|t| t == "menu: digit 5 → second"),
        "{trace:#?}"
    );
    let (status, list) = mc::http_get(&pbx, "/api/calls?limit=5");
    assert_eq!(status, 200, "{list}");
    let id = list
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no call id in {list}"))
        .to_owned();
    let (status, body) = mc::http_get(&pbx, &format!("/api/calls/{id}"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"trace\""), "{body}");
    assert!(
        body.contains("menu: digit 5 → second") && body.contains("menu: digit 9 → done"),
        "{body}"
    );
}
