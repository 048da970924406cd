//! The error answer every `/api` endpoint gives: a status and `{"error": "..."}`, so a script
//! reads one shape whatever went wrong.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An HTTP error answer with a message for the API's user.
#[derive(Debug)]
pub(crate) struct JsonError {
    status: StatusCode,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl JsonError {
    /// The request was wrong; `message` says what to change (which parameter, what is allowed).
    pub(crate) fn bad_request(message: impl Into<String>) -> JsonError {
        JsonError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// An extractor refused the request (a query string or path that does not parse); its
    /// status and text, in the API's JSON shape rather than axum's plain text.
    pub(crate) fn rejected(status: StatusCode, message: String) -> JsonError {
        JsonError { status, message }
    }

    /// The request may not do this from where it came.
    pub(crate) fn forbidden(message: impl Into<String>) -> JsonError {
        JsonError {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    /// The request was understood but cannot be carried out (a configuration refused).
    pub(crate) fn unprocessable(message: impl Into<String>) -> JsonError {
        JsonError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
        }
    }

    /// The body is larger than the endpoint takes; `message` says the limit.
    pub(crate) fn too_large(message: impl Into<String>) -> JsonError {
        JsonError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: message.into(),
        }
    }

    /// The body is of a type the endpoint does not take; `message` names those it does.
    pub(crate) fn unsupported_media_type(message: impl Into<String>) -> JsonError {
        JsonError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: message.into(),
        }
    }

    /// The request conflicts with the state of what it names (a task closed already).
    pub(crate) fn conflict(message: impl Into<String>) -> JsonError {
        JsonError {
            status: StatusCode::CONFLICT,
            message: message.into(),
        }
    }

    /// The request named something that does not exist.
    pub(crate) fn not_found(message: impl Into<String>) -> JsonError {
        JsonError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// The server failed. The client gets `what` alone (`cannot read call records`); the cause,
    /// which may name files and SQL, goes to the log for the operator.
    pub(crate) fn internal(what: &'static str, cause: &dyn std::error::Error) -> JsonError {
        tracing::error!(error = %cause, "HTTP API: {what}");
        JsonError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: what.to_owned(),
        }
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}
