//! Telephone digits: RFC 4733 events and in-band DTMF tones, received and sent.
//!
//! [`Digit`] is the key, whichever way it travelled; [`rfc4733`] reads and writes the
//! telephone-event packets most SIP phones send; [`inband`] hears and plays the tones
//! themselves, for phones and gateways that put digits in the audio.

mod digit;
pub mod inband;
pub mod rfc4733;

pub use digit::Digit;
