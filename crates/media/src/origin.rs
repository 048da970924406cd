//! The PBX's own `o=` line towards one leg.
//!
//! Each leg sees the PBX as one SDP session: a fixed session id, and a version that goes up
//! by one exactly when the SDP sent to that leg changes (RFC 3264 §8), and stays the same
//! when it does not (a session refresh re-INVITE), which some phones check.

use std::io::Write;
use std::net::IpAddr;

/// The SDP session the PBX presents to one leg.
#[derive(Debug)]
pub(crate) struct Origin {
    session_id: u32,
    version: u64,
    /// What was last sent, from `s=` on.
    last_body: Option<Vec<u8>>,
}

impl Origin {
    /// A session with a random id; 32 bits, because some phones read the id into a signed
    /// 64-bit number or smaller.
    pub fn new(session_id: u32) -> Origin {
        Origin {
            session_id,
            version: u64::from(session_id),
            last_body: None,
        }
    }

    /// The `o=` line (with its CRLF) to send in front of `body`; the version goes up when
    /// `body` differs from the last one.
    pub fn line(&mut self, body: &[u8], ip: IpAddr) -> Vec<u8> {
        match &self.last_body {
            Some(last) if last == body => {}
            Some(_) => {
                self.version += 1;
                self.last_body = Some(body.to_vec());
            }
            None => self.last_body = Some(body.to_vec()),
        }
        let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
        let mut line = Vec::with_capacity(64);
        // Writing to a Vec cannot fail.
        let _ = write!(
            line,
            "o=- {} {} IN {family} {ip}\r\n",
            self.session_id, self.version
        );
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn the_version_moves_only_when_the_body_changes() {
        let ip = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));
        let mut origin = Origin::new(7);
        assert_eq!(
            origin.line(b"s=-\r\n", ip),
            b"o=- 7 7 IN IP4 203.0.113.5\r\n"
        );
        assert_eq!(
            origin.line(b"s=-\r\n", ip),
            b"o=- 7 7 IN IP4 203.0.113.5\r\n"
        );
        assert_eq!(
            origin.line(b"s=x\r\n", ip),
            b"o=- 7 8 IN IP4 203.0.113.5\r\n"
        );
        assert_eq!(
            origin.line(b"s=-\r\n", ip),
            b"o=- 7 9 IN IP4 203.0.113.5\r\n"
        );
    }
}
