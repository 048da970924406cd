//! `/api/mailboxes/{box}/greetings/{kind}` from the outside: WAV files sent through the router
//! as a client sends them, against a store on a temporary voicemail directory.

mod idle;

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use idle::Idle;
use sb_api::{router, ApiState};
use sb_store::{Store, MAX_GREETING_BYTES};
use serde_json::Value;
use tower::ServiceExt;

const LOCAL: &str = "127.0.0.1:40000";

/// A PBX whose configuration has boxes 101 and `general`.
const OFFICE: Idle = Idle {
    mailboxes: &["101", "general"],
};

async fn state(voicemail: &Path) -> ApiState {
    ApiState {
        store: Store::open_in_memory()
            .await
            .expect("store")
            .with_voicemail_dir(voicemail),
        live: Arc::new(OFFICE),
        control: Arc::new(OFFICE),
    }
}

/// A 16-bit PCM WAV of interleaved `samples`, its header written out by hand.
fn wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut file = b"RIFF".to_vec();
    file.extend((36 + data_len).to_le_bytes());
    file.extend(b"WAVEfmt ");
    file.extend(16u32.to_le_bytes());
    file.extend(1u16.to_le_bytes());
    file.extend(channels.to_le_bytes());
    file.extend(rate.to_le_bytes());
    file.extend((rate * u32::from(channels) * 2).to_le_bytes());
    file.extend((channels * 2).to_le_bytes());
    file.extend(16u16.to_le_bytes());
    file.extend(b"data");
    file.extend(data_len.to_le_bytes());
    for sample in samples {
        file.extend(sample.to_le_bytes());
    }
    file
}

/// `secs` of a 440 Hz tone at 16 kHz, stereo.
fn stereo_tone(secs: f64) -> Vec<u8> {
    let frames = (16_000.0 * secs) as usize;
    let samples: Vec<i16> = (0..frames)
        .flat_map(|i| {
            let s = (10_000.0 * (2.0 * PI * 440.0 * i as f64 / 16_000.0).sin()) as i16;
            [s, s / 2]
        })
        .collect();
    wav(16_000, 2, &samples)
}

/// Sends `method uri` with `body` of `content_type`, from `peer`.
async fn send(
    state: ApiState,
    method: &str,
    uri: &str,
    body: Vec<u8>,
    content_type: Option<&str>,
    peer: &str,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    let mut request = request.body(Body::from(body)).expect("request");
    let addr: std::net::SocketAddr = peer.parse().expect("peer address");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    let response = router(state).oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn greeting(dir: &Path, mailbox: &str, kind: &str) -> PathBuf {
    dir.join(mailbox)
        .join("greetings")
        .join(format!("{kind}.wav"))
}

/// The error message of an answer, which must have one.
fn error(body: &Value) -> &str {
    body["error"].as_str().expect("an error message")
}

#[tokio::test]
async fn a_wav_put_becomes_the_greeting_at_8_khz_mono_and_delete_removes_it() {
    let temp = tempfile::tempdir().expect("temp dir");
    let state = state(temp.path()).await;
    let uri = "/api/mailboxes/101/greetings/busy";
    let (status, body) = send(
        state.clone(),
        "PUT",
        uri,
        stereo_tone(1.5),
        Some("audio/wav"),
        LOCAL,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let file = std::fs::read(greeting(temp.path(), "101", "busy")).expect("greeting file");
    let u16_at = |at: usize| u16::from_le_bytes([file[at], file[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().expect("4 bytes"));
    assert_eq!(u16_at(22), 1, "mono");
    assert_eq!(u32_at(24), 8000, "8 kHz");
    assert_eq!(u16_at(34), 16, "16-bit");
    assert_eq!(u32_at(40), 12_000 * 2, "1.5 s of samples");
    assert!(state.store.greetings("101").await.expect("list").busy);

    // Over axum's default body limit of 2 MB: this route takes up to MAX_GREETING_BYTES.
    let long = stereo_tone(50.0);
    assert!(long.len() > 3_000_000);
    let (status, body) = send(state.clone(), "PUT", uri, long, Some("audio/wav"), LOCAL).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Other types a WAV is sent as, and none at all, replace it.
    for content_type in [
        Some("audio/x-wav"),
        Some("application/octet-stream"),
        Some("Audio/WAV; codecs=1"),
        None,
    ] {
        let (status, body) = send(
            state.clone(),
            "PUT",
            uri,
            stereo_tone(0.5),
            content_type,
            LOCAL,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{content_type:?}: {body}");
    }

    for _ in 0..2 {
        let (status, body) = send(state.clone(), "DELETE", uri, Vec::new(), None, LOCAL).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(!greeting(temp.path(), "101", "busy").exists());
    }
}

#[tokio::test]
async fn bad_audio_is_refused_with_its_cause_and_the_old_greeting_stays() {
    let temp = tempfile::tempdir().expect("temp dir");
    let state = state(temp.path()).await;
    let uri = "/api/mailboxes/general/greetings/temporary";
    let sent = stereo_tone(1.0);
    let (status, _) = send(state.clone(), "PUT", uri, sent, Some("audio/wav"), LOCAL).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let path = greeting(temp.path(), "general", "temporary");
    let before = std::fs::read(&path).expect("greeting");

    let mut adpcm = wav(8000, 1, &[0; 8000]);
    adpcm[20] = 2;
    for (body, cause) in [
        (b"ID3\x04 an MP3".to_vec(), "not a WAV file"),
        (Vec::new(), "empty"),
        (adpcm, "MS ADPCM"),
        (wav(8000, 1, &[0; 1600]), "at least 0.5 s"),
        (stereo_tone(1.0)[..1000].to_vec(), "damaged"),
    ] {
        let (status, answer) =
            send(state.clone(), "PUT", uri, body, Some("audio/wav"), LOCAL).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{cause}: {answer}"
        );
        assert!(error(&answer).contains(cause), "{cause}: {answer}");
        assert_eq!(std::fs::read(&path).expect("greeting"), before, "{cause}");
    }

    let (status, answer) = send(
        state.clone(),
        "PUT",
        uri,
        vec![0; MAX_GREETING_BYTES + 1],
        Some("audio/wav"),
        LOCAL,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(error(&answer).contains("larger than 20 MiB"), "{answer}");

    let (status, answer) = send(
        state.clone(),
        "PUT",
        uri,
        br#"{"greeting": "hello"}"#.to_vec(),
        Some("application/json"),
        LOCAL,
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{answer}");
    assert!(error(&answer).contains("audio/wav"), "{answer}");
    assert_eq!(std::fs::read(&path).expect("greeting"), before);
}

#[tokio::test]
async fn unknown_boxes_and_kinds_are_404_and_other_machines_403() {
    let temp = tempfile::tempdir().expect("temp dir");
    let state = state(temp.path()).await;
    for method in ["PUT", "DELETE"] {
        let (status, answer) = send(
            state.clone(),
            method,
            "/api/mailboxes/999/greetings/busy",
            stereo_tone(1.0),
            Some("audio/wav"),
            LOCAL,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {answer}");
        assert!(
            error(&answer).contains("no voicemail box \"999\""),
            "{answer}"
        );

        let (status, answer) = send(
            state.clone(),
            method,
            "/api/mailboxes/101/greetings/holiday",
            stereo_tone(1.0),
            Some("audio/wav"),
            LOCAL,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {answer}");
        assert!(
            error(&answer).contains("unavailable, busy, temporary, name"),
            "{answer}"
        );

        let (status, _) = send(
            state.clone(),
            method,
            "/api/mailboxes/101/greetings/busy",
            stereo_tone(1.0),
            Some("audio/wav"),
            "192.0.2.7:5060",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method}");
    }
    assert!(!temp.path().join("999").exists());
    assert!(!temp.path().join("101").exists());
}
