//! Joined endpoints, digits sent to a phone and RTCP reports, against phones made of UDP
//! sockets on 127.0.0.1. Each test has its own range of 10 ports in 32400-32599 (below
//! Linux's ephemeral range, clear of the other endpoint tests' 32000-32319).

use super::*;
use crate::audio::Codec;
use crate::dtmf::inband::InbandDetector;
use crate::dtmf::rfc4733::{EventReceiver, EventSender};
use crate::playout::{RtpHeader, RtpPacket, Silence};
use crate::MediaConfig;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::timeout;

const ARRIVAL: Duration = Duration::from_secs(3);

fn media(first: u16) -> Media {
    Media::new(MediaConfig {
        port_min: first,
        port_max: first + 9,
        ..MediaConfig::new(Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into())
    })
    .unwrap()
}

/// A phone: one RTP socket and its own outgoing numbering.
struct Phone {
    socket: UdpSocket,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
}

/// A received packet.
#[derive(Debug)]
struct Got {
    header: RtpHeader,
    payload: Vec<u8>,
}

impl Phone {
    async fn new(ssrc: u32) -> Phone {
        Phone {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            ssrc,
            sequence: 100,
            timestamp: 90_000,
        }
    }

    /// Offers `formats` with their rtpmaps (telephone-event at `events`, if any) and
    /// `direction`, and has `endpoint` answer it.
    fn connect(&self, endpoint: &MediaEndpoint, codec: u8, events: Option<u8>, direction: &str) {
        let name = if codec == 0 { "PCMU" } else { "PCMA" };
        let mut formats = codec.to_string();
        let mut maps = format!("a=rtpmap:{codec} {name}/8000\r\n");
        if let Some(pt) = events {
            formats += &format!(" {pt}");
            maps += &format!("a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-15\r\n");
        }
        let offer = format!(
            "v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {} RTP/AVP {formats}\r\n{maps}a={direction}\r\n",
            self.socket.local_addr().unwrap().port()
        );
        endpoint.answer(offer.as_bytes()).unwrap();
    }

    async fn send(&mut self, to: &MediaEndpoint, pt: u8, marker: bool, ts: u32, payload: &[u8]) {
        let mut packet = Vec::new();
        RtpHeader {
            marker,
            payload_type: pt,
            sequence: self.sequence,
            timestamp: ts,
            ssrc: self.ssrc,
        }
        .write(payload, &mut packet);
        self.sequence = self.sequence.wrapping_add(1);
        let to = SocketAddr::from((Ipv4Addr::LOCALHOST, to.local_port()));
        self.socket.send_to(&packet, to).await.unwrap();
    }

    /// Sends `frames` 20 ms voice frames of `codec`'s `pcm` (looped) 20 ms apart.
    async fn talk(&mut self, to: &MediaEndpoint, codec: Codec, pcm: &[i16], frames: usize) {
        for frame in pcm.chunks(160).cycle().take(frames) {
            let mut payload = Vec::new();
            codec.encode(frame, &mut payload);
            let ts = self.timestamp;
            self.send(to, codec.payload_type(), false, ts, &payload)
                .await;
            self.timestamp = self.timestamp.wrapping_add(160);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn receive(&self, n: usize) -> Vec<Got> {
        let mut packets = Vec::new();
        while packets.len() < n {
            packets.push(self.next().await.expect("RTP in time"));
        }
        packets
    }

    async fn next(&self) -> Option<Got> {
        self.next_within(ARRIVAL).await
    }

    async fn next_within(&self, wait: Duration) -> Option<Got> {
        let mut buffer = [0u8; 2048];
        let len = timeout(wait, self.socket.recv(&mut buffer))
            .await
            .ok()?
            .ok()?;
        let packet = RtpPacket::parse(&buffer[..len]).unwrap();
        Some(Got {
            header: packet.header,
            payload: packet.payload.to_vec(),
        })
    }

    /// Everything that arrives until nothing has for `quiet`.
    async fn drain(&self, quiet: Duration) -> Vec<Got> {
        let mut packets = Vec::new();
        while let Some(got) = self.next_within(quiet).await {
            packets.push(got);
        }
        packets
    }
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

/// Sequence +1 and timestamp +160 per packet, one SSRC, no marker after the first.
fn assert_one_line(packets: &[Got]) {
    let first = &packets[0].header;
    for (i, p) in packets.iter().enumerate().skip(1) {
        assert_eq!(p.header.ssrc, first.ssrc, "packet {i}");
        assert_eq!(p.header.sequence, first.sequence.wrapping_add(i as u16));
        assert_eq!(
            p.header.timestamp,
            first.timestamp.wrapping_add(160 * i as u32),
            "packet {i}"
        );
        assert!(!p.header.marker, "marker on packet {i}");
    }
}

/// Two endpoints, each answered by its phone as PCMU with telephone-event 101.
async fn two_legs(media: &Media) -> (MediaEndpoint, Phone, MediaEndpoint, Phone) {
    let (a, b) = (
        media.open_endpoint().unwrap(),
        media.open_endpoint().unwrap(),
    );
    let (pa, pb) = (Phone::new(0xaaaa).await, Phone::new(0xbbbb).await);
    pa.connect(&a, 0, Some(101), "sendrecv");
    pb.connect(&b, 0, Some(101), "sendrecv");
    (a, pa, b, pb)
}

#[tokio::test]
async fn joined_legs_hear_each_other_on_their_own_continuing_streams() {
    let media = media(32400);
    let (a, mut pa, b, mut pb) = two_legs(&media).await;
    // The caller hears a prompt first, then the callee on the same stream.
    let id = a.play_source(Box::new(Silence::lasting(Duration::from_millis(100))));
    let prompt = pa.receive(5).await;
    assert!(matches!(event(&a).await, EndpointEvent::PlayFinished { id: i, .. } if i == id));
    let ended = tokio::time::Instant::now();
    a.join(&b);
    let voice = sine(300.0, 6000.0, 1600);
    let talking = pb.talk(&b, Codec::Pcmu, &voice, 10);
    let (_, heard) = tokio::join!(talking, pa.receive(10));
    let elapsed = ended.elapsed().as_millis() as u32;
    let last = &prompt[4].header;
    let first = &heard[0].header;
    assert_eq!(first.ssrc, last.ssrc);
    assert_eq!(first.sequence, last.sequence.wrapping_add(1));
    assert!(first.marker);
    let step = first.timestamp.wrapping_sub(last.timestamp);
    assert!(
        step >= 160 && step <= 160 + (elapsed + 1) * 8,
        "step {step}, {elapsed} ms"
    );
    assert_one_line(&heard);
    assert!(heard.iter().all(|p| p.header.payload_type == 0));
    let mut expected = Vec::new();
    Codec::Pcmu.encode(&voice[..1600], &mut expected);
    let payloads: Vec<u8> = heard.iter().flat_map(|p| p.payload.clone()).collect();
    assert_eq!(payloads, expected);
    // And the other way, on b's stream.
    let talking = pa.talk(&a, Codec::Pcmu, &voice, 5);
    let (_, back) = tokio::join!(talking, pb.receive(5));
    assert!(back[0].header.marker);
    assert_one_line(&back);
    assert_ne!(back[0].header.ssrc, first.ssrc);
    assert_ne!(back[0].header.ssrc, pa.ssrc);
}

#[tokio::test]
async fn a_pcma_leg_joined_to_a_pcmu_leg_hears_the_same_audio() {
    let media = media(32410);
    let (a, b) = (
        media.open_endpoint().unwrap(),
        media.open_endpoint().unwrap(),
    );
    let (pa, mut pb) = (Phone::new(1).await, Phone::new(2).await);
    pa.connect(&a, 8, Some(101), "sendrecv");
    pb.connect(&b, 0, Some(101), "sendrecv");
    b.join(&a);
    let voice = sine(440.0, 8000.0, 1600);
    let (_, heard) = tokio::join!(pb.talk(&b, Codec::Pcmu, &voice, 10), pa.receive(10));
    assert!(heard.iter().all(|p| p.header.payload_type == 8));
    let mut decoded = Vec::new();
    for p in &heard {
        Codec::Pcma.decode(&p.payload, &mut decoded);
    }
    let r = correlation(&voice, &decoded);
    assert!(r > 0.99, "correlation {r}");
}

#[tokio::test]
async fn a_playback_takes_precedence_over_forwarded_audio_until_stopped() {
    let media = media(32420);
    let (a, pa, b, mut pb) = two_legs(&media).await;
    a.join(&b);
    let whisper = a.play_source(Box::new(Silence::endless()));
    // b's phone talks (0x55 codes); a's phone hears only the playback (silence, 0xff).
    let sending = async {
        for _ in 0..60 {
            let ts = pb.timestamp;
            pb.send(&b, 0, false, ts, &[0x55; 160]).await;
            pb.timestamp = pb.timestamp.wrapping_add(160);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let hearing = async {
        let during = pa.receive(15).await;
        a.stop();
        let mut after = Vec::new();
        while after.len() < 40 {
            let Some(got) = pa.next().await else { break };
            after.push(got);
            if after.iter().filter(|p| p.payload[0] == 0x55).count() >= 5 {
                break;
            }
        }
        (during, after)
    };
    let ((), (during, after)) = tokio::join!(sending, hearing);
    assert!(during.iter().all(|p| p.payload == [0xff; 160]));
    assert!(matches!(
        event(&a).await,
        EndpointEvent::PlayFinished { id, end: PlayEnd::Stopped } if id == whisper
    ));
    let mut line: Vec<&Got> = during.iter().chain(&after).collect();
    let first_forwarded = line.iter().position(|p| p.payload[0] == 0x55).unwrap();
    assert!(line[first_forwarded].header.marker);
    assert!(line[first_forwarded..].iter().all(|p| p.payload[0] == 0x55));
    line.truncate(first_forwarded + 1);
    for pair in line.windows(2) {
        assert_eq!(pair[1].header.ssrc, pair[0].header.ssrc);
        assert_eq!(
            pair[1].header.sequence,
            pair[0].header.sequence.wrapping_add(1)
        );
    }
}

#[tokio::test]
async fn unjoin_and_drop_end_forwarding() {
    let media = media(32430);
    let (a, mut pa, b, mut pb) = two_legs(&media).await;
    let voice = sine(300.0, 6000.0, 160);
    a.join(&b);
    let (_, heard) = tokio::join!(pb.talk(&b, Codec::Pcmu, &voice, 3), pa.receive(3));
    assert_eq!(heard.len(), 3);
    b.unjoin();
    pb.talk(&b, Codec::Pcmu, &voice, 5).await;
    pa.talk(&a, Codec::Pcmu, &voice, 5).await;
    assert!(pa.drain(Duration::from_millis(200)).await.is_empty());
    assert!(pb.drain(Duration::from_millis(50)).await.is_empty());
    // Joined again, then b's endpoint goes: its ports come back although a's task held a
    // way to reach it, and a's phone is not forwarded anywhere.
    a.join(&b);
    let (_, heard) = tokio::join!(pa.talk(&a, Codec::Pcmu, &voice, 3), pb.receive(3));
    assert_eq!(heard.len(), 3);
    drop(b);
    let freed = async {
        while media.ports_in_use() != 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    timeout(ARRIVAL, freed).await.expect("b's ports freed");
    pa.talk(&a, Codec::Pcmu, &voice, 3).await;
    assert!(pb.drain(Duration::from_millis(100)).await.is_empty());
    // a still plays to its phone.
    a.play_source(Box::new(Silence::lasting(Duration::from_millis(60))));
    assert_eq!(pa.receive(3).await.len(), 3);
}

#[tokio::test]
async fn digits_are_reported_where_they_arrive_and_forwarded_with_the_peers_payload_type() {
    let media = media(32440);
    let (a, b) = (
        media.open_endpoint().unwrap(),
        media.open_endpoint().unwrap(),
    );
    let (pa, mut pb) = (Phone::new(1).await, Phone::new(2).await);
    pa.connect(&a, 0, Some(101), "sendrecv");
    pb.connect(&b, 0, Some(96), "sendrecv");
    a.join(&b);
    let press = EventSender::new().press(Digit::Seven, Duration::from_millis(100), 5000);
    let sending = async {
        for p in &press {
            pb.send(&b, 96, p.marker, p.timestamp, &p.payload.to_bytes())
                .await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let ((), heard) = tokio::join!(sending, pa.receive(press.len()));
    assert!(matches!(
        event(&b).await,
        EndpointEvent::Digit(Digit::Seven)
    ));
    assert!(heard.iter().all(|p| p.header.payload_type == 101));
    assert!(heard[0].header.marker);
    assert!(heard
        .iter()
        .all(|p| p.header.timestamp == heard[0].header.timestamp));
    let mut receiver = EventReceiver::new();
    let mut digits = Vec::new();
    for p in &heard {
        let received = receiver.push(p.header.timestamp, p.header.marker, &p.payload);
        digits.extend(received.unwrap().and_then(|r| r.new_press()));
    }
    assert_eq!(digits, [Digit::Seven]);
    // a reports nothing: the digit was b's phone's.
    assert!(timeout(Duration::from_millis(100), a.next_event())
        .await
        .is_err());
}

#[tokio::test]
async fn nothing_is_forwarded_to_a_phone_on_hold() {
    let media = media(32450);
    let (a, pa, b, mut pb) = two_legs(&media).await;
    a.join(&b);
    pa.connect(&a, 0, Some(101), "sendonly");
    let voice = sine(300.0, 6000.0, 160);
    pb.talk(&b, Codec::Pcmu, &voice, 5).await;
    assert!(pa.drain(Duration::from_millis(150)).await.is_empty());
    pa.connect(&a, 0, Some(101), "sendrecv");
    let (_, heard) = tokio::join!(pb.talk(&b, Codec::Pcmu, &voice, 3), pa.receive(3));
    assert!(heard[0].header.marker);
}

#[tokio::test]
async fn rfc4733_digits_are_sent_as_a_playback_with_three_end_packets() {
    let media = media(32460);
    let a = media.open_endpoint().unwrap();
    let pa = Phone::new(1).await;
    pa.connect(&a, 0, Some(110), "sendrecv");
    let id = a.send_digits("1x2#", DigitMethod::Rfc4733);
    let packets = pa.drain(Duration::from_millis(300)).await;
    assert!(packets.iter().all(|p| p.header.payload_type == 110));
    let mut receiver = EventReceiver::new();
    let mut digits = String::new();
    for p in &packets {
        let received = receiver.push(p.header.timestamp, p.header.marker, &p.payload);
        digits.extend(
            received
                .unwrap()
                .and_then(|r| r.new_press())
                .map(|d| d.to_char()),
        );
    }
    assert_eq!(digits, "12#");
    let ends = packets.iter().filter(|p| p.payload[1] & 0x80 != 0).count();
    assert_eq!(ends, 9);
    let sequences: Vec<u16> = packets.iter().map(|p| p.header.sequence).collect();
    assert!(sequences.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    assert!(matches!(
        event(&a).await,
        EndpointEvent::PlayFinished { id: i, end: PlayEnd::SourceEnded } if i == id
    ));
}

#[tokio::test]
async fn digits_go_in_band_when_asked_or_when_no_telephone_event_was_negotiated() {
    let media = media(32470);
    for (events, method) in [
        (None, DigitMethod::Rfc4733),
        (Some(101), DigitMethod::Inband),
    ] {
        let a = media.open_endpoint().unwrap();
        let pa = Phone::new(1).await;
        pa.connect(&a, 8, events, "sendrecv");
        a.send_digits("59*", method);
        let packets = pa.drain(Duration::from_millis(300)).await;
        assert!(packets.iter().all(|p| p.header.payload_type == 8));
        let mut pcm = Vec::new();
        for p in &packets {
            Codec::Pcma.decode(&p.payload, &mut pcm);
        }
        let heard: String = InbandDetector::new()
            .push(&pcm)
            .iter()
            .map(|d| d.to_char())
            .collect();
        assert_eq!(heard, "59*", "{events:?} {method:?}");
    }
}

#[tokio::test]
async fn a_sender_report_goes_where_the_phones_rtcp_comes_from() {
    let media = media(32480);
    let a = media.open_endpoint().unwrap();
    let pa = Phone::new(1).await;
    pa.connect(&a, 0, Some(101), "sendrecv");
    let rtcp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let pbx_rtcp = SocketAddr::from((Ipv4Addr::LOCALHOST, a.local_port() + 1));
    // Garbage is passed over; a Receiver Report latches the destination.
    rtcp.send_to(b"\x80\xc8garbage", pbx_rtcp).await.unwrap();
    rtcp.send_to(&[0x80, 201, 0, 1, 0, 0, 0, 1], pbx_rtcp)
        .await
        .unwrap();
    a.play_source(Box::new(Silence::endless()));
    let ssrc = pa.receive(1).await[0].header.ssrc;
    let mut buffer = [0u8; 512];
    let wait = rtcp::REPORT_INTERVAL + Duration::from_secs(2);
    let len = timeout(wait, rtcp.recv(&mut buffer))
        .await
        .expect("a sender report in time")
        .unwrap();
    let report = rtcp::parse_sender_report(&buffer[..len]).expect("an SR with a CNAME");
    assert_eq!(report.ssrc, ssrc);
    assert!((200..300).contains(&report.packets), "{report:?}");
    assert_eq!(report.octets, report.packets * 160);
    assert!(report.cname.starts_with("switchboard-"));
}

#[tokio::test]
async fn a_recording_of_both_legs_holds_both_phones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.wav");
    let media = media(32490);
    let (a, mut pa, b, mut pb) = two_legs(&media).await;
    a.join(&b);
    let config = crate::playout::RecorderConfig {
        max_length: Duration::from_secs(10),
        silence: None,
        stop_digits: String::new(),
    };
    a.record_both_legs(&path, config);
    let (low, high) = (sine(400.0, 6000.0, 800), sine(1400.0, 6000.0, 800));
    tokio::join!(
        pa.talk(&a, Codec::Pcmu, &low, 25),
        pb.talk(&b, Codec::Pcmu, &high, 25)
    );
    a.stop_recording();
    let recording = loop {
        if let EndpointEvent::RecordFinished(recording) = event(&a).await {
            break recording;
        }
    };
    let samples: Vec<f64> = hound::WavReader::open(&recording.path)
        .unwrap()
        .into_samples::<i16>()
        .map(|s| f64::from(s.unwrap()))
        .collect();
    // 25 frames from each phone, mixed side by side: about 25 frames, not 50.
    assert!((3200..=4800).contains(&samples.len()), "{}", samples.len());
    let power = |hz| crate::dtmf::inband::goertzel::power(&samples, hz);
    let (p_low, p_high, p_none) = (power(400.0), power(1400.0), power(800.0));
    assert!(p_low > 100.0 * p_none, "{p_low} {p_none}");
    assert!(p_high > 100.0 * p_none, "{p_high} {p_none}");
    assert!((0.3..3.0).contains(&(p_low / p_high)), "{p_low} {p_high}");
}
