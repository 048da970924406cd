//! Phones made of UDP sockets, and SDP for them.

use sb_media::{Bridge, Leg, Media, MediaConfig, SdpKind};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::timeout;

pub const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Long enough for anything on loopback to arrive, short enough to keep failures quick.
pub const ARRIVAL: Duration = Duration::from_secs(2);

/// A media service on 127.0.0.1 with `ports` ports from `first`.
pub fn media(first: u16, ports: u16, inactivity_timeout: Duration) -> Media {
    Media::new(MediaConfig {
        port_min: first,
        port_max: first + ports - 1,
        inactivity_timeout,
        ..MediaConfig::new(LOCALHOST, LOCALHOST)
    })
    .unwrap()
}

/// SIPp's default offer, sending to `rtp` and RTCP to `rtcp`, with extra media-level lines.
pub fn sdp(rtp: SocketAddr, rtcp: SocketAddr, extra: &str) -> String {
    format!(
        "v=0\r\no=user1 53655765 2353687637 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=rtcp:{rtcp_port}\r\n{extra}",
        ip = rtp.ip(),
        port = rtp.port(),
        rtcp_port = rtcp.port(),
    )
}

/// One phone: its RTP and RTCP sockets.
pub struct Phone {
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
}

impl Phone {
    pub async fn new() -> Phone {
        Phone {
            rtp: socket().await,
            rtcp: socket().await,
        }
    }

    pub fn rtp_addr(&self) -> SocketAddr {
        self.rtp.local_addr().unwrap()
    }

    pub fn rtcp_addr(&self) -> SocketAddr {
        self.rtcp.local_addr().unwrap()
    }

    /// Its SDP, with extra media-level lines.
    pub fn sdp(&self, extra: &str) -> String {
        sdp(self.rtp_addr(), self.rtcp_addr(), extra)
    }
}

pub async fn socket() -> UdpSocket {
    UdpSocket::bind((LOCALHOST, 0)).await.unwrap()
}

/// A caller and a callee whose offer and answer have gone through `bridge`.
pub async fn call(bridge: &Bridge) -> (Phone, Phone) {
    let (caller, callee) = (Phone::new().await, Phone::new().await);
    bridge
        .rewrite(Leg::Caller, SdpKind::Offer, caller.sdp("").as_bytes())
        .unwrap();
    bridge
        .rewrite(Leg::Callee, SdpKind::Answer, callee.sdp("").as_bytes())
        .unwrap();
    (caller, callee)
}

/// Where the PBX takes `leg`'s RTP.
pub fn pbx_rtp(bridge: &Bridge, leg: Leg) -> SocketAddr {
    SocketAddr::new(LOCALHOST, bridge.local_port(leg))
}

/// Where the PBX takes `leg`'s RTCP.
pub fn pbx_rtcp(bridge: &Bridge, leg: Leg) -> SocketAddr {
    SocketAddr::new(LOCALHOST, bridge.local_port(leg) + 1)
}

/// A 20 ms PCMU packet with sequence number `seq`.
pub fn rtp(seq: u16) -> Vec<u8> {
    let mut packet = vec![0x80, 0x00];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&[0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78]);
    packet.extend(std::iter::repeat_n(0xff, 160));
    packet
}

/// An empty RTCP receiver report.
pub fn rtcp() -> Vec<u8> {
    vec![0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78]
}

/// The next packet on `socket`, and where it came from; fails the test after [`ARRIVAL`].
pub async fn receive(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buffer = [0u8; 2048];
    let (len, from) = timeout(ARRIVAL, socket.recv_from(&mut buffer))
        .await
        .expect("no packet arrived")
        .unwrap();
    (buffer[..len].to_vec(), from)
}

/// Fails the test if a packet arrives on `socket` within `wait`.
pub async fn nothing_arrives(socket: &UdpSocket, wait: Duration) {
    let mut buffer = [0u8; 2048];
    if let Ok(received) = timeout(wait, socket.recv_from(&mut buffer)).await {
        panic!("unexpected packet: {received:?}");
    }
}

/// Waits until `condition` holds; fails the test after [`ARRIVAL`].
pub async fn eventually(mut condition: impl FnMut() -> bool) {
    let waited = timeout(ARRIVAL, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    waited.await.expect("condition never held");
}
