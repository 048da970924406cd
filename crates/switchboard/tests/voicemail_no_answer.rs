//! Voicemail on no answer end to end, through the real binary: with `[voicemail]
//! on_no_answer = true` and a 5 s ring time, 101 (a SIPp caller, its media on a socket this
//! test owns) calls 103, whose phone is a SIPp registered as 103. When that phone rings
//! without answering, the caller is answered once the ring time is over, hears 103's
//! unavailable greeting and the beep, and leaves a message that `switchboard voicemail 103`
//! lists; when it answers 486, 103's busy greeting plays at once instead. A caller who gives
//! up while 103 rings leaves nothing, and a phone calling its own number only rings.
//!
//! 103's two greetings are installed through the API as two tones (500 Hz unavailable,
//! 1500 Hz busy), so which one the caller heard is told by its pitch.

mod common;

use common::media_check::{self as mc, MediaSocket};
use common::scenario::*;
use common::*;
use sb_media::audio::Codec;
use std::time::{Duration, Instant};

/// How long 103 rings before its box answers: the shortest allowed, to keep the tests short.
const RING_SECS: u64 = 5;
/// The pitch of 103's unavailable greeting, Hz.
const UNAVAILABLE_HZ: f64 = 500.0;
/// The pitch of 103's busy greeting, Hz.
const BUSY_HZ: f64 = 1500.0;
/// The codec the caller's offer lists first, which the PBX answers with.
const CODEC: Codec = Codec::Pcma;

/// The demo office with voicemail on no answer for everybody, after [`RING_SECS`].
fn office() -> ConfigText {
    ConfigText::demo()
        .set("voicemail", "on_no_answer", "true")
        .set("voicemail", "ring_timeout_secs", &RING_SECS.to_string())
}

/// Two seconds of a `hz` tone as an 8 kHz mono 16-bit WAV file.
fn tone_wav(hz: f64) -> Vec<u8> {
    let samples: Vec<i16> = (0..16_000)
        .map(|i| (9_000.0 * (2.0 * std::f64::consts::PI * hz * f64::from(i) / 8000.0).sin()) as i16)
        .collect();
    mc::pcm16_wav(8000, 1, &samples)
}

/// A PBX running [`office`], with 103's unavailable and busy greetings installed.
fn office_with_greetings() -> Pbx {
    let pbx = Pbx::start(PbxOptions::with_config(office()));
    for (kind, hz) in [("unavailable", UNAVAILABLE_HZ), ("busy", BUSY_HZ)] {
        let path = format!("/api/mailboxes/103/greetings/{kind}");
        let (status, body) = common::http::put(pbx.http, &path, "audio/wav", &tone_wav(hz));
        assert_eq!(status, 204, "PUT {path}: {body}");
    }
    pbx
}

/// 101 calling 103 and waiting up to a minute for the PBX to hang up, its media on `media`.
fn anna_calls_vera(pbx: &Pbx, media: &MediaSocket) -> SippRun {
    CallerScript::new()
        .wait_bye(Duration::from_secs(60))
        .extension(pbx, "101", "103")
        .rtp_port(media.port())
        .recv_timeout(Duration::from_secs(60))
        .spawn()
}

/// What the caller heard once answered, up to the end of the beep, decoded; asserts the
/// greeting in it is the one at `greeting_hz` and not the other.
fn hear_greeting(media: &MediaSocket, greeting_hz: f64, other_hz: f64) {
    let heard =
        mc::record_through_beep(&media.rtp, CODEC, Instant::now() + Duration::from_secs(20));
    let packets = mc::rtp_of(&heard);
    assert!(
        packets
            .iter()
            .all(|(_, p)| p.payload_type == CODEC.payload_type()),
        "the PBX answered the offer (PCMA first) with another codec"
    );
    let samples = mc::decode(CODEC, &packets);
    assert!(
        samples.len() >= 16_000,
        "{} samples before the beep's end: no two-second greeting",
        samples.len()
    );
    // The middle of the greeting, clear of its start and of the beep.
    let greeting = &samples[1600..14_400];
    let (share, other) = (
        mc::tone_share(greeting, greeting_hz),
        mc::tone_share(greeting, other_hz),
    );
    assert!(
        share > 0.8 && other < 0.05,
        "the greeting heard is {share:.3} of {greeting_hz} Hz and {other:.3} of {other_hz} Hz"
    );
}

/// The caller says g711a.pcap's speech and `#`; returns what was said.
fn leave_message(caller: &mut SippRun, media: &MediaSocket) -> Vec<i16> {
    let to_pbx = rtp::parse_addr(&caller.wait_log("SDP_ANSWER", Duration::from_secs(1)));
    let speech = mc::pcap_speech();
    let packets = mc::message_packets(CODEC, &speech, 0x0103_0103);
    let sent_at = Instant::now();
    rtp::play_and_record(
        &media.rtp,
        to_pbx,
        &packets,
        Duration::from_millis(20),
        usize::MAX,
        sent_at + Duration::from_millis(20 * packets.len() as u64 + 500),
    );
    speech
}

/// Waits for `switchboard voicemail 103` to list one new message from 101, and checks its
/// file holds `speech`.
fn one_message_from_anna(pbx: &Pbx, speech: &[i16]) {
    let text = wait_until("a message listed in box 103", RECORD_TIMEOUT, || {
        let text = voicemail_listing(pbx, "103");
        text.lines().any(|l| l.contains(" new ")).then_some(text)
    });
    let rows: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 1, "one message:\n{text}");
    assert!(
        rows[0].contains("101"),
        "the caller 101 in the row:\n{text}"
    );
    let files = voicemail_messages(pbx, "103");
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(rows[0].contains(&files[0].display().to_string()), "{text}");
    let bytes = std::fs::read(&files[0]).expect("the message file");
    let wav = mc::read_wav(&bytes).unwrap_or_else(|e| panic!("{}: {e}", files[0].display()));
    let (c, lag) = mc::best_correlation(speech, &wav.samples, -1600..=1600);
    assert!(
        c >= 0.99,
        "the message correlates {c:.4} (lag {lag}) with what was said"
    );
}

#[test]
fn an_unanswered_call_goes_to_the_box_after_the_ring_time() {
    let pbx = office_with_greetings();
    let vera = registered_uas(&pbx, "103", "uas_ring_forever", |s| {
        s.recv_timeout(Duration::from_secs(30))
    });
    let media = MediaSocket::bind();
    let started = Instant::now();
    let mut anna = anna_calls_vera(&pbx, &media);
    anna.wait_log("SDP_ANSWER", Duration::from_secs(RING_SECS + 10));
    let answered_after = started.elapsed();
    assert!(
        answered_after >= Duration::from_millis(RING_SECS * 1000 - 300),
        "the box answered after {answered_after:?}, before 103 rang {RING_SECS} s"
    );
    let vera = vera.wait();
    vera.assert_success();
    assert_eq!(
        vera.expect_log("GOT_CANCEL"),
        "1",
        "103's phone stops ringing"
    );

    hear_greeting(&media, UNAVAILABLE_HZ, BUSY_HZ);
    let speech = leave_message(&mut anna, &media);
    let anna = anna.wait();
    anna.assert_success();
    assert_eq!(anna.expect_log("GOT_BYE"), "1", "`#` ends the message");
    one_message_from_anna(&pbx, &speech);

    let trace = trace(&pbx, &anna.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "scenario extension:103",
            "dial 103 (5 s)",
            "dial 103: no answer after 5 s → voicemail",
            "voicemail 103",
        ],
    );
}

#[test]
fn a_busy_callee_gives_the_busy_greeting_at_once() {
    let pbx = office_with_greetings();
    let vera = registered_uas(&pbx, "103", "uas_busy", |s| s);
    let media = MediaSocket::bind();
    let started = Instant::now();
    let mut anna = anna_calls_vera(&pbx, &media);
    anna.wait_log("SDP_ANSWER", Duration::from_secs(RING_SECS + 10));
    let answered_after = started.elapsed();
    assert!(
        answered_after < Duration::from_secs(RING_SECS),
        "busy is known at once, yet the box answered after {answered_after:?}"
    );
    let vera = vera.wait();
    vera.assert_success();
    assert_eq!(vera.expect_log("GOT_INVITE"), "1");

    hear_greeting(&media, BUSY_HZ, UNAVAILABLE_HZ);
    let speech = leave_message(&mut anna, &media);
    let anna = anna.wait();
    anna.assert_success();
    one_message_from_anna(&pbx, &speech);

    let trace = trace(&pbx, &anna.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "dial 103 (5 s)",
            "dial 103: busy → voicemail",
            "voicemail 103",
        ],
    );
}

#[test]
fn a_caller_who_gives_up_while_it_rings_leaves_no_message() {
    let pbx = Pbx::start(PbxOptions::with_config(office()));
    let vera = registered_uas(&pbx, "103", "uas_ring_forever", |s| s);
    let anna = caller(&pbx, "uac_cancel", "101", "103")
        .pause_ms(1000)
        .run();
    let vera = vera.wait_after(&anna);
    anna.assert_success();
    vera.assert_success();
    assert_eq!(anna.expect_log("FINAL"), "487");
    assert_eq!(
        vera.expect_log("GOT_CANCEL"),
        "1",
        "103's phone stops ringing"
    );
    pbx.wait_for_call("CANCELLED", RECORD_TIMEOUT);
    let trace = trace(&pbx, &anna.expect_log("CALL_ID"));
    assert_trace_in_order(&trace, &["dial 103 (5 s)", "caller hung up"]);
    // Past the ring time, still nothing.
    std::thread::sleep(Duration::from_secs(RING_SECS));
    assert!(
        voicemail_listing(&pbx, "103").contains("no messages"),
        "{}",
        voicemail_listing(&pbx, "103")
    );
    assert_eq!(
        voicemail_messages(&pbx, "103"),
        Vec::<std::path::PathBuf>::new()
    );
}

#[test]
fn a_phone_calling_its_own_number_only_rings() {
    let pbx = Pbx::start(PbxOptions::with_config(office().ring_timeout_secs(2)));
    let other_phone = registered_uas(&pbx, "103", "uas_ring_forever", |s| s);
    let vera = caller(&pbx, "uac_expect_no_answer", "103", "103").run();
    let other_phone = other_phone.wait_after(&vera);
    vera.assert_success();
    other_phone.assert_success();
    let final_code = vera.expect_log("FINAL");
    assert!(final_code == "480" || final_code == "408", "{final_code}");
    pbx.wait_for_call("NO ANSWER", RECORD_TIMEOUT);
    let trace = trace(&pbx, &vera.expect_log("CALL_ID"));
    assert!(trace.contains("direct call: no scenario"), "{trace}");
    assert_eq!(
        voicemail_messages(&pbx, "103"),
        Vec::<std::path::PathBuf>::new()
    );
}
