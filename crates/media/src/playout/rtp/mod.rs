//! RTP (RFC 3550) for playout: the packet format, and the state of one outgoing stream.

mod packet;
mod stream;

pub use packet::{Extension, RtpError, RtpHeader, RtpPacket, FIXED_HEADER_LEN};
pub use stream::{RtpStream, SentCount};
