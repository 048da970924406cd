//! `/api/calls`: the call history, read from the store.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::call_view::{CallView, TraceView};
use crate::json::JsonError;
use crate::routes::ApiState;

/// Calls listed when the request names no `limit`: a screenful.
const DEFAULT_LIMIT: u32 = 50;

/// The most calls one request may ask for, so a careless `limit` cannot make the server read
/// and serialise the whole history at once.
const MAX_LIMIT: u32 = 1000;

/// The query string of `GET /api/calls`. `limit` is read as text and checked by hand, so a bad
/// value gets a message naming the parameter and its allowed range.
#[derive(Debug, Deserialize)]
pub(super) struct RecentQuery {
    limit: Option<String>,
}

/// A list is wrapped in an object so fields (a cursor for the next page) can be added later
/// without breaking clients.
#[derive(Serialize)]
struct CallList<'a> {
    calls: Vec<CallView<'a>>,
}

/// `GET /api/calls?limit=N`: the `N` most recent calls, newest first.
pub(super) async fn recent(
    State(state): State<ApiState>,
    query: Result<Query<RecentQuery>, QueryRejection>,
) -> Result<Response, JsonError> {
    let Query(query) = query
        .map_err(|rejection| JsonError::rejected(rejection.status(), rejection.body_text()))?;
    let limit = limit(query.limit.as_deref())?;
    let records = state
        .store
        .recent_calls(limit)
        .await
        .map_err(|err| JsonError::internal("cannot read call records", &err))?;
    let calls = records.iter().map(CallView::new).collect();
    Ok(Json(CallList { calls }).into_response())
}

/// The routing trace alone, wrapped like every API list.
#[derive(Serialize)]
struct TraceList<'a> {
    trace: Vec<TraceView<'a>>,
}

/// `GET /api/calls/{id}`: one call by Switchboard's id, with its routing trace.
pub(super) async fn one(
    State(state): State<ApiState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, JsonError> {
    let record = call_by_path(&state, id).await?;
    Ok(Json(CallView::with_trace(&record)).into_response())
}

/// `GET /api/calls/{id}/trace`: just the routing trace of one call, `{"trace": [...]}`
/// (empty for a direct call).
pub(super) async fn trace(
    State(state): State<ApiState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, JsonError> {
    let record = call_by_path(&state, id).await?;
    let trace = TraceView::list(&record.trace);
    Ok(Json(TraceList { trace }).into_response())
}

/// The call the path names by Switchboard's id, or the error answer.
async fn call_by_path(
    state: &ApiState,
    id: Result<Path<String>, PathRejection>,
) -> Result<sb_store::CallRecord, JsonError> {
    let Path(id) =
        id.map_err(|rejection| JsonError::rejected(rejection.status(), rejection.body_text()))?;
    state
        .store
        .call(&id)
        .await
        .map_err(|err| JsonError::internal("cannot read call records", &err))?
        .ok_or_else(|| JsonError::not_found(format!("no call with id {id:?}")))
}

/// The `limit` parameter of a list: [`DEFAULT_LIMIT`] when absent, 1 to [`MAX_LIMIT`].
pub(super) fn limit(raw: Option<&str>) -> Result<u32, JsonError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.parse::<u32>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(JsonError::bad_request(format!(
            "limit must be a whole number from 1 to {MAX_LIMIT}, not {raw:?}"
        ))),
    }
}
