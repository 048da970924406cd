//! A greeting uploaded over HTTP is what the next caller hears, end to end: the running PBX
//! takes a 16 kHz stereo WAV at `PUT /api/mailboxes/102/greetings/temporary`, and a call to a
//! `voicemail` step for box 102 (SIPp as extension 101, its media on this test's socket)
//! hears it, compared sample by sample after G.711 with the same sound made at 8 kHz.

mod common;

use common::media_check::{self as mc, MediaSocket};
use common::*;
use sb_media::audio::Codec;
use std::f64::consts::PI;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The demo office, with 820 leading straight to the voicemail of 102.
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

const CODEC: Codec = Codec::Pcmu;

/// How long the greeting lasts.
const GREETING_SECS: f64 = 2.0;

/// The greeting at `t` seconds: a 600 Hz tone swelling three times a second under a steady
/// 1500 Hz one, so it lines up with itself at one place only.
fn sound(t: f64) -> f64 {
    0.4 * (2.0 * PI * 600.0 * t).sin() * (0.6 + 0.4 * (2.0 * PI * 3.0 * t).sin())
        + 0.2 * (2.0 * PI * 1500.0 * t).sin()
}

/// The greeting as a studio might send it: 16 kHz stereo 16-bit PCM, quieter on the right.
fn greeting_wav() -> Vec<u8> {
    let frames = (16_000.0 * GREETING_SECS) as usize;
    let samples: Vec<i16> = (0..frames)
        .flat_map(|i| {
            let s = sound(i as f64 / 16_000.0) * 32767.0;
            [(1.2 * s) as i16, (0.8 * s) as i16]
        })
        .collect();
    mc::pcm16_wav(16_000, 2, &samples)
}

/// `method path` with a WAV `body` to the PBX's API; the status code and the body.
fn send_wav(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    common::http::send(addr, method, path, Some("audio/wav"), body)
}

#[test]
fn a_greeting_uploaded_over_http_is_what_the_next_caller_hears() {
    let config = ConfigText::demo().pbx("rtp_timeout_secs", "600");
    let pbx = Pbx::start(PbxOptions::with_config(ConfigText(format!(
        "{}{LEAVE_FOR_102}",
        config.0
    ))));
    let uri = "/api/mailboxes/102/greetings/temporary";
    let (status, body) = send_wav(pbx.http, "PUT", uri, &greeting_wav());
    assert_eq!(status, 204, "{body}");
    let (status, body) = send_wav(
        pbx.http,
        "PUT",
        "/api/mailboxes/999/greetings/temporary",
        &greeting_wav(),
    );
    assert_eq!(
        status, 404,
        "the configuration in force has no box 999: {body}"
    );

    let media = MediaSocket::bind();
    let pt = CODEC.payload_type();
    let uac = caller(&pbx, "med_uac_wait_bye", "101", "820")
        .key("pt", pt)
        .key("codec", "PCMU")
        .key("fmts", pt)
        .key("te_attr", "ptime:20")
        .rtp_port(media.port())
        .recv_timeout(Duration::from_secs(60))
        .timeout(Duration::from_secs(90))
        .spawn();
    // The greeting and a second more: the beep, and room for anything before.
    let frames = ((GREETING_SECS + 1.0) * 8000.0) as usize / mc::FRAME;
    let arrivals = mc::record_until(
        &media.rtp,
        Instant::now() + Duration::from_secs(20),
        Duration::from_secs(2),
        |got| got.len() >= frames,
    );
    drop(uac);
    let packets: Vec<_> = mc::rtp_of(&arrivals)
        .into_iter()
        .filter(|(_, p)| p.payload_type == pt)
        .collect();
    let heard = mc::decode(CODEC, &packets);

    let made_at_8k: Vec<i16> = (0..(8000.0 * GREETING_SECS) as usize)
        .map(|i| (sound(i as f64 / 8000.0) * 32767.0) as i16)
        .collect();
    let reference = mc::round_trip(CODEC, &made_at_8k);
    assert!(
        heard.len() >= reference.len(),
        "heard {} samples, the greeting has {}",
        heard.len(),
        reference.len()
    );
    let latest = (heard.len() - reference.len()) as isize;
    let (_, start) = mc::best_correlation(&reference[..2000], &heard, 0..=latest);
    let (correlation, lag) =
        mc::best_correlation(&reference, &heard, (start - 2).max(0)..=(start + 2));
    eprintln!("uploaded greeting: correlation {correlation:.4} at {lag}");
    assert!(
        correlation >= 0.98,
        "what the caller heard correlates {correlation:.4} (at {lag}) with the uploaded greeting"
    );

    let (status, body) = send_wav(pbx.http, "DELETE", uri, &[]);
    assert_eq!(status, 204, "{body}");
    assert!(!pbx
        .data_dir
        .join("voicemail/102/greetings/temporary.wav")
        .exists());
}
