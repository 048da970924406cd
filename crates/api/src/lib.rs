//! Switchboard's HTTP side: the JSON API, health check and Prometheus metrics, served on
//! `--http-listen` (0.0.0.0:8080 in the demo).
//!
//! The API is a reader: call history comes from the [`Store`](sb_store::Store), live state
//! (calls in progress, registered phones, draining) from a [`LiveView`] the SIP layer
//! implements, so this crate depends on nothing in the SIP stack and its tests need no sockets
//! but one.
//!
//! | endpoint | what |
//! | --- | --- |
//! | `GET /healthz` | `200 ok` while the process serves HTTP: for load balancers and monitors |
//! | `GET /api/calls?limit=N` | the `N` (default 50, at most 1000) most recent calls, newest first |
//! | `GET /api/calls/{id}` | one call by Switchboard's id |
//! | `GET /api/registrations` | the phones registered now |
//! | `GET /metrics` | Prometheus gauges |
//!
//! Every `/api` error is JSON, `{"error": "..."}`, with a message meant for the person
//! calling the API; causes inside the server are logged, not sent.

mod call_view;
mod error;
mod json;
mod live;
mod routes;
mod server;

pub use error::ApiError;
pub use live::{LiveSnapshot, LiveView, RegistrationView};
pub use routes::{router, ApiState};
pub use server::serve;
