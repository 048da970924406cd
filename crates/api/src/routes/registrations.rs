//! `/api/registrations`: the phones registered now, from the live view.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

use crate::live::RegistrationView;
use crate::routes::ApiState;

/// Wrapped in an object, like every API list, so fields can be added without breaking clients.
#[derive(Serialize)]
struct RegistrationList {
    registrations: Vec<RegistrationView>,
}

/// `GET /api/registrations`, sorted by extension and contact: the registrar keeps them in no
/// particular order, and a list that reshuffles between two requests is hard to compare by eye.
pub(super) async fn list(State(state): State<ApiState>) -> impl IntoResponse {
    let mut registrations = state.live.snapshot().registrations;
    registrations.sort_by(|a, b| (&a.extension, &a.contact).cmp(&(&b.extension, &b.contact)));
    Json(RegistrationList { registrations })
}
