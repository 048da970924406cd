//! The endpoint against phones made of UDP sockets on 127.0.0.1. Each test has its own port
//! range of 20 ports in 32000-32199: below Linux's ephemeral range (32768-60999), where the test phones and other programs bind, and clear of the bridge tests' 30000-31299.

use super::*;
use crate::audio::Codec;
use crate::dtmf::inband;
use crate::dtmf::rfc4733::EventSender;
use crate::playout::{RtpHeader, RtpPacket, StopReason, TokioClock};
use crate::tones::dbm0_amplitude;
use crate::MediaConfig;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::{timeout, Instant};

const ARRIVAL: Duration = Duration::from_secs(3);

/// A media service on 127.0.0.1 with ten port pairs from `first`. The range is inside Linux's ephemeral ports (32768-60999), so sockets
/// bound to port 0 anywhere on the machine may hold some of them; the pool skips those.
fn media(first: u16) -> Media {
    Media::new(MediaConfig {
        port_min: first,
        port_max: first + 19,
        ..MediaConfig::new(Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into())
    })
    .unwrap()
}

/// A phone: one RTP socket, numbering its own stream.
struct Phone {
    socket: UdpSocket,
    sequence: u16,
    timestamp: u32,
}

impl Phone {
    async fn new() -> Phone {
        Phone {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            sequence: 1,
            timestamp: 1000,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// A SIPp-like offer with `formats` on the `m=` line and their `rtpmap`s.
    fn offer(&self, formats: &str, maps: &str) -> String {
        format!(
            "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
             c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP {formats}\r\n{maps}",
            self.addr().port()
        )
    }

    fn sipp_offer(&self) -> String {
        self.offer(
            "0 8 101",
            "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n",
        )
    }

    async fn send(&mut self, to: SocketAddr, pt: u8, marker: bool, timestamp: u32, payload: &[u8]) {
        let mut packet = Vec::new();
        RtpHeader {
            marker,
            payload_type: pt,
            sequence: self.sequence,
            timestamp,
            ssrc: 0x1234_5678,
        }
        .write(payload, &mut packet);
        self.sequence = self.sequence.wrapping_add(1);
        self.socket.send_to(&packet, to).await.unwrap();
    }

    /// Sends `pcm` as PCMU frames, a little apart so nothing overflows a socket buffer.
    async fn send_audio(&mut self, to: SocketAddr, pcm: &[i16]) {
        for frame in pcm.chunks(160) {
            let mut payload = Vec::new();
            Codec::Pcmu.encode(frame, &mut payload);
            let timestamp = self.timestamp;
            self.send(to, 0, false, timestamp, &payload).await;
            self.timestamp = self.timestamp.wrapping_add(160);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn press(&mut self, to: SocketAddr, digit: Digit) {
        let timestamp = self.timestamp;
        for packet in EventSender::new().press(digit, Duration::from_millis(100), timestamp) {
            let payload = packet.payload.to_bytes();
            self.send(to, 101, packet.marker, packet.timestamp, &payload)
                .await;
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        self.timestamp = self.timestamp.wrapping_add(800);
    }

    /// The next `n` packets from the PBX, with their arrival times.
    async fn receive(&self, n: usize) -> Vec<(Instant, RtpHeader, Vec<u8>)> {
        let mut buffer = [0u8; 2048];
        let mut packets = Vec::new();
        while packets.len() < n {
            let len = timeout(ARRIVAL, self.socket.recv(&mut buffer))
                .await
                .expect("RTP in time")
                .unwrap();
            let packet = RtpPacket::parse(&buffer[..len]).unwrap();
            packets.push((Instant::now(), packet.header, packet.payload.to_vec()));
        }
        packets
    }

    /// Arrival times of packets until none comes for `quiet`.
    async fn drain(&self, quiet: Duration) -> Vec<Instant> {
        let mut buffer = [0u8; 2048];
        let mut arrivals = Vec::new();
        while timeout(quiet, self.socket.recv(&mut buffer)).await.is_ok() {
            arrivals.push(Instant::now());
        }
        arrivals
    }
}

fn pbx(endpoint: &MediaEndpoint) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, endpoint.local_port()))
}

fn sine(hz: f64, amplitude: f64, samples: usize) -> Vec<i16> {
    (0..samples)
        .map(|n| (amplitude * (std::f64::consts::TAU * hz * n as f64 / 8000.0).sin()) as i16)
        .collect()
}

fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt()
}

async fn event(endpoint: &MediaEndpoint) -> EndpointEvent {
    timeout(ARRIVAL, endpoint.next_event())
        .await
        .expect("event in time")
        .expect("endpoint task running")
}

/// Events until none comes for `quiet`.
async fn events_until_quiet(endpoint: &MediaEndpoint, quiet: Duration) -> Vec<EndpointEvent> {
    let mut events = Vec::new();
    while let Ok(Some(event)) = timeout(quiet, endpoint.next_event()).await {
        events.push(event);
    }
    events
}

fn digits(events: &[EndpointEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            EndpointEvent::Digit(d) => Some(d.to_char()),
            _ => None,
        })
        .collect()
}

/// The answer with its `o=` line taken out (its numbers are random), and that line.
fn split_origin(answer: &[u8]) -> (String, String) {
    let text = String::from_utf8(answer.to_vec()).unwrap();
    let origin = text
        .lines()
        .find(|l| l.starts_with("o="))
        .unwrap()
        .to_owned();
    (text.replace(&format!("{origin}\r\n"), ""), origin)
}

#[tokio::test]
async fn answers_a_sipp_offer_with_pcmu_and_its_telephone_event() {
    let media = media(32000);
    let endpoint = media.open_endpoint().unwrap();
    let phone = Phone::new().await;
    let answer = endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    let (body, origin) = split_origin(&answer);
    let port = endpoint.local_port();
    assert_eq!(
        body,
        format!(
            "v=0\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP 0 101\r\n\
             a=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\n\
             a=fmtp:101 0-16\r\n\
             a=ptime:20\r\n\
             a=sendrecv\r\n"
        )
    );
    assert!(origin.starts_with("o=- ") && origin.ends_with(" IN IP4 127.0.0.1"));
    // A session refresh gets the same answer, version included.
    let again = endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    assert_eq!(again, answer);
}

#[tokio::test]
async fn answers_a_baresip_offer_with_its_first_g711_and_8khz_events() {
    let media = media(32020);
    let endpoint = media.open_endpoint().unwrap();
    let offer = "v=0\r\n\
        o=- 1439542386 1873917025 IN IP4 192.168.1.35\r\n\
        s=-\r\n\
        c=IN IP4 192.168.1.35\r\n\
        t=0 0\r\n\
        a=tool:baresip 3.10.1\r\n\
        m=audio 10354 RTP/AVP 96 9 8 0 101 102\r\n\
        b=AS:128\r\n\
        a=rtpmap:96 opus/48000/2\r\n\
        a=rtpmap:9 G722/8000\r\n\
        a=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:101 telephone-event/48000\r\n\
        a=fmtp:101 0-15\r\n\
        a=rtpmap:102 telephone-event/8000\r\n\
        a=fmtp:102 0-15\r\n\
        a=rtcp-mux\r\n\
        a=sendrecv\r\n\
        a=ptime:20\r\n\
        m=video 10356 RTP/AVP 97\r\n\
        a=rtpmap:97 H264/90000\r\n";
    let (body, _) = split_origin(&endpoint.answer(offer.as_bytes()).unwrap());
    let port = endpoint.local_port();
    assert_eq!(
        body,
        format!(
            "v=0\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP 8 102\r\n\
             a=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:102 telephone-event/8000\r\n\
             a=fmtp:102 0-16\r\n\
             a=ptime:20\r\n\
             a=sendrecv\r\n\
             m=video 0 RTP/AVP 97\r\n"
        )
    );
}

#[tokio::test]
async fn hold_offers_and_offers_without_g711() {
    let media = media(32040);
    let endpoint = media.open_endpoint().unwrap();
    let phone = Phone::new().await;
    let hold = phone.offer("0", "a=sendonly\r\n");
    let answer = String::from_utf8(endpoint.answer(hold.as_bytes()).unwrap()).unwrap();
    assert!(answer.contains("m=audio"), "{answer}");
    assert!(answer.ends_with("a=recvonly\r\n"), "{answer}");
    assert!(!answer.contains("telephone-event"), "{answer}");
    let opus = phone.offer("96", "a=rtpmap:96 opus/48000/2\r\n");
    assert_eq!(
        endpoint.answer(opus.as_bytes()),
        Err(SdpError::NoCommonCodec)
    );
    assert!(matches!(
        endpoint.answer(b"garbage"),
        Err(SdpError::Malformed { .. })
    ));
}

#[tokio::test]
async fn offers_and_accepts_an_answer() {
    let media = media(32060);
    let endpoint = media.open_endpoint().unwrap();
    let offer = String::from_utf8(endpoint.offer()).unwrap();
    let port = endpoint.local_port();
    assert!(
        offer.contains(&format!("m=audio {port} RTP/AVP 0 8 101\r\n")),
        "{offer}"
    );
    let phone = Phone::new().await;
    let answer = phone.offer(
        "8 101",
        "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
    );
    let negotiated = endpoint.accept_answer(answer.as_bytes()).unwrap();
    assert_eq!(
        (negotiated.codec, negotiated.payload_type, negotiated.events),
        (Codec::Pcma, 8, Some(101))
    );
    assert_eq!(negotiated.remote, Some(phone.addr()));
    // The PBX speaks PCMA to it.
    endpoint.play([Arc::new(Clip::from_samples(sine(400.0, 5000.0, 320)))]);
    let packets = phone.receive(2).await;
    assert!(packets.iter().all(|(_, h, _)| h.payload_type == 8));
}

#[tokio::test]
async fn a_played_clip_arrives_paced_as_pcmu_and_decodes_to_the_source() {
    let media = media(32080);
    let endpoint = media.open_endpoint().unwrap();
    let phone = Phone::new().await;
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    let source = sine(440.0, 8000.0, 8000);
    let id = endpoint.play([Arc::new(Clip::from_samples(source.clone()))]);
    let packets = phone.receive(50).await;
    let first = &packets[0].1;
    assert!(first.marker);
    let mut decoded = Vec::new();
    for (i, (_, header, payload)) in packets.iter().enumerate() {
        assert_eq!(header.payload_type, 0);
        assert_eq!(header.ssrc, first.ssrc);
        assert_eq!(header.sequence, first.sequence.wrapping_add(i as u16));
        assert_eq!(
            header.timestamp,
            first.timestamp.wrapping_add(160 * i as u32)
        );
        assert_eq!(payload.len(), 160);
        Codec::Pcmu.decode(payload, &mut decoded);
    }
    let r = correlation(&source, &decoded);
    assert!(r >= 0.99, "correlation {r}");
    let span = packets[49].0 - packets[0].0;
    assert!(
        span >= Duration::from_millis(900) && span < Duration::from_millis(1150),
        "{span:?}"
    );
    match event(&endpoint).await {
        EndpointEvent::PlayFinished { id: done, end } => {
            assert_eq!((done, end), (id, PlayEnd::SourceEnded));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rfc4733_digits_are_reported_once_each_in_order() {
    let media = media(32100);
    let endpoint = media.open_endpoint().unwrap();
    let mut phone = Phone::new().await;
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    let to = pbx(&endpoint);
    for digit in [Digit::One, Digit::Five, Digit::Five, Digit::Hash] {
        phone.press(to, digit).await;
    }
    let events = events_until_quiet(&endpoint, Duration::from_millis(300)).await;
    assert_eq!(digits(&events), "155#", "{events:?}");
    assert_eq!(events.len(), 4, "{events:?}");
}

#[tokio::test]
async fn inband_digits_are_heard_when_no_telephone_event_was_negotiated() {
    let media = media(32120);
    let endpoint = media.open_endpoint().unwrap();
    let mut phone = Phone::new().await;
    endpoint
        .answer(phone.offer("0", "a=rtpmap:0 PCMU/8000\r\n").as_bytes())
        .unwrap();
    let amplitude = dbm0_amplitude(-10.0);
    let mut audio = vec![0i16; 320];
    for digit in [Digit::Three, Digit::Seven, Digit::Star] {
        audio.extend(inband::generate(digit, 80, amplitude));
        audio.extend(std::iter::repeat_n(0, 640));
    }
    phone.send_audio(pbx(&endpoint), &audio).await;
    let events = events_until_quiet(&endpoint, Duration::from_millis(300)).await;
    assert_eq!(digits(&events), "37*", "{events:?}");
}

#[tokio::test]
async fn stop_ends_playback_within_two_frames() {
    let media = media(32140);
    let endpoint = media.open_endpoint().unwrap();
    let phone = Phone::new().await;
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    let id = endpoint.play_loop(Arc::new(Clip::from_samples(sine(300.0, 6000.0, 800))));
    phone.receive(10).await;
    let stopped_at = Instant::now();
    endpoint.stop();
    let arrivals = phone.drain(Duration::from_millis(200)).await;
    if let Some(&last) = arrivals.last() {
        let late = last - stopped_at;
        assert!(late <= Duration::from_millis(40), "{late:?}");
    }
    match event(&endpoint).await {
        EndpointEvent::PlayFinished { id: done, end } => {
            assert_eq!((done, end), (id, PlayEnd::Stopped));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_prompt_then_music_is_one_stream_and_a_replaced_playback_is_reported() {
    let media = media(32160);
    let endpoint = media.open_endpoint().unwrap();
    let phone = Phone::new().await;
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    let prompt = endpoint.play([Arc::new(Clip::from_samples(sine(500.0, 5000.0, 800)))]);
    let tone =
        endpoint.play_tone(crate::tones::TonePlan::Europe.tone(crate::tones::ToneKind::Busy));
    let class = MohClass::start(
        "default",
        Looping::new(sine(200.0, 4000.0, 1600)),
        vec![Box::new(Codec::Pcmu), Box::new(Codec::Pcma)],
        TokioClock,
    );
    // The prompt is replaced by the tone before it is heard; the tone then by the music.
    let first = phone.receive(5).await;
    let music = endpoint.moh(Arc::new(class));
    let after = phone.receive(10).await;
    let all: Vec<_> = first.iter().chain(&after).map(|(_, h, _)| *h).collect();
    for pair in all.windows(2) {
        assert_eq!(pair[1].ssrc, pair[0].ssrc);
        assert_eq!(pair[1].sequence, pair[0].sequence.wrapping_add(1));
    }
    endpoint.stop();
    let events = events_until_quiet(&endpoint, Duration::from_millis(200)).await;
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            EndpointEvent::PlayFinished { id, end } => Some((*id, *end)),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        [
            (prompt, PlayEnd::Stopped),
            (tone, PlayEnd::Stopped),
            (music, PlayEnd::Stopped)
        ]
    );
}

#[tokio::test]
async fn recording_what_the_phone_sends_gives_the_same_audio() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("message.wav");
    let media = media(32180);
    let endpoint = media.open_endpoint().unwrap();
    let mut phone = Phone::new().await;
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    endpoint.record(
        &path,
        RecorderConfig {
            max_length: Duration::from_secs(1),
            silence: None,
            stop_digits: "#".into(),
        },
    );
    tokio::time::sleep(Duration::from_millis(30)).await;
    let sent = sine(700.0, 7000.0, 8000 + 1600);
    phone.send_audio(pbx(&endpoint), &sent).await;
    let recording = match event(&endpoint).await {
        EndpointEvent::RecordFinished(recording) => recording,
        other => panic!("{other:?}"),
    };
    assert_eq!(recording.reason, StopReason::MaxLength);
    assert_eq!(recording.duration, Duration::from_secs(1));
    let mut expected = Vec::new();
    for frame in sent[..8000].chunks(160) {
        let mut payload = Vec::new();
        Codec::Pcmu.encode(frame, &mut payload);
        Codec::Pcmu.decode(&payload, &mut expected);
    }
    let recorded: Vec<i16> = hound::WavReader::open(&recording.path)
        .unwrap()
        .into_samples::<i16>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recorded, expected);
}

#[tokio::test]
async fn a_stop_digit_ends_a_recording_and_dropping_the_endpoint_keeps_what_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let config = RecorderConfig {
        max_length: Duration::from_secs(60),
        silence: None,
        stop_digits: "#".into(),
    };
    let media = media(32200);
    let endpoint = media.open_endpoint().unwrap();
    let mut phone = Phone::new().await;
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    let to = pbx(&endpoint);
    endpoint.record(dir.path().join("one.wav"), config.clone());
    tokio::time::sleep(Duration::from_millis(30)).await;
    phone.send_audio(to, &sine(700.0, 7000.0, 1600)).await;
    phone.press(to, Digit::Hash).await;
    let events = events_until_quiet(&endpoint, Duration::from_millis(200)).await;
    let recording = events
        .iter()
        .find_map(|e| match e {
            EndpointEvent::RecordFinished(r) => Some(r.clone()),
            _ => None,
        })
        .expect("recording finished");
    assert_eq!(recording.reason, StopReason::Digit('#'));
    assert_eq!(recording.duration, Duration::from_millis(200));

    let two = dir.path().join("two.wav");
    endpoint.record(&two, config);
    tokio::time::sleep(Duration::from_millis(30)).await;
    phone.send_audio(to, &sine(700.0, 7000.0, 800)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(endpoint);
    let deadline = Instant::now() + ARRIVAL;
    while !two.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reader = hound::WavReader::open(&two).unwrap();
    assert_eq!(reader.len(), 800);
}

#[tokio::test]
async fn a_phone_that_sends_nothing_is_recorded_as_silence_and_the_silence_rule_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let media = media(32340);
    let endpoint = media.open_endpoint().unwrap();
    let phone = Phone::new().await;
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    let started = Instant::now();
    endpoint.record(
        dir.path().join("muted.wav"),
        RecorderConfig {
            max_length: Duration::from_secs(60),
            silence: Some(crate::playout::SilenceRule {
                threshold_dbfs: -45.0,
                duration: Duration::from_secs(1),
            }),
            stop_digits: String::new(),
        },
    );
    let recording = match timeout(Duration::from_secs(3), endpoint.next_event()).await {
        Ok(Some(EndpointEvent::RecordFinished(recording))) => recording,
        other => panic!("{other:?}"),
    };
    let took = started.elapsed();
    assert_eq!(recording.reason, StopReason::Silence);
    assert!(
        took >= Duration::from_millis(1000) && took < Duration::from_millis(1600),
        "ended after {took:?}"
    );
}

#[tokio::test]
async fn garbage_and_strangers_are_ignored() {
    let media = media(32220);
    let endpoint = media.open_endpoint().unwrap();
    let mut phone = Phone::new().await;
    let to = pbx(&endpoint);
    // Before any SDP, and then after it: junk of every length, RTP with broken headers,
    // telephone-event packets with short payloads, unknown payload types.
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for round in 0..2 {
        if round == 1 {
            endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
            phone.send_audio(to, &[0; 160]).await;
        }
        for len in 0..40 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            phone.socket.send_to(&junk, to).await.unwrap();
        }
        let mut broken = vec![0x8f, 101, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
        phone.socket.send_to(&broken, to).await.unwrap();
        broken[0] = 0x90;
        phone.socket.send_to(&broken, to).await.unwrap();
        phone.send(to, 101, true, 5, &[1, 2]).await;
        phone.send(to, 99, false, 5, &[1, 2, 3]).await;
        phone.send(to, 8, false, 5, &[]).await;
    }
    // A stranger's digit is not the phone's.
    let mut packet = Vec::new();
    RtpHeader {
        marker: true,
        payload_type: 101,
        sequence: 1,
        timestamp: 99,
        ssrc: 9,
    }
    .write(&[9, 0x80, 0, 100], &mut packet);
    stranger.send_to(&packet, to).await.unwrap();
    phone.press(to, Digit::Two).await;
    let events = events_until_quiet(&endpoint, Duration::from_millis(300)).await;
    assert_eq!(digits(&events), "2", "{events:?}");
}

#[tokio::test]
async fn ports_return_to_the_pool_on_drop() {
    let media = media(32240);
    let one = media.open_endpoint().unwrap();
    let two = media.open_endpoint().unwrap();
    assert_eq!(media.ports_in_use(), 4);
    let phone = Phone::new().await;
    one.answer(phone.sipp_offer().as_bytes()).unwrap();
    one.play_loop(Arc::new(Clip::from_samples(sine(300.0, 6000.0, 800))));
    phone.receive(3).await;
    drop(one);
    drop(two);
    let deadline = Instant::now() + ARRIVAL;
    while media.ports_in_use() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(media.ports_in_use(), 0);
    let again = media.open_endpoint().unwrap();
    assert_eq!(media.ports_in_use(), 2);
    drop(again);
}

#[tokio::test]
async fn silence_from_the_phone_is_reported_once_until_media_resumes() {
    let media = Media::new(MediaConfig {
        port_min: 33260,
        port_max: 33279,
        inactivity_timeout: Duration::from_millis(300),
        ..MediaConfig::new(Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into())
    })
    .unwrap();
    let endpoint = media.open_endpoint().unwrap();
    let mut phone = Phone::new().await;
    // A playback asked for before the answer starts once the phone's address is known.
    endpoint.play_loop(Arc::new(Clip::from_samples(sine(300.0, 6000.0, 800))));
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    phone.receive(2).await;
    let to = pbx(&endpoint);
    phone.send_audio(to, &[0; 800]).await;
    let started = Instant::now();
    assert!(matches!(
        event(&endpoint).await,
        EndpointEvent::MediaTimeout
    ));
    assert!(started.elapsed() >= Duration::from_millis(250));
    let events = events_until_quiet(&endpoint, Duration::from_millis(500)).await;
    assert!(events.is_empty(), "{events:?}");
    phone.send_audio(to, &[0; 800]).await;
    assert!(matches!(
        event(&endpoint).await,
        EndpointEvent::MediaTimeout
    ));
    // On hold (the phone sends nothing), silence is expected and not reported.
    endpoint
        .answer(phone.offer("0", "a=inactive\r\n").as_bytes())
        .unwrap();
    let events = events_until_quiet(&endpoint, Duration::from_millis(600)).await;
    assert!(events.is_empty(), "{events:?}");
}

#[tokio::test]
async fn a_class_without_the_calls_codec_is_reported_and_plays_nothing() {
    let media = media(32280);
    let endpoint = media.open_endpoint().unwrap();
    let phone = Phone::new().await;
    endpoint.answer(phone.sipp_offer().as_bytes()).unwrap();
    let class = MohClass::start(
        "alaw-only",
        Looping::new(sine(200.0, 4000.0, 1600)),
        vec![Box::new(Codec::Pcma)],
        TokioClock,
    );
    let id = endpoint.moh(Arc::new(class));
    match event(&endpoint).await {
        EndpointEvent::PlayFailed {
            id: failed,
            error: MohError::UnsupportedPayloadType { payload_type, .. },
        } => assert_eq!((failed, payload_type), (id, 0)),
        other => panic!("{other:?}"),
    }
    assert!(phone.drain(Duration::from_millis(100)).await.is_empty());
}

#[tokio::test]
async fn playback_follows_the_phone_to_where_its_packets_come_from() {
    let media = media(32300);
    let endpoint = media.open_endpoint().unwrap();
    // The SDP names an address the phone does not receive on (a NAT's inside address).
    let inside = Phone::new().await;
    let mut phone = Phone::new().await;
    endpoint.answer(inside.sipp_offer().as_bytes()).unwrap();
    endpoint.play_loop(Arc::new(Clip::from_samples(sine(300.0, 6000.0, 800))));
    let before = inside.receive(3).await;
    phone.send_audio(pbx(&endpoint), &[0; 160]).await;
    let after = phone.receive(5).await;
    // Still one stream: the same SSRC, numbering on from where it was.
    assert_eq!(after[0].1.ssrc, before[0].1.ssrc);
    let step = after[0].1.sequence.wrapping_sub(before[2].1.sequence);
    assert!((1..10).contains(&step), "sequence step {step}");
}
