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
//! | `GET /api/calls/{id}` | one call by Switchboard's id, with its routing trace |
//! | `GET /api/calls/{id}/trace` | the routing trace alone, `{"trace": [{"at", "step", "text"}]}` |
//! | `GET /api/registrations` | the phones registered now |
//! | `GET /api/queues` | every queue's live figures and waiting callers, every agent's state |
//! | `GET /api/queues/stats?from=&to=&interval=` | the queues' figures per interval (service level, ASA, AHT, abandonment, occupancy), rebuilt from the queue log |
//! | `GET /api/tasks?state=open\|all&assigned=WHO&limit=N` | callback tasks, most recent activity first (open ones by default; `WHO` is `104`, `queue:sales` or `mailbox:general`) |
//! | `POST /api/tasks/{id}/close` | `{"by": "anna"}` (optional): close a callback task by hand (loopback only) |
//! | `GET /metrics` | Prometheus gauges |
//! | `POST /api/reload` | load the configuration file again (loopback only) |
//! | `GET /api/schedules` | each schedule's mode now and its manual override |
//! | `PUT /api/schedules/{name}/override` | `{"mode": "night", "hours": 4}`: force a mode (loopback only) |
//! | `DELETE /api/schedules/{name}/override` | back to the hours (loopback only) |
//! | `PUT /api/mailboxes/{box}/greetings/{kind}` | a WAV file as the body: install a voicemail greeting (loopback only; `routes/greetings.rs`) |
//! | `DELETE /api/mailboxes/{box}/greetings/{kind}` | remove a voicemail greeting (loopback only) |
//!
//! Every `/api` error is JSON, `{"error": "..."}`, with a message meant for the person
//! calling the API; causes inside the server are logged, not sent.

mod call_view;
mod control;
mod error;
mod json;
mod live;
mod routes;
mod server;

pub use control::{Control, ControlError, OverrideRequest, OverrideView, ScheduleView};
pub use error::ApiError;
pub use live::{
    AgentLive, LiveSnapshot, LiveView, QueueCallerLive, QueueLive, QueuesSnapshot, RegistrationView,
};
pub use routes::{router, ApiState};
pub use server::serve;
