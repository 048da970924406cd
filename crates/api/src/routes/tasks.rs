//! `/api/tasks`: the callback tasks (who must call whom back), and closing one by hand.
//!
//! A task is shown as the callback engine keeps it, in a JSON shape of its own, since
//! scripts are written against it:
//!
//! ```json
//! {"id": 7, "number": "+74951234567", "name": null, "state": "open",
//!  "first_at": "2026-11-23T10:00:05.000Z", "last_at": "2026-11-23T10:05:00.000Z",
//!  "attempts": 2, "longest_wait_ms": 42500,
//!  "kinds": [{"kind": "missed", "target": "101"},
//!            {"kind": "voicemail", "mailbox": "general", "message_id": 9},
//!            {"kind": "abandoned", "queue": "sales", "position": 3},
//!            {"kind": "callback_requested", "queue": "sales"}],
//!  "recordings": [9], "newest_recording": 9, "last_call_id": "0b6c1f2e-...",
//!  "assigned": {"kind": "extension", "value": "104", "why": "responsible manager (from history)"},
//!  "closed": null}
//! ```
//!
//! `assigned.kind` is `extension`, `mailbox`, `queue`, or `nobody` (with `value` null);
//! `closed`, once closed, is `{"at", "by", "how", "call_id"}` with `how` one of `by hand`,
//! `answered inbound call`, `answered outbound call` (`call_id` null by hand). Times are
//! written like the call list's.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::Extensions;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sb_store::{HandClosing, TaskFilter};
use sb_voicemail::tasks::{Assignee, Closing, Direction, MissedKind, Task, TaskState};
use serde::{Deserialize, Serialize};

use crate::call_view::time;
use crate::json::JsonError;
use crate::routes::ApiState;

/// Who a closing is put down to when the request names nobody.
const DEFAULT_CLOSER: &str = "api";

/// The query string of `GET /api/tasks`, read as text so a bad value gets a message naming
/// the parameter.
#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    state: Option<String>,
    assigned: Option<String>,
    limit: Option<String>,
}

/// The body of `POST /api/tasks/{id}/close`; the body itself may be left out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CloseRequest {
    /// Who closed it, kept with the task.
    #[serde(default)]
    by: Option<String>,
}

/// A list in an object, like every API list, so fields can be added later.
#[derive(Serialize)]
struct TaskList<'a> {
    tasks: Vec<TaskView<'a>>,
}

/// The answer to a closing: the task as it is now.
#[derive(Serialize)]
struct Closed<'a> {
    task: TaskView<'a>,
}

/// The JSON form of a [`Task`] (see the module documentation).
#[derive(Serialize)]
struct TaskView<'a> {
    id: Option<i64>,
    number: &'a str,
    name: Option<&'a str>,
    state: &'static str,
    first_at: String,
    last_at: String,
    attempts: u32,
    longest_wait_ms: u64,
    kinds: Vec<KindView<'a>>,
    recordings: &'a [i64],
    newest_recording: Option<i64>,
    last_call_id: Option<&'a str>,
    assigned: AssignedView<'a>,
    closed: Option<ClosedView<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum KindView<'a> {
    Voicemail {
        mailbox: &'a str,
        message_id: i64,
    },
    Missed {
        target: &'a str,
    },
    Abandoned {
        queue: &'a str,
        position: Option<u32>,
    },
    CallbackRequested {
        queue: &'a str,
    },
}

#[derive(Serialize)]
struct AssignedView<'a> {
    kind: &'static str,
    value: Option<&'a str>,
    why: &'a str,
}

#[derive(Serialize)]
struct ClosedView<'a> {
    at: String,
    by: &'a str,
    how: &'static str,
    call_id: Option<&'a str>,
}

impl<'a> TaskView<'a> {
    fn new(task: &'a Task) -> TaskView<'a> {
        let kinds = task
            .kinds
            .iter()
            .map(|kind| match kind {
                MissedKind::Voicemail {
                    mailbox,
                    message_id,
                } => KindView::Voicemail {
                    mailbox,
                    message_id: *message_id,
                },
                MissedKind::NoAnswer { target } => KindView::Missed { target },
                MissedKind::QueueAbandoned { queue, position } => KindView::Abandoned {
                    queue,
                    position: *position,
                },
                MissedKind::CallbackRequested { queue } => KindView::CallbackRequested { queue },
            })
            .collect();
        let (kind, value) = match &task.assigned.to {
            Assignee::Person(extension) => ("extension", Some(extension.as_str())),
            Assignee::Mailbox(mailbox) => ("mailbox", Some(mailbox.as_str())),
            Assignee::Queue(queue) => ("queue", Some(queue.as_str())),
            Assignee::Unassigned => ("nobody", None),
        };
        let closed = match &task.state {
            TaskState::Open => None,
            TaskState::Closed { at, by, how } => {
                let (how, call_id) = match how {
                    Closing::ByHand => ("by hand", None),
                    Closing::Answered { direction, call_id } => (
                        match direction {
                            Direction::Inbound => "answered inbound call",
                            Direction::Outbound => "answered outbound call",
                        },
                        Some(call_id.as_str()),
                    ),
                };
                Some(ClosedView {
                    at: time(*at),
                    by,
                    how,
                    call_id,
                })
            }
        };
        TaskView {
            id: task.id,
            number: &task.number,
            name: task.name.as_deref(),
            state: if closed.is_some() { "closed" } else { "open" },
            first_at: time(task.first_at),
            last_at: time(task.last_at),
            attempts: task.attempts,
            longest_wait_ms: u64::try_from(task.longest_wait.as_millis()).unwrap_or(u64::MAX),
            kinds,
            recordings: &task.recordings,
            newest_recording: task.newest_recording,
            last_call_id: task.call_ids.last().map(String::as_str),
            assigned: AssignedView {
                kind,
                value,
                why: &task.assigned.why,
            },
            closed,
        }
    }
}

/// `GET /api/tasks?state=open|all&assigned=WHO&limit=N`.
pub(super) async fn list(
    State(state): State<ApiState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, JsonError> {
    let Query(query) = query
        .map_err(|rejection| JsonError::rejected(rejection.status(), rejection.body_text()))?;
    let open_only = match query.state.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(other) => {
            return Err(JsonError::bad_request(format!(
                "state must be open or all, not {other:?}"
            )))
        }
    };
    let filter = match query.assigned.as_deref() {
        Some(who) => TaskFilter::assigned(who, open_only)
            .map_err(|e| JsonError::bad_request(format!("assigned: {e}")))?,
        None if open_only => TaskFilter::Open,
        None => TaskFilter::All,
    };
    let limit = super::calls::limit(query.limit.as_deref())?;
    let cannot_read =
        |err: sb_store::StoreError| JsonError::internal("cannot read callback tasks", &err);
    let rows = state
        .store
        .tasks(&filter, limit)
        .await
        .map_err(cannot_read)?;
    let tasks = rows
        .iter()
        .map(sb_store::TaskRow::to_task)
        .collect::<Result<Vec<_>, _>>()
        .map_err(cannot_read)?;
    let tasks = tasks.iter().map(TaskView::new).collect();
    Ok(Json(TaskList { tasks }).into_response())
}

/// `POST /api/tasks/{id}/close`: closes the task by hand now (the server's clock), by the
/// body's `by` or `api`. 404 for an unknown task, 409 for one closed already (the first
/// closing counts; the message says by whom).
pub(super) async fn close(
    State(state): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
    extensions: Extensions,
    body: Result<Option<Json<CloseRequest>>, JsonRejection>,
) -> Result<Response, JsonError> {
    super::control::local_only(&extensions)?;
    let Path(id) =
        id.map_err(|rejection| JsonError::rejected(rejection.status(), rejection.body_text()))?;
    let body =
        body.map_err(|rejection| JsonError::rejected(rejection.status(), rejection.body_text()))?;
    let by = body
        .and_then(|Json(request)| request.by)
        .filter(|by| !by.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_CLOSER.to_owned());
    let closing = state
        .store
        .close_task_by_hand(id, &by, chrono::Utc::now())
        .await
        .map_err(|err| JsonError::internal("cannot close the callback task", &err))?;
    match closing {
        HandClosing::Closed(task) => {
            tracing::info!(task = id, number = %task.number, %by, "callback task closed by hand (API)");
            Ok(Json(Closed {
                task: TaskView::new(&task),
            })
            .into_response())
        }
        HandClosing::AlreadyClosed(task) => Err(JsonError::conflict(format!(
            "callback task {id} is already {}",
            task.state
        ))),
        HandClosing::Unknown => Err(JsonError::not_found(format!("no callback task {id}"))),
    }
}
