//! Hand-made SIP over raw sockets: the readiness probe and the malformed-message corpus.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicU32 = AtomicU32::new(1);

/// A unique number for branches, tags and Call-IDs made by this process.
pub fn unique() -> u32 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// An OPTIONS request to the PBX itself (no user part), as a phone's keep-alive sends it.
pub fn options_request(target: SocketAddr, local: SocketAddr, transport: &str) -> String {
    let n = unique();
    let pid = std::process::id();
    format!(
        "OPTIONS sip:{target} SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {local};branch=z9hG4bK-probe-{pid}-{n};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@{ip}>;tag=probe{pid}x{n}\r\n\
         To: <sip:{target}>\r\n\
         Call-ID: probe-{pid}-{n}@{ip}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Contact: <sip:probe@{local}>\r\n\
         Accept: application/sdp\r\n\
         User-Agent: switchboard-tests\r\n\
         Content-Length: 0\r\n\r\n",
        ip = local.ip(),
    )
}

/// Sends OPTIONS over UDP and returns the first final status received within `wait`.
pub fn options_udp(target: SocketAddr, wait: Duration) -> Option<u16> {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
    let request = options_request(target, socket.local_addr().ok()?, "UDP");
    socket.send_to(request.as_bytes(), target).ok()?;
    let deadline = Instant::now() + wait;
    let mut buf = vec![0u8; 65536];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        socket
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok()?;
        match socket.recv_from(&mut buf) {
            Ok((n, _)) => {
                if let Some(&code) = status_codes(&buf[..n]).iter().find(|&&c| c >= 200) {
                    return Some(code);
                }
            }
            Err(_) => return None,
        }
    }
    None
}

/// Sends OPTIONS over a new TCP connection and returns the first final status within `wait`.
pub fn options_tcp(target: SocketAddr, wait: Duration) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&target, wait).ok()?;
    let request = options_request(target, stream.local_addr().ok()?, "TCP");
    stream.write_all(request.as_bytes()).ok()?;
    let received = read_for(&mut stream, wait, |data| {
        status_codes(data).iter().any(|&c| c >= 200)
    });
    status_codes(&received).into_iter().find(|&c| c >= 200)
}

/// Reads from a stream until `done(all bytes so far)`, EOF, an error or `wait` elapses.
pub fn read_for(stream: &mut TcpStream, wait: Duration, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let deadline = Instant::now() + wait;
    let mut received = Vec::new();
    let mut buf = vec![0u8; 65536];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .is_err()
        {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                received.extend_from_slice(&buf[..n]);
                if done(&received) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    received
}

/// The status codes of every SIP response found in `data` (one datagram, or a TCP stream
/// holding several messages): each line `SIP/2.0 NNN ...`.
pub fn status_codes(data: &[u8]) -> Vec<u16> {
    let mut codes = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(rest) = line.strip_prefix(b"SIP/2.0 ") else {
            continue;
        };
        if rest.len() >= 3
            && rest[..3].iter().all(u8::is_ascii_digit)
            && rest.get(3).is_none_or(|&b| b == b' ')
        {
            let code = std::str::from_utf8(&rest[..3]).unwrap().parse().unwrap();
            codes.push(code);
        }
    }
    codes
}
