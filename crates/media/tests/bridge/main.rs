//! The bridge end to end: real UDP sockets on 127.0.0.1 playing the two phones.
//!
//! Each test uses its own slice of ports from 30000-32767, below Linux's ephemeral range
//! (32768-60999) where the phones' sockets are bound, so tests running in parallel never
//! take each other's ports.

mod common;
mod inactivity;
mod pool;
mod relay;
mod sdp;
