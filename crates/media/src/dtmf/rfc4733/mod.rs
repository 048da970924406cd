//! DTMF digits as RFC 4733 telephone events: the payload format, a receiver that reports each
//! key press once however many packets describe it, and a sender that makes those packets.
//!
//! All three are pure: they see payloads, timestamps and marker bits, never sockets or
//! clocks, so the RTP layer decides which packets are telephone events (by payload type) and
//! when packets go out.

mod payload;
mod receiver;
mod sender;

pub use payload::{EventPayload, PayloadError};
pub use receiver::{EventReceiver, Received};
pub use sender::{EventPacket, EventSender};
