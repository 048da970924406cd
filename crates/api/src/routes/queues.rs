//! `/api/queues`: every queue's live figures and callers, and every agent's state.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;

use crate::routes::ApiState;

/// `GET /api/queues`: `{"queues": [...], "agents": [...]}`.
pub(super) async fn list(State(state): State<ApiState>) -> impl IntoResponse {
    Json(state.live.queues())
}
