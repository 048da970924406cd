//! What can stop the HTTP server, for the binary to report and exit on.
//!
//! Errors in answering one request are not here: they become HTTP responses
//! (see `json.rs`) and never stop the server.

use std::io;
use std::net::SocketAddr;

/// An error that ends [`serve`](crate::serve).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The listener handed to `serve` has no local address (it is not a bound socket).
    #[error("cannot read the HTTP listener's address: {0}")]
    ListenerAddress(#[source] io::Error),
    /// The server stopped on an I/O error.
    #[error("HTTP server on {addr} failed: {source}")]
    Serve { addr: SocketAddr, source: io::Error },
}
