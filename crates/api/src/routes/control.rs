//! `/api/reload` and `/api/schedules`: the [`Control`](crate::Control) endpoints.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::Extensions;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

use crate::control::{ControlError, OverrideRequest, ScheduleView};
use crate::json::JsonError;
use crate::routes::ApiState;

#[derive(Serialize)]
struct ScheduleList {
    schedules: Vec<ScheduleView>,
}

#[derive(Serialize)]
struct Reloaded {
    reloaded: bool,
}

/// Refuses a request that did not come from this machine (see the module doc of
/// `control`); a request without a known peer (no `ConnectInfo`) is refused too.
pub(super) fn local_only(extensions: &Extensions) -> Result<(), JsonError> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    match peer {
        Some(ip) if ip.to_canonical().is_loopback() => Ok(()),
        _ => Err(JsonError::forbidden(
            "controls answer only requests from the PBX's own machine (loopback)",
        )),
    }
}

fn control_error(error: ControlError) -> JsonError {
    match error {
        ControlError::UnknownSchedule(_) => JsonError::not_found(error.to_string()),
        ControlError::Invalid(_) | ControlError::Refused(_) => {
            JsonError::unprocessable(error.to_string())
        }
    }
}

/// `POST /api/reload`.
pub(super) async fn reload(
    State(state): State<ApiState>,
    extensions: Extensions,
) -> Result<impl IntoResponse, JsonError> {
    local_only(&extensions)?;
    state.control.reload().map_err(control_error)?;
    Ok(Json(Reloaded { reloaded: true }))
}

/// `GET /api/schedules`.
pub(super) async fn schedules(State(state): State<ApiState>) -> impl IntoResponse {
    Json(ScheduleList {
        schedules: state.control.schedules(),
    })
}

/// `PUT /api/schedules/{name}/override`.
pub(super) async fn set_override(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    extensions: Extensions,
    Json(request): Json<OverrideRequest>,
) -> Result<impl IntoResponse, JsonError> {
    local_only(&extensions)?;
    let view = state
        .control
        .set_override(&name, request)
        .map_err(control_error)?;
    Ok(Json(view))
}

/// `DELETE /api/schedules/{name}/override`.
pub(super) async fn clear_override(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    extensions: Extensions,
) -> Result<impl IntoResponse, JsonError> {
    local_only(&extensions)?;
    let view = state.control.clear_override(&name).map_err(control_error)?;
    Ok(Json(view))
}
