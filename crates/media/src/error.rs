//! Why opening media or rewriting SDP failed, one variant per cause, so the SIP layer can
//! pick its answer (488 for an SDP the PBX cannot relay, 500/503 for a PBX out of ports).

use std::io;
use std::net::SocketAddr;

/// Why the media layer could not be set up or could not open a bridge.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The port range cannot hold a single call: a call needs two even/odd port pairs.
    #[error("RTP port range {min}-{max} is unusable: {reason}")]
    InvalidPortRange {
        /// `port_min` as configured.
        min: u16,
        /// `port_max` as configured.
        max: u16,
        /// What is wrong with it, for a person to read.
        reason: &'static str,
    },
    /// An inactivity timeout of zero would end every call at once.
    #[error("the RTP inactivity timeout must be longer than zero")]
    ZeroInactivityTimeout,
    /// `0.0.0.0` or `::` in SDP means "no address"; phones could not send media to it.
    #[error("the advertised media address {0} is unspecified; set the address phones reach")]
    UnspecifiedAdvertiseIp(std::net::IpAddr),
    /// Every port pair of the range is taken, by calls or by other programs.
    #[error("no free RTP port pair left in {min}-{max}")]
    Exhausted {
        /// First port of the range.
        min: u16,
        /// Last port of the range.
        max: u16,
    },
    /// A port could not be bound for a reason other than being in use (for example the bind
    /// address is not an address of this host).
    #[error("cannot bind media socket {addr}: {source}")]
    Bind {
        /// The address that could not be bound.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
}

/// Why an SDP body cannot be relayed.
///
/// `NoAudio`, `UnsupportedTransport` and `NoCommonCodec` describe an SDP that is valid but
/// that the PBX cannot anchor (answer an offer with 488); `Malformed` and `TooLarge` describe
/// one that is not valid SDP (400 or 488).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// Longer than any SDP a phone sends; refused before parsing, to bound the work.
    #[error("SDP of {len} bytes is longer than the {max} accepted")]
    TooLarge {
        /// The body's length.
        len: usize,
        /// The longest body accepted.
        max: usize,
    },
    /// A line that is not SDP, or a line the PBX must understand and cannot.
    #[error("SDP line {line}: {reason}")]
    Malformed {
        /// The line number, counting from 1 (0 for an empty body).
        line: usize,
        /// What is wrong, for a person to read.
        reason: String,
    },
    /// No `m=audio` stream with a non-zero port: nothing to relay (also a callee that
    /// rejected the audio stream).
    #[error("SDP has no active audio stream")]
    NoAudio,
    /// The only audio streams use a transport the PBX does not relay (SRTP, DTLS, ...).
    #[error("the audio stream uses {proto}; only RTP/AVP is relayed")]
    UnsupportedTransport {
        /// The `m=` line's transport, as written.
        proto: String,
    },
    /// The audio stream offers neither PCMU nor PCMA.
    #[error("the audio stream offers neither PCMU nor PCMA")]
    NoCommonCodec,
}

impl SdpError {
    pub(crate) fn malformed(line: usize, reason: impl Into<String>) -> SdpError {
        SdpError::Malformed {
            line,
            reason: reason.into(),
        }
    }
}
