//! Checking what a caller hears from a scenario, and making what it says: RTP received on a
//! test-owned socket with arrival times, stream checks (pacing, sequence, timestamps, SSRC,
//! marker), G.711 decoding and correlation against a reference, pcap files for SIPp's
//! `play_pcap_audio`, WAV files read back from the data directory, and the routing trace of
//! a call from `switchboard trace`.

use super::pbx::{binary, Pbx};
use sb_media::audio::{Clip, Codec};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

/// The shipped prompt `<lang>/<name>.wav` of the source tree, as 8 kHz samples.
pub fn shipped_prompt(lang: &str, name: &str) -> Vec<i16> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../prompts")
        .join(lang)
        .join(format!("{name}.wav"));
    Clip::load(&path)
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
        .samples()
        .to_vec()
}

/// A caller's media socket on an even loopback port, with the odd port above it bound too so
/// the PBX's RTCP lands somewhere.
pub struct MediaSocket {
    pub rtp: UdpSocket,
    _rtcp: UdpSocket,
}

impl MediaSocket {
    pub fn bind() -> MediaSocket {
        for _ in 0..20 {
            let port = super::ports::ports(2, true);
            let (Ok(rtp), Ok(rtcp)) = (
                UdpSocket::bind(("127.0.0.1", port)),
                UdpSocket::bind(("127.0.0.1", port + 1)),
            ) else {
                continue;
            };
            return MediaSocket { rtp, _rtcp: rtcp };
        }
        panic!("no free even port pair for a media socket");
    }

    pub fn port(&self) -> u16 {
        self.rtp.local_addr().unwrap().port()
    }
}

/// One datagram received, with when.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub at: Instant,
    pub from: SocketAddr,
    pub data: Vec<u8>,
}

/// Records what arrives on `socket` until `deadline`, or until `idle` passed without a
/// packet once at least one arrived.
pub fn record(socket: &UdpSocket, deadline: Instant, idle: Duration) -> Vec<Arrival> {
    record_until(socket, deadline, idle, |_| false)
}

/// As [`record`], also stopping as soon as `done` says so for what arrived so far.
pub fn record_until(
    socket: &UdpSocket,
    deadline: Instant,
    idle: Duration,
    mut done: impl FnMut(&[Arrival]) -> bool,
) -> Vec<Arrival> {
    let mut got: Vec<Arrival> = Vec::new();
    let mut buf = vec![0u8; 2048];
    loop {
        let now = Instant::now();
        if now >= deadline {
            return got;
        }
        let mut wait = deadline - now;
        if let Some(last) = got.last() {
            let quiet_until = last.at + idle;
            if now >= quiet_until {
                return got;
            }
            wait = wait.min(quiet_until - now);
        }
        socket
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .unwrap();
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            got.push(Arrival {
                at: Instant::now(),
                from,
                data: buf[..n].to_vec(),
            });
            if done(&got) {
                return got;
            }
        }
    }
}

/// An RTP packet's fixed header and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: Vec<u8>,
}

/// Parses RTP version 2 (CSRCs and extension skipped, padding removed).
pub fn parse(data: &[u8]) -> Option<Packet> {
    if data.len() < 12 || data[0] >> 6 != 2 {
        return None;
    }
    let mut start = 12 + 4 * usize::from(data[0] & 0x0f);
    if data[0] & 0x10 != 0 {
        let ext = data.get(start..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
    }
    let mut end = data.len();
    if data[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*data.last()?))?;
    }
    Some(Packet {
        marker: data[1] & 0x80 != 0,
        payload_type: data[1] & 0x7f,
        sequence: u16::from_be_bytes([data[2], data[3]]),
        timestamp: u32::from_be_bytes(data[4..8].try_into().unwrap()),
        ssrc: u32::from_be_bytes(data[8..12].try_into().unwrap()),
        payload: data.get(start..end)?.to_vec(),
    })
}

/// An RTP packet: version 2, no CSRC, no extension.
pub fn rtp_packet(
    payload_type: u8,
    marker: bool,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + payload.len());
    p.push(0x80);
    p.push(payload_type | if marker { 0x80 } else { 0 });
    p.extend_from_slice(&sequence.to_be_bytes());
    p.extend_from_slice(&timestamp.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// RTP packets of the RTP arrivals (RTCP and anything else left out), in arrival order.
pub fn rtp_of(arrivals: &[Arrival]) -> Vec<(Instant, Packet)> {
    arrivals
        .iter()
        .filter(|a| a.data.len() >= 2 && !(200..=207).contains(&a.data[1]))
        .filter_map(|a| parse(&a.data).map(|p| (a.at, p)))
        .collect()
}

/// How far a packet may arrive from its place on the 20 ms grid.
pub const MAX_DRIFT: Duration = Duration::from_millis(60);

/// What a paced stream of `packets` looked like; `problems` lists each rule broken.
#[derive(Debug, Default)]
pub struct StreamReport {
    pub packets: usize,
    pub max_gap: Duration,
    pub mean_gap: Duration,
    pub problems: Vec<String>,
}

/// Checks one continuous playback as the PBX must send it: every packet `payload_type`,
/// 160 samples, one SSRC, sequence +1 and timestamp +160 each, the marker on the first
/// packet only, and arrivals about 20 ms apart: none more than `max_gap` after the first
/// few packets, and every packet within [`MAX_DRIFT`] of its place on a 20 ms grid (a
/// single late wake-up of this shared machine's test thread is tolerated; a pacer that
/// bursts, stalls or drifts is not).
pub fn check_stream(
    packets: &[(Instant, Packet)],
    payload_type: u8,
    max_gap: Duration,
) -> StreamReport {
    let mut report = StreamReport {
        packets: packets.len(),
        ..StreamReport::default()
    };
    let Some((_, first)) = packets.first() else {
        report.problems.push("no RTP packets".to_owned());
        return report;
    };
    if !first.marker {
        report
            .problems
            .push("the first packet has no marker bit".to_owned());
    }
    let mut gaps = Vec::new();
    for (i, pair) in packets.windows(2).enumerate() {
        let ((t0, a), (t1, b)) = (&pair[0], &pair[1]);
        let n = i + 1;
        if b.ssrc != a.ssrc {
            report.problems.push(format!(
                "packet {n}: SSRC {:#x} after {:#x}",
                b.ssrc, a.ssrc
            ));
        }
        if b.sequence != a.sequence.wrapping_add(1) {
            report.problems.push(format!(
                "packet {n}: sequence {} after {}",
                b.sequence, a.sequence
            ));
        }
        if b.timestamp != a.timestamp.wrapping_add(FRAME as u32) {
            report.problems.push(format!(
                "packet {n}: timestamp {} after {} (step {})",
                b.timestamp,
                a.timestamp,
                b.timestamp.wrapping_sub(a.timestamp)
            ));
        }
        if b.marker {
            report.problems.push(format!("packet {n}: marker bit set"));
        }
        let gap = t1.duration_since(*t0);
        // The first few packets may bunch up or lag while the playback starts.
        if n > 3 && gap > max_gap {
            report.problems.push(format!(
                "packet {n}: arrived {} ms after the previous one",
                gap.as_millis()
            ));
        }
        gaps.push(gap);
        if n > 3 {
            let (grid_start, _) = packets[3];
            let due = grid_start + Duration::from_millis(20) * (n as u32 - 3);
            let off = if *t1 > due {
                t1.duration_since(due)
            } else {
                due.duration_since(*t1)
            };
            if off > MAX_DRIFT {
                report.problems.push(format!(
                    "packet {n}: {} ms off its 20 ms grid",
                    off.as_millis()
                ));
            }
        }
    }
    for (n, (_, p)) in packets.iter().enumerate() {
        if p.payload_type != payload_type {
            report.problems.push(format!(
                "packet {n}: payload type {} (expected {payload_type})",
                p.payload_type
            ));
        }
        if p.payload.len() != FRAME {
            report.problems.push(format!(
                "packet {n}: {} payload bytes (expected {FRAME})",
                p.payload.len()
            ));
        }
    }
    report.max_gap = gaps.iter().copied().max().unwrap_or_default();
    if !gaps.is_empty() {
        report.mean_gap = gaps.iter().sum::<Duration>() / gaps.len() as u32;
    }
    report.problems.truncate(20);
    report
}

/// The samples of G.711 payloads, in order.
pub fn decode(codec: Codec, packets: &[(Instant, Packet)]) -> Vec<i16> {
    let mut out = Vec::new();
    for (_, p) in packets {
        codec.decode(&p.payload, &mut out);
    }
    out
}

/// `samples` as they sound after G.711 encoding and decoding.
pub fn round_trip(codec: Codec, samples: &[i16]) -> Vec<i16> {
    let mut codes = Vec::new();
    codec.encode(samples, &mut codes);
    let mut out = Vec::new();
    codec.decode(&codes, &mut out);
    out
}

/// G.711 RTP packets of `samples`, 20 ms each (the last one padded with silence), starting
/// at `sequence` and `timestamp`, the marker on the first.
pub fn audio_packets(
    codec: Codec,
    samples: &[i16],
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
) -> Vec<Vec<u8>> {
    samples
        .chunks(FRAME)
        .enumerate()
        .map(|(i, chunk)| {
            let mut frame = chunk.to_vec();
            frame.resize(FRAME, 0);
            let mut codes = Vec::new();
            codec.encode(&frame, &mut codes);
            rtp_packet(
                codec.payload_type(),
                i == 0,
                sequence.wrapping_add(i as u16),
                timestamp.wrapping_add((i * FRAME) as u32),
                ssrc,
                &codes,
            )
        })
        .collect()
}

/// One RFC 4733 event (a key press of `duration` samples) as its packets: updates every
/// 160 samples, then the end packet three times, all with the timestamp `timestamp`.
pub fn dtmf_event_packets(
    payload_type: u8,
    event: u8,
    duration: u16,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut seq = sequence;
    let mut d: u16 = 0;
    while d < duration {
        let payload = [event, 10, (d >> 8) as u8, d as u8];
        out.push(rtp_packet(
            payload_type,
            out.is_empty(),
            seq,
            timestamp,
            ssrc,
            &payload,
        ));
        seq = seq.wrapping_add(1);
        d = d.saturating_add(FRAME as u16);
    }
    for _ in 0..3 {
        let payload = [event, 0x80 | 10, (duration >> 8) as u8, duration as u8];
        out.push(rtp_packet(
            payload_type,
            false,
            seq,
            timestamp,
            ssrc,
            &payload,
        ));
    }
    out
}

/// The normalised cross-correlation of `reference` within `signal` at the best lag in
/// `lags` (`signal[i + lag]` against `reference[i]`), over the overlap; (correlation, lag).
pub fn best_correlation(
    reference: &[i16],
    signal: &[i16],
    lags: std::ops::RangeInclusive<isize>,
) -> (f64, isize) {
    let mut best = (f64::MIN, 0);
    for lag in lags {
        let (mut xy, mut xx, mut yy) = (0f64, 0f64, 0f64);
        for (i, &x) in reference.iter().enumerate() {
            let j = i as isize + lag;
            if j < 0 {
                continue;
            }
            let Some(&y) = signal.get(j as usize) else {
                break;
            };
            let (x, y) = (f64::from(x), f64::from(y));
            xy += x * y;
            xx += x * x;
            yy += y * y;
        }
        if xx > 0.0 && yy > 0.0 {
            let c = xy / (xx * yy).sqrt();
            if c > best.0 {
                best = (c, lag);
            }
        }
    }
    best
}

/// The power of `freq` Hz in `samples` (8 kHz), relative to their total power (0..=1 for a
/// pure tone at that frequency).
pub fn tone_share(samples: &[i16], freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
    let (mut re, mut im, mut total) = (0f64, 0f64, 0f64);
    for (n, &s) in samples.iter().enumerate() {
        let x = f64::from(s);
        re += x * (w * n as f64).cos();
        im -= x * (w * n as f64).sin();
        total += x * x;
    }
    if total == 0.0 {
        return 0.0;
    }
    2.0 * (re * re + im * im) / (samples.len() as f64 * total)
}

/// The RMS level of `samples` in dBFS (-inf for silence).
pub fn level_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return f64::NEG_INFINITY;
    }
    let power: f64 =
        samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64;
    10.0 * (power / 32768f64.powi(2)).log10()
}

/// Writes a classic pcap (Ethernet, IPv4, UDP from 127.0.0.1:4000 to :4002) holding each
/// RTP packet at its offset; SIPp's `play_pcap_audio` replays it with that timing.
pub fn write_pcap(path: &Path, packets: &[(Duration, Vec<u8>)]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    let base = 1_700_000_000u64;
    for (at, rtp) in packets {
        let udp_len = 8 + rtp.len();
        let ip_len = 20 + udp_len;
        let mut frame = Vec::with_capacity(14 + ip_len);
        frame.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
        let mut ip = vec![
            0x45,
            0,
            (ip_len >> 8) as u8,
            ip_len as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
            127,
            0,
            0,
            1,
            127,
            0,
            0,
            1,
        ];
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = (sum & 0xffff) + (sum >> 16);
        let check = !((sum & 0xffff) + (sum >> 16)) as u16;
        ip[10..12].copy_from_slice(&check.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&4000u16.to_be_bytes());
        frame.extend_from_slice(&4002u16.to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&0u16.to_be_bytes());
        frame.extend_from_slice(rtp);
        let secs = base + at.as_secs();
        out.extend_from_slice(&(secs as u32).to_le_bytes());
        out.extend_from_slice(&at.subsec_micros().to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// `packets` paced 20 ms apart from `start`.
pub fn paced(packets: Vec<Vec<u8>>, start: Duration) -> Vec<(Duration, Vec<u8>)> {
    packets
        .into_iter()
        .enumerate()
        .map(|(i, p)| (start + Duration::from_millis(20 * i as u64), p))
        .collect()
}

/// A WAV file as read back: its format and samples.
#[derive(Debug)]
pub struct Wav {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits: u16,
    pub format: u16,
    pub samples: Vec<i16>,
}

impl Wav {
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.sample_rate.max(1)))
    }
}

/// A 16-bit PCM WAV file of interleaved `samples`, its header written out by hand (the
/// way a test's upload or recording arrives from elsewhere).
pub fn pcm16_wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
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

/// Parses a RIFF/WAVE file strictly: the RIFF size must match the file, a `fmt ` chunk must
/// come before `data`, and the `data` chunk must fit in the file.
pub fn read_wav(bytes: &[u8]) -> Result<Wav, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(format!("no RIFF/WAVE header ({} bytes)", bytes.len()));
    }
    let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    if riff + 8 != bytes.len() {
        return Err(format!(
            "RIFF size {riff} + 8 is not the file's length {}",
            bytes.len()
        ));
    }
    let mut at = 12;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = bytes.get(at + 8..at + 8 + size).ok_or_else(|| {
            format!(
                "chunk {:?} of {size} bytes runs past the end",
                String::from_utf8_lossy(id)
            )
        })?;
        match id {
            b"fmt " => {
                if size < 16 {
                    return Err(format!("fmt chunk of {size} bytes"));
                }
                fmt = Some((
                    u16::from_le_bytes([body[0], body[1]]),
                    u16::from_le_bytes([body[2], body[3]]),
                    u32::from_le_bytes(body[4..8].try_into().unwrap()),
                    u16::from_le_bytes([body[14], body[15]]),
                ));
            }
            b"data" => {
                let (format, channels, sample_rate, bits) =
                    fmt.ok_or("data chunk before the fmt chunk")?;
                if bits != 16 {
                    return Err(format!("{bits} bits per sample"));
                }
                let samples = body
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                return Ok(Wav {
                    channels,
                    sample_rate,
                    bits,
                    format,
                    samples,
                });
            }
            _ => {}
        }
        at += 8 + size + (size & 1);
    }
    Err("no data chunk".to_owned())
}

/// `text` spoken by espeak-ng (voice `voice`), as 8 kHz samples; None when espeak-ng is not
/// installed.
pub fn espeak(dir: &Path, voice: &str, text: &str) -> Option<Vec<i16>> {
    let wav = dir.join(format!("espeak-{voice}.wav"));
    let status = Command::new("espeak-ng")
        .arg("-v")
        .arg(voice)
        .arg("-w")
        .arg(&wav)
        .arg(text)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    Some(
        Clip::load(&wav)
            .unwrap_or_else(|e| panic!("espeak-ng's WAV {}: {e}", wav.display()))
            .samples()
            .to_vec(),
    )
}

/// The routing trace of the call with SIP Call-ID `call_id`, from `switchboard trace`
/// (polled until the record is written): the text of each entry, in order.
pub fn trace(pbx: &Pbx, call_id: &str, timeout: Duration) -> Vec<String> {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < timeout {
        let out = Command::new(binary())
            .arg("--data-dir")
            .arg(&pbx.data_dir)
            .arg("trace")
            .arg(call_id)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .output()
            .expect("run switchboard trace");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            return trace_lines(&stdout);
        }
        last = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no trace for call {call_id} within {timeout:?}; last answer: {last}");
}

/// The entries of `switchboard trace`'s output: the text after `+S.SSS s  [step]`.
pub fn trace_lines(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|l| l.trim_start().starts_with('+'))
        .filter_map(|l| {
            let rest = l.split_once(" s ")?.1.trim_start();
            let rest = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .map_or(rest, |(_, text)| text);
            Some(rest.trim().to_owned())
        })
        .collect()
}

/// The full output of `switchboard trace` for the call (for failure messages).
pub fn trace_text(pbx: &Pbx, call_id: &str) -> String {
    let out = Command::new(binary())
        .arg("--data-dir")
        .arg(&pbx.data_dir)
        .arg("trace")
        .arg(call_id)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run switchboard trace");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `GET path` on the PBX's HTTP port; (status, body).
pub fn http_get(pbx: &Pbx, path: &str) -> (u16, String) {
    super::http::get(pbx.http, path)
}

/// Sends `packets` from `socket` to `to` every 20 ms (send errors ignored: the far end may
/// have closed) until all are sent or `stop` is set; returns how many were sent.
pub fn send_paced(
    socket: &UdpSocket,
    to: SocketAddr,
    packets: &[Vec<u8>],
    stop: &std::sync::atomic::AtomicBool,
) -> usize {
    let start = Instant::now();
    for (i, p) in packets.iter().enumerate() {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return i;
        }
        let due = start + Duration::from_millis(20 * i as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        socket.send_to(p, to).ok();
    }
    packets.len()
}

// A caller leaving a voicemail message (tests/voicemail.rs; tests/media_e2e.rs does the same
// inline).

/// The speech of SIPp's g711a.pcap (PCMA), decoded and cut to whole 20 ms frames: what a
/// test caller says into a voicemail box.
pub fn pcap_speech() -> Vec<i16> {
    let mut speech = Vec::new();
    for packet in super::rtp::read_pcap_rtp(super::rtp::G711A_PCAP) {
        let packet = parse(&packet).expect("RTP in g711a.pcap");
        Codec::Pcma.decode(&packet.payload, &mut speech);
    }
    speech.truncate(speech.len() / FRAME * FRAME);
    speech
}

/// Whether the last `n` packets of `packets` are the 1 kHz beep.
pub fn ends_with_beep(packets: &[(Instant, Packet)], codec: Codec, n: usize) -> bool {
    if packets.len() < n {
        return false;
    }
    let samples = decode(codec, &packets[packets.len() - n..]);
    tone_share(&samples, 1000.0) > 0.8
}

/// What the PBX plays a caller before a voicemail recording starts, recorded until the beep
/// (the last thing played) is over: greetings may leave pauses between prompts, so the end is
/// told by the beep, not by a pause. Panics when no beep comes by `deadline`.
pub fn record_through_beep(socket: &UdpSocket, codec: Codec, deadline: Instant) -> Vec<Arrival> {
    let mut heard = record_until(socket, deadline, Duration::from_secs(5), |got| {
        ends_with_beep(&rtp_of(&got[got.len().saturating_sub(10)..]), codec, 10)
    });
    assert!(
        ends_with_beep(&rtp_of(&heard), codec, 10),
        "no 1 kHz beep among the {} packets the PBX sent",
        heard.len()
    );
    // The rest of the beep (0.25 s in all), then nothing until the caller speaks.
    heard.extend(record(
        socket,
        Instant::now() + Duration::from_secs(2),
        Duration::from_millis(250),
    ));
    heard
}

/// A message as a caller's RTP: `samples` in 20 ms `codec` packets, then `#` as RFC 4733
/// events (payload type 101), which ends the recording.
pub fn message_packets(codec: Codec, samples: &[i16], ssrc: u32) -> Vec<Vec<u8>> {
    let mut packets = audio_packets(codec, samples, ssrc, 500, 8000);
    let frames = packets.len();
    packets.extend(dtmf_event_packets(
        101,
        11,
        800,
        ssrc,
        500 + frames as u16,
        8000 + (frames * FRAME) as u32,
    ));
    packets
}
