//! `/api/mailboxes/{box}/greetings/{kind}`: a voicemail greeting uploaded as a WAV file
//! (`PUT`, the file as the body) or removed (`DELETE`), as `switchboard greeting` does.
//!
//! `kind` is `unavailable`, `busy`, `temporary` or `name`; the box must be one of the
//! configuration in force. The file may be PCM or G.711 at any rate, mono or stereo: the
//! store converts it to what the phone's recorder writes and puts it in place atomically
//! (`sb_store::Store::install_greeting`), and the next caller hears it. These change what
//! callers hear, so like the other writes they answer only requests from the PBX's own
//! machine.
//!
//! Answers: 204 when done (a `DELETE` of a greeting that is not there too, so a retry
//! succeeds); 403 from elsewhere; 404 for an unknown box or kind; 415 for a body that says it
//! is something else than WAV; 413 for a body over
//! [`MAX_GREETING_BYTES`](sb_store::MAX_GREETING_BYTES); 422 for audio the store refuses,
//! the message naming why (not WAV, its encoding, damaged, too short, too long).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Extensions, HeaderMap, StatusCode};
use sb_store::{parse_greeting_kind, GreetingError};
use sb_voicemail::GreetingKind;

use crate::json::JsonError;
use crate::routes::ApiState;

/// The media types a WAV file is sent as; `application/octet-stream` for clients that do
/// not know (a body without a type is taken too, as `curl -T` sends it).
const WAV_TYPES: [&str; 5] = [
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "application/octet-stream",
];

/// `PUT /api/mailboxes/{box}/greetings/{kind}`.
pub(super) async fn put(
    State(state): State<ApiState>,
    path: Result<Path<(String, String)>, PathRejection>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, JsonError> {
    let (mailbox, kind) = target(&state, path, &extensions)?;
    check_content_type(&headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => JsonError::too_large(GreetingError::TooLarge.to_string()),
        status => JsonError::rejected(status, rejection.body_text()),
    })?;
    let bytes = body.len();
    match state.store.install_greeting(&mailbox, kind, body).await {
        Ok(length) => {
            tracing::info!(%mailbox, ?kind, bytes, secs = length.as_secs_f64(), "greeting uploaded (API)");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(GreetingError::Store(err)) => {
            Err(JsonError::internal("cannot store the greeting", &err))
        }
        Err(err @ GreetingError::TooLarge) => Err(JsonError::too_large(err.to_string())),
        Err(err) => Err(JsonError::unprocessable(err.to_string())),
    }
}

/// `DELETE /api/mailboxes/{box}/greetings/{kind}`.
pub(super) async fn delete(
    State(state): State<ApiState>,
    path: Result<Path<(String, String)>, PathRejection>,
    extensions: Extensions,
) -> Result<StatusCode, JsonError> {
    let (mailbox, kind) = target(&state, path, &extensions)?;
    let removed = state
        .store
        .remove_greeting(&mailbox, kind)
        .await
        .map_err(|err| JsonError::internal("cannot remove the greeting", &err))?;
    tracing::info!(%mailbox, ?kind, removed, "greeting removal (API)");
    Ok(StatusCode::NO_CONTENT)
}

/// The box and kind the path names, once the request may change them and both exist.
fn target(
    state: &ApiState,
    path: Result<Path<(String, String)>, PathRejection>,
    extensions: &Extensions,
) -> Result<(String, GreetingKind), JsonError> {
    super::control::local_only(extensions)?;
    let Path((mailbox, kind)) =
        path.map_err(|rejection| JsonError::rejected(rejection.status(), rejection.body_text()))?;
    let kind = parse_greeting_kind(&kind).map_err(|e| JsonError::not_found(e.to_string()))?;
    if !state.control.has_mailbox(&mailbox) {
        return Err(JsonError::not_found(format!(
            "no voicemail box {mailbox:?} in the configuration"
        )));
    }
    Ok((mailbox, kind))
}

/// Refuses a body whose declared type is not one a WAV file is sent as.
fn check_content_type(headers: &HeaderMap) -> Result<(), JsonError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let media_type = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if WAV_TYPES.contains(&media_type.as_str()) {
        Ok(())
    } else {
        Err(JsonError::unsupported_media_type(format!(
            "a greeting is a WAV file, sent as {}; not {media_type:?}",
            WAV_TYPES.join(", ")
        )))
    }
}
