//! The router: which path goes to which handler, and the state they share.

mod calls;
mod control;
mod greetings;
mod metrics;
mod queue_stats;
mod queues;
mod registrations;
mod tasks;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use sb_store::{Store, MAX_GREETING_BYTES};

use crate::control::Control;
use crate::live::LiveView;

/// What the handlers read: the database for history, the [`LiveView`] for the present.
///
/// Cheap to clone (the store shares one connection pool, the view is behind an [`Arc`]);
/// axum clones it for every request.
#[derive(Clone)]
pub struct ApiState {
    /// Call history.
    pub store: Store,
    /// Calls in progress, registrations, draining: implemented by the SIP layer.
    pub live: Arc<dyn LiveView>,
    /// Reload, schedule overrides, which voicemail boxes exist: implemented by the SIP layer.
    pub control: Arc<dyn Control>,
}

/// Every HTTP endpoint of Switchboard, ready to serve (see the crate docs for the list).
///
/// Public apart from [`serve`](crate::serve) so the binary can mount more next to it and
/// tests can drive it without a socket.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/api/calls", get(calls::recent))
        .route("/api/calls/{id}", get(calls::one))
        .route("/api/calls/{id}/trace", get(calls::trace))
        .route("/api/registrations", get(registrations::list))
        .route("/api/queues", get(queues::list))
        .route("/api/queues/stats", get(queue_stats::stats))
        .route("/api/tasks", get(tasks::list))
        .route("/api/tasks/{id}/close", post(tasks::close))
        .route("/api/reload", post(control::reload))
        .route("/api/schedules", get(control::schedules))
        .route(
            "/api/schedules/{name}/override",
            put(control::set_override).delete(control::clear_override),
        )
        .route(
            "/api/mailboxes/{mailbox}/greetings/{kind}",
            put(greetings::put)
                .delete(greetings::delete)
                .layer(DefaultBodyLimit::max(MAX_GREETING_BYTES)),
        )
        .with_state(state)
}

/// Answers as long as the server runs; deliberately touches neither the database nor the SIP
/// layer, so a monitor's probe never adds load or waits on a lock.
async fn healthz() -> &'static str {
    "ok"
}
