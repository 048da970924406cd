//! What the API's test files share: a request sent through the router as a client sends it.

use axum::body::{to_bytes, Body};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use sb_api::{router, ApiState};
use serde_json::Value;
use tower::ServiceExt;

/// Sends `method uri` with a JSON `body`, as if from `peer` (`None`: no peer known).
pub async fn send(
    state: ApiState,
    method: &str,
    uri: &str,
    body: Option<Value>,
    peer: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header(CONTENT_TYPE, "application/json");
    }
    let mut request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    if let Some(peer) = peer {
        let addr: std::net::SocketAddr = peer.parse().expect("peer address");
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    let response = router(state).oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}
