//! Media features end to end: call-progress tones played as scenario prompts (`tone:busy`)
//! in each tone plan, checked by frequency, level and cadence; conversations recorded
//! (`[media] record_calls`) with both voices in the file; keys a connected caller sends by
//! SIP INFO passed on to the other party as RFC 4733 events; and star codes of `[[internal]]`
//! numbers leading to a scenario.
//!
//! Callers are SIPp as extension 101 (tests/sipp/med_uac_*.xml) dialling internal numbers
//! 821-823, whose targets are the small scenarios below; the called party is a SIPp
//! registered as 104 (tests/sipp/mf_uas_*.xml). Media is sent and recorded on UDP sockets
//! the test owns, or played by SIPp from pcaps the test writes.

mod common;

use common::media_check::{self as mc, MediaSocket};
use common::scenario::{pbx_at, run_binary, ConfigEdit};
use common::*;
use sb_media::audio::Codec;
use sb_media::tones::dbm0_amplitude;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The scenarios under test and the internal numbers that reach them.
const SCENARIOS: &str = r#"
[[internal]]
number = "821"
target = "scenario:mf_busy"

[[internal]]
number = "822"
target = "scenario:mf_beep"

[[internal]]
number = "823"
target = "scenario:mf_dial"

# The busy tone of the tone plan as a prompt, then the PBX hangs up.
[scenario.mf_busy]
entry = "play"
default = "bye"

[scenario.mf_busy.steps.play]
kind = "play"
prompts = ["tone:busy"]
next = "bye"

[scenario.mf_busy.steps.bye]
kind = "hangup"
cause = "played"

# The beep as a prompt, then the PBX hangs up.
[scenario.mf_beep]
entry = "play"
default = "bye"

[scenario.mf_beep.steps.play]
kind = "play"
prompts = ["tone:beep"]
next = "bye"

[scenario.mf_beep.steps.bye]
kind = "hangup"
cause = "played"

# Straight to extension 104.
[scenario.mf_dial]
entry = "dial"
default = "bye"

[scenario.mf_dial.steps.dial]
kind = "dial"
extension = "104"
timeout = 10
next = "bye"

[scenario.mf_dial.steps.bye]
kind = "hangup"
cause = "not answered"
"#;

/// The PBX's clock at start: Monday 23 November 2026, noon in Moscow (09:00 UTC).
const START_TIME: &str = "2026-11-23T12:00:00+03:00";
/// The date of [`START_TIME`], as recordings are filed.
const START_DATE: &str = "2026-11-23";

/// The demo office plus the scenarios above, with `[media]` keys set.
fn config(media: &[(&str, &str)]) -> ConfigText {
    let mut config = ConfigText::demo();
    for (key, value) in media {
        config = config.set("media", key, value);
    }
    config.append(SCENARIOS)
}

fn pbx(media: &[(&str, &str)]) -> Pbx {
    pbx_at(config(media), START_TIME)
}

/// Extension 101 calling `number` with `scenario` (tests/sipp/med_uac_*.xml), offering
/// PCMU and telephone-event.
fn call(pbx: &Pbx, scenario: &str, number: &str) -> Sipp {
    caller(pbx, scenario, "101", number)
        .key("pt", 0)
        .key("codec", "PCMU")
        .key("fmts", "0 101")
        .key("te_attr", "rtpmap:101 telephone-event/8000")
}

/// `samples` of a sine of `freq` Hz at `amplitude`, 8 kHz.
fn sine(freq: f64, amplitude: f64, samples: usize) -> Vec<i16> {
    (0..samples)
        .map(|n| {
            let t = n as f64 / 8000.0;
            (amplitude * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// 1. Tones as prompts
// ---------------------------------------------------------------------------------------

/// Runs of 20 ms frames that are sounding (true) or silent (false), with their lengths in
/// frames, from the decoded frames.
fn cadence(frames: &[Vec<i16>]) -> Vec<(bool, usize)> {
    let mut runs: Vec<(bool, usize)> = Vec::new();
    for frame in frames {
        let on = mc::level_dbfs(frame) > -45.0;
        match runs.last_mut() {
            Some((was, n)) if *was == on => *n += 1,
            _ => runs.push((on, 1)),
        }
    }
    runs
}

/// What the caller heard of `tone:busy` (or `tone:beep` on 822): the decoded 20 ms frames.
fn tone_heard(pbx: &Pbx, number: &str) -> (Vec<Vec<i16>>, Vec<String>) {
    let media = MediaSocket::bind();
    let uac = call(pbx, "med_uac_wait_bye", number)
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
    let report = mc::check_stream(&packets, 0, Duration::from_millis(80));
    assert!(
        report.problems.is_empty(),
        "the tone broke the stream rules:\n{}",
        report.problems.join("\n")
    );
    let frames = packets
        .iter()
        .map(|p| mc::decode(Codec::Pcmu, std::slice::from_ref(p)))
        .collect();
    let trace = mc::trace(pbx, &uac.expect_log("CALL_ID"), RECORD_TIMEOUT);
    (frames, trace)
}

/// The busy tone of `plan` heard by a caller: `frequencies` (each at `level_dbm0`), on and
/// off for `on_off_ms`, for 4 s in all.
fn busy_tone(plan: &str, frequencies: &[f64], level_dbm0: f64, on_off_ms: (usize, usize)) {
    let pbx = pbx(&[("tone_plan", &format!("\"{plan}\""))]);
    let (frames, trace) = tone_heard(&pbx, "821");
    let runs = cadence(&frames);
    eprintln!(
        "{plan}: {} frames, runs (on?, frames): {runs:?}",
        frames.len()
    );
    assert!(
        trace.iter().any(|t| t == "play tone:busy"),
        "the trace names the tone: {trace:#?}"
    );
    assert_eq!(trace.last().map(String::as_str), Some("hangup: played"));

    // 4 s of tone: 200 frames, the trailing silence of the last period included.
    assert!(
        frames.len().abs_diff(200) <= 2,
        "{plan}: {} frames of 20 ms heard, expected 4 s (200)",
        frames.len()
    );
    // The cadence: on, off, on, off... each run its length (±1 frame), starting with on.
    let (on, off) = (on_off_ms.0 / 20, on_off_ms.1 / 20);
    assert_eq!(
        runs.first().map(|r| r.0),
        Some(true),
        "{plan}: starts silent"
    );
    let mut problems = Vec::new();
    for (i, &(sounding, n)) in runs.iter().enumerate() {
        let expected = if sounding { on } else { off };
        // The last run may be cut at 4 s.
        let last = i + 1 == runs.len();
        if n.abs_diff(expected) > 1 && !(last && n < expected) {
            problems.push(format!(
                "run {i} ({}) is {n} frames, expected {expected}",
                if sounding { "on" } else { "off" }
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{plan}: cadence is not {on_off_ms:?} ms:\n{}\nruns: {runs:?}",
        problems.join("\n")
    );
    let periods = 4000 / (on_off_ms.0 + on_off_ms.1);
    assert!(
        runs.iter().filter(|r| r.0).count() >= periods,
        "{plan}: {} tone bursts in 4 s, expected {periods}: {runs:?}",
        runs.iter().filter(|r| r.0).count()
    );

    // The frequencies and level of each burst (its first and last frame left out: a burst
    // may start or end inside a frame).
    let mut at = 0;
    for &(sounding, n) in &runs {
        let burst: Vec<i16> = frames[at..at + n]
            .iter()
            .skip(1)
            .take(n.saturating_sub(2))
            .flatten()
            .copied()
            .collect();
        at += n;
        if !sounding || burst.len() < 800 {
            continue;
        }
        let shares: Vec<f64> = frequencies
            .iter()
            .map(|&f| mc::tone_share(&burst, f))
            .collect();
        let total: f64 = shares.iter().sum();
        assert!(
            total > 0.9 && shares.iter().all(|&s| s > 0.8 / frequencies.len() as f64),
            "{plan}: a burst's power at {frequencies:?} Hz is {shares:?} of the whole"
        );
        for other in [350.0, 425.0, 440.0, 480.0, 620.0, 1000.0] {
            if !frequencies.contains(&other) {
                let share = mc::tone_share(&burst, other);
                assert!(share < 0.1, "{plan}: {share:.3} of a burst at {other} Hz");
            }
        }
        let amplitude = f64::from(dbm0_amplitude(level_dbm0));
        let expected_rms = (frequencies.len() as f64 * amplitude * amplitude / 2.0).sqrt();
        let expected_dbfs = 20.0 * (expected_rms / 32768.0).log10();
        let level = mc::level_dbfs(&burst);
        assert!(
            (level - expected_dbfs).abs() < 1.0,
            "{plan}: burst level {level:.2} dBFS, expected {expected_dbfs:.2} ({level_dbm0} dBm0 per frequency)"
        );
    }
}

#[test]
fn busy_tone_prompt_russia_is_425_hz_400_ms_on_and_off_for_4_s() {
    busy_tone("russia", &[425.0], -10.0, (400, 400));
}

#[test]
fn busy_tone_prompt_europe_is_425_hz_500_ms_on_and_off_for_4_s() {
    busy_tone("europe", &[425.0], -13.0, (500, 500));
}

#[test]
fn busy_tone_prompt_us_is_480_and_620_hz_500_ms_on_and_off_for_4_s() {
    busy_tone("us", &[480.0, 620.0], -24.0, (500, 500));
}

/// The beep does not repeat: 250 ms of 1 kHz, once.
#[test]
fn beep_prompt_plays_once() {
    let pbx = pbx(&[]);
    let (frames, trace) = tone_heard(&pbx, "822");
    let runs = cadence(&frames);
    eprintln!("beep: {} frames, runs {runs:?}", frames.len());
    assert!(trace.iter().any(|t| t == "play tone:beep"), "{trace:#?}");
    let sounding: Vec<usize> = runs.iter().filter(|r| r.0).map(|r| r.1).collect();
    assert!(
        sounding.len() == 1 && sounding[0].abs_diff(250 / 20) <= 1,
        "one burst of about 250 ms expected: runs {runs:?}"
    );
    assert!(
        frames.len() <= 250 / 20 + 2,
        "{} frames for a beep of 250 ms",
        frames.len()
    );
    let all: Vec<i16> = frames.concat();
    let share = mc::tone_share(&all, 1000.0);
    assert!(share > 0.9, "1 kHz share {share:.3}");
}

/// check-config refuses a tone no plan has, naming the key path.
#[test]
fn check_config_refuses_an_unknown_tone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("office.toml");
    let config = config(&[]).set("scenario.mf_busy.steps.play", "prompts", "[\"tone:siren\"]");
    std::fs::write(&file, &config.0).unwrap();
    let out = run_binary(&["check-config", &file.display().to_string()]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "check-config:\n{text}");
    assert!(
        text.contains("scenario.mf_busy.steps.play.prompts[0]")
            && text.contains("unknown tone")
            && text.contains("siren"),
        "the refusal names the key path and the tone:\n{text}"
    );
    // The same file with a known tone passes.
    let good = config.set(
        "scenario.mf_busy.steps.play",
        "prompts",
        "[\"tone:congestion\"]",
    );
    std::fs::write(&file, &good.0).unwrap();
    let out = run_binary(&["check-config", &file.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------
// 2. Call recording
// ---------------------------------------------------------------------------------------

/// What the caller says (Hz) and what 104 says.
const CALLER_HZ: f64 = 600.0;
const CALLEE_HZ: f64 = 1400.0;

/// The Switchboard call id on the `call` line of `switchboard trace`.
fn switchboard_call_id(pbx: &Pbx, sip_call_id: &str) -> String {
    mc::trace(pbx, sip_call_id, RECORD_TIMEOUT);
    let text = mc::trace_text(pbx, sip_call_id);
    text.lines()
        .find_map(|l| l.strip_prefix("call "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no call line in the trace:\n{text}"))
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// 101 calls 823 (a scenario dialling 104) and says 600 Hz for 3 s; 104 answers and says
/// 1400 Hz for 3 s; 101 hangs up after 4 s. Returns the SIP Call-ID of the caller's leg.
fn conversation(pbx: &Pbx) -> String {
    let callee_says = sine(CALLEE_HZ, 6000.0, 24_000);
    mc::write_pcap(
        &pbx.dir().join("mf_uas_media.pcap"),
        &mc::paced(
            mc::audio_packets(Codec::Pcma, &callee_says, 0x104_0104, 1, 0),
            Duration::ZERO,
        ),
    );
    let desk = registered_uas(pbx, "104", "mf_uas_answer_pcap", |s| s.pause_ms(300));
    let media = MediaSocket::bind();
    let mut uac = call(pbx, "med_uac_hangup", "823")
        .rtp_port(media.port())
        .pause_ms(4000)
        .spawn();
    let to_pbx = rtp::parse_addr(&uac.wait_log("SDP_ANSWER", Duration::from_secs(10)));
    let caller_says = sine(CALLER_HZ, 6000.0, 24_000);
    let packets = mc::audio_packets(Codec::Pcmu, &caller_says, 0x101_0101, 1, 0);
    let stop = AtomicBool::new(false);
    let heard = std::thread::scope(|scope| {
        let sender = scope.spawn(|| mc::send_paced(&media.rtp, to_pbx, &packets, &stop));
        let heard = mc::record(
            &media.rtp,
            Instant::now() + Duration::from_secs(6),
            Duration::from_millis(1500),
        );
        stop.store(true, Ordering::Relaxed);
        sender.join().unwrap();
        heard
    });
    let uac = uac.wait();
    uac.assert_success();
    let desk = desk.wait_after(&uac);
    desk.assert_success();
    let heard = mc::decode(Codec::Pcmu, &mc::rtp_of(&heard));
    eprintln!(
        "the caller heard {} samples, {CALLEE_HZ} Hz share {:.3}",
        heard.len(),
        mc::tone_share(&heard, CALLEE_HZ)
    );
    uac.expect_log("CALL_ID")
}

#[test]
fn record_calls_records_both_voices_of_a_dialled_call() {
    let pbx = pbx(&[("record_calls", "true")]);
    let sip_call_id = conversation(&pbx);
    let id = switchboard_call_id(&pbx, &sip_call_id);
    let trace = mc::trace(&pbx, &sip_call_id, RECORD_TIMEOUT);
    assert!(
        trace.iter().any(|t| t == "dial 104: answered"),
        "the call was connected through the scenario: {trace:#?}"
    );
    let expected = pbx
        .data_dir
        .join("recordings")
        .join(START_DATE)
        .join(format!("{id}.wav"));
    let bytes = wait_until_or_none(RECORD_TIMEOUT, || std::fs::read(&expected).ok())
        .unwrap_or_else(|| {
            panic!(
                "no recording {}; files under the data dir: {:#?}\nlog:\n{}",
                expected.display(),
                files_under(&pbx.data_dir),
                tail(&pbx.log(), 40)
            )
        });
    let wav = mc::read_wav(&bytes)
        .unwrap_or_else(|e| panic!("{} is not a valid WAV: {e}", expected.display()));
    let caller = mc::tone_share(&wav.samples, CALLER_HZ);
    let callee = mc::tone_share(&wav.samples, CALLEE_HZ);
    eprintln!(
        "{}: format {} channels {} rate {} bits {}, {:?}; share {CALLER_HZ} Hz {caller:.3}, {CALLEE_HZ} Hz {callee:.3}",
        expected.display(),
        wav.format,
        wav.channels,
        wav.sample_rate,
        wav.bits,
        wav.duration()
    );
    assert_eq!(
        (wav.format, wav.channels, wav.sample_rate, wav.bits),
        (1, 1, 8000, 16),
        "both voices mixed: mono 8 kHz 16-bit PCM"
    );
    assert!(
        (Duration::from_secs(3)..=Duration::from_secs(7)).contains(&wav.duration()),
        "{:?} recorded of a conversation of about 4 s",
        wav.duration()
    );
    assert!(
        caller > 0.1 && callee > 0.1 && caller + callee > 0.7,
        "both voices must be in the recording: {CALLER_HZ} Hz (caller) {caller:.3}, {CALLEE_HZ} Hz (104) {callee:.3}"
    );
    // Both voices at the same time somewhere: the mix, not one after the other.
    let both = wav.samples.chunks(1600).any(|window| {
        mc::tone_share(window, CALLER_HZ) > 0.2 && mc::tone_share(window, CALLEE_HZ) > 0.2
    });
    assert!(both, "no 200 ms of the recording holds both voices at once");
    assert_eq!(
        files_under(&pbx.data_dir.join("recordings")).len(),
        1,
        "one call, one recording"
    );
}

#[test]
fn without_record_calls_no_recording_is_made() {
    let pbx = pbx(&[]);
    let sip_call_id = conversation(&pbx);
    let trace = mc::trace(&pbx, &sip_call_id, RECORD_TIMEOUT);
    assert!(
        trace.iter().any(|t| t == "dial 104: answered"),
        "{trace:#?}"
    );
    std::thread::sleep(Duration::from_secs(1));
    let recordings = pbx.data_dir.join("recordings");
    let files = files_under(&recordings);
    assert!(files.is_empty(), "record_calls is off, yet: {files:#?}");
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

// ---------------------------------------------------------------------------------------
// 3. SIP INFO digits passed on
// ---------------------------------------------------------------------------------------

/// 101 calls 823 (a scenario dialling 104); 104 answers in PCMA with media on a socket of
/// the test, with (`telephone_event`) or without telephone-event, and hangs up after 3 s;
/// 1 s after its ACK the caller sends INFO Signal=5. Returns what reached 104's socket.
fn info_digit_to_104(telephone_event: bool) -> Vec<mc::Packet> {
    let pbx = pbx(&[]);
    let media = MediaSocket::bind();
    let (fmts, te) = if telephone_event {
        ("8 101", "rtpmap:101 telephone-event/8000")
    } else {
        ("8", "ptime:20")
    };
    let desk = registered_uas(&pbx, "104", "mf_uas_answer_then_bye", |s| {
        s.rtp_port(media.port())
            .key("fmts", fmts)
            .key("te_attr", te)
            .pause_ms(3000)
    });
    let uac = call(&pbx, "med_uac_info_bye", "823")
        .key("digit1", "5")
        .pause_ms(1000)
        .spawn();
    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(8),
        Duration::from_millis(1500),
    );
    let uac = uac.wait();
    uac.assert_success();
    assert_eq!(uac.expect_log("INFO1_ANSWERED"), "1");
    let desk = desk.wait_after(&uac);
    desk.assert_success();
    if telephone_event {
        assert_eq!(
            desk.log("OFFER_TE").as_deref(),
            Some("101"),
            "104 answers telephone-event as 101, so the PBX must offer it as 101"
        );
    }
    let trace = mc::trace(&pbx, &uac.expect_log("CALL_ID"), RECORD_TIMEOUT);
    assert!(
        trace.iter().any(|t| t == "dial 104: answered"),
        "{trace:#?}"
    );
    arrivals.iter().filter_map(|a| mc::parse(&a.data)).collect()
}

#[test]
fn an_info_digit_reaches_the_answering_phone_as_rfc4733_events() {
    let packets = info_digit_to_104(true);
    let events: Vec<&mc::Packet> = packets.iter().filter(|p| p.payload_type == 101).collect();
    let others: Vec<u8> = packets
        .iter()
        .map(|p| p.payload_type)
        .filter(|&pt| pt != 101)
        .collect();
    eprintln!(
        "104 got {} packets: {} telephone-event, other payload types {:?}",
        packets.len(),
        events.len(),
        others.iter().collect::<std::collections::BTreeSet<_>>()
    );
    for e in &events {
        eprintln!(
            "  seq {} ts {} marker {} payload {:02x?}",
            e.sequence, e.timestamp, e.marker, e.payload
        );
    }
    assert!(
        !events.is_empty(),
        "no RFC 4733 packet reached 104 for the caller's INFO Signal=5 ({} packets, payload types {:?})",
        packets.len(),
        others.iter().collect::<std::collections::BTreeSet<_>>()
    );
    assert!(
        events
            .iter()
            .all(|e| e.payload.len() == 4 && e.payload[0] == 5),
        "every event packet is digit 5: {events:#?}"
    );
    let ends = events.iter().filter(|e| e.payload[1] & 0x80 != 0).count();
    let n = events.len();
    assert!(
        n >= 4 && ends == 3 && events[n - 3..].iter().all(|e| e.payload[1] & 0x80 != 0),
        "the last three packets (only) carry the end bit: {ends} of {n} do"
    );
    let timestamp = events[0].timestamp;
    assert!(
        events.iter().all(|e| e.timestamp == timestamp),
        "one event, one timestamp: {:?}",
        events.iter().map(|e| e.timestamp).collect::<Vec<_>>()
    );
    assert!(
        events[0].marker,
        "the event's first packet carries the marker"
    );
    let durations: Vec<u16> = events
        .iter()
        .map(|e| u16::from_be_bytes([e.payload[2], e.payload[3]]))
        .collect();
    assert!(
        durations.windows(2).all(|w| w[0] <= w[1]) && *durations.last().unwrap() > 0,
        "durations must grow to the end: {durations:?}"
    );
    // The digit is sent once: one event.
    let ssrcs: std::collections::BTreeSet<u32> = packets.iter().map(|p| p.ssrc).collect();
    assert_eq!(
        ssrcs.len(),
        1,
        "the events belong to the leg's one RTP stream: SSRCs {ssrcs:x?}"
    );
}

/// 104 answered without telephone-event: the key reaches it as DTMF tones (770 + 1336 Hz
/// for 5) in its PCMA stream, and no event packets.
#[test]
fn an_info_digit_reaches_a_phone_without_telephone_event_in_band() {
    let packets = info_digit_to_104(false);
    let pts: std::collections::BTreeSet<u8> = packets.iter().map(|p| p.payload_type).collect();
    assert!(
        pts.iter().all(|&pt| pt == 8),
        "only PCMA was answered, yet payload types {pts:?} arrived"
    );
    let frames: Vec<Vec<i16>> = packets
        .iter()
        .map(|p| {
            let mut out = Vec::new();
            Codec::Pcma.decode(&p.payload, &mut out);
            out
        })
        .collect();
    let dtmf_frames = frames
        .iter()
        .filter(|f| {
            mc::level_dbfs(f) > -40.0
                && mc::tone_share(f, 770.0) > 0.3
                && mc::tone_share(f, 1336.0) > 0.3
        })
        .count();
    eprintln!(
        "104 got {} PCMA frames, {dtmf_frames} of them DTMF 5",
        frames.len()
    );
    assert!(
        dtmf_frames >= 2,
        "the caller's INFO 5 must reach 104 as in-band DTMF (770 + 1336 Hz); {dtmf_frames} frames of it in {} packets",
        packets.len()
    );
}

// ---------------------------------------------------------------------------------------
// 4. Star codes of internal numbers
// ---------------------------------------------------------------------------------------

#[test]
fn an_internal_star_code_reaches_its_scenario() {
    let demo = ConfigText::demo();
    assert!(
        demo.0.contains("number = \"800\""),
        "the demo has no internal 800"
    );
    let config = ConfigText(demo.0.replace("number = \"800\"", "number = \"*800\""));
    let pbx = pbx_at(config, START_TIME);
    let uac = call(&pbx, "med_uac_hangup", "*800").pause_ms(1500).run();
    uac.assert_success();
    assert_eq!(uac.expect_log("CHALLENGE"), "407");
    let trace = mc::trace(&pbx, &uac.expect_log("CALL_ID"), RECORD_TIMEOUT);
    assert_eq!(
        trace.first().map(String::as_str),
        Some("scenario main"),
        "{trace:#?}"
    );
}
