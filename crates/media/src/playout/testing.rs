//! Test helpers shared by the playout modules' tests: a clock the test drives, a G.711 μ-law
//! encoder, and a receiver of RTP over real sockets.

use super::clock::Clock;
use super::codec::Encoder;
use super::rtp::{RtpHeader, RtpPacket};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// A clock that never waits: sleeping jumps it to the deadline plus a lateness the test
/// chooses for the `n`th sleep (timers always wake late, never early).
pub struct ManualClock {
    now: Mutex<Instant>,
    sleeps: AtomicU64,
    lateness: Box<dyn Fn(u64) -> Duration + Send + Sync>,
}

impl ManualClock {
    pub fn new(lateness: impl Fn(u64) -> Duration + Send + Sync + 'static) -> ManualClock {
        ManualClock {
            now: Mutex::new(Instant::now()),
            sleeps: AtomicU64::new(0),
            lateness: Box::new(lateness),
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.now.lock().unwrap()
    }

    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send {
        let n = self.sleeps.fetch_add(1, Ordering::Relaxed);
        let mut now = self.now.lock().unwrap();
        *now = (*now).max(deadline + (self.lateness)(n));
        std::future::ready(())
    }
}

/// G.711 μ-law, payload type 0, as in ITU-T G.711 (biased, 8 segments).
pub struct MuLaw;

impl Encoder for MuLaw {
    fn payload_type(&self) -> u8 {
        0
    }

    fn encode(&self, pcm: &[i16], out: &mut Vec<u8>) {
        out.extend(pcm.iter().map(|&sample| {
            let magnitude = i32::from(sample).unsigned_abs().min(32_635) + 0x84;
            let sign = if sample < 0 { 0x80 } else { 0 };
            let exponent = (magnitude >> 7).ilog2();
            let mantissa = (magnitude >> (exponent + 3)) & 0x0f;
            !(sign | (exponent << 4) as u8 | mantissa as u8)
        }));
    }
}

/// One packet as a test receiver saw it.
pub struct Received {
    pub at: Instant,
    pub header: RtpHeader,
    pub payload: Vec<u8>,
}

/// The next `n` RTP packets arriving on `socket`; panics if they take over 5 s.
pub async fn receive(socket: &UdpSocket, n: usize) -> Vec<Received> {
    let mut buffer = [0u8; 2048];
    let mut packets = Vec::with_capacity(n);
    while packets.len() < n {
        let wait = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buffer));
        let len = wait.await.expect("RTP packet in time").unwrap();
        let packet = RtpPacket::parse(&buffer[..len]).unwrap();
        packets.push(Received {
            at: Instant::now(),
            header: packet.header,
            payload: packet.payload.to_vec(),
        });
    }
    packets
}

#[test]
fn mu_law_encodes_like_g711() {
    let mut out = Vec::new();
    MuLaw.encode(&[0, -1, 1000, -1000, i16::MAX, i16::MIN], &mut out);
    assert_eq!(out, [0xff, 0x7f, 0xce, 0x4e, 0x80, 0x00]);
}
