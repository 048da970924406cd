//! Serving the router on a listener until told to stop.

use std::future::Future;

use tokio::net::TcpListener;

use crate::error::ApiError;
use crate::routes::{router, ApiState};

/// Serves every endpoint on `listener` (HTTP/1.1) until `shutdown` completes, then stops
/// gracefully: no new connections are accepted, requests in progress are answered, idle
/// keep-alive connections are closed, and only then does `serve` return `Ok(())`.
///
/// The caller binds the listener, so a busy `--http-listen` port is reported at startup by
/// the binary, before anything else is started, and tests can bind port 0.
pub async fn serve(
    listener: TcpListener,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let addr = listener.local_addr().map_err(ApiError::ListenerAddress)?;
    tracing::info!(%addr, "HTTP API listening");
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| ApiError::Serve { addr, source })?;
    tracing::info!(%addr, "HTTP API stopped");
    Ok(())
}
