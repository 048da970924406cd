//! The one HTTP client every CRM adapter shares: rustls on the `ring` provider, a time
//! limit per request, and errors stripped of URLs.
//!
//! Why ring: reqwest's default `rustls` feature brings aws-lc-rs, a C library built with
//! cmake; the CI machine has 2 cores. reqwest is built with `rustls-no-provider` and is
//! handed a rustls config made here, so no process-wide provider has to be installed.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{StatusCode, Url};
use sb_secret::Secret;
use serde::de::DeserializeOwned;

use super::SourceError;

/// Answers larger than this are refused: a contact search answers a few kilobytes.
const MAX_BODY: usize = 1 << 20;

/// A shared HTTP client with a per-request time limit.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
}

impl HttpClient {
    /// A client whose every request gives up after `timeout` (connection included).
    pub fn new(timeout: Duration) -> Result<Self, SourceError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
            .map_err(|e| SourceError::Setup(e.to_string()))?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SourceError::Setup(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SourceError::Setup(error_text(&e.without_url())))?;
        Ok(HttpClient { client })
    }

    /// GETs `url` and reads the body; any status is returned, for the adapter to judge.
    pub(crate) async fn get(
        &self,
        url: Url,
        bearer: Option<&Secret>,
    ) -> Result<(StatusCode, Vec<u8>), SourceError> {
        let mut request = self.client.get(url).header(ACCEPT, "application/json");
        if let Some(token) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {}", token.expose()));
        }
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(SourceError::Protocol(format!(
                    "answer larger than {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }

    /// GETs JSON: `None` for 204 No Content and 404, an error for other failures.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        bearer: Option<&Secret>,
    ) -> Result<Option<T>, SourceError> {
        let (status, body) = self.get(url, bearer).await?;
        if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(SourceError::Status(status.as_u16()));
        }
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| SourceError::Protocol(e.to_string()))
    }
}

fn transport(error: reqwest::Error) -> SourceError {
    if error.is_timeout() {
        SourceError::Timeout
    } else {
        SourceError::Transport(error_text(&error.without_url()))
    }
}

/// The error and its causes on one line (`error sending request: connection refused`).
fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = inner.source();
    }
    text
}

/// Parses a configured base URL, naming the key on failure and never echoing a secret.
pub(crate) fn base_url(text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".to_owned());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_with_ring_and_trims_urls() {
        HttpClient::new(Duration::from_millis(800)).expect("client");
        assert_eq!(
            base_url("https://x.amocrm.ru").unwrap().as_str(),
            "https://x.amocrm.ru/"
        );
        assert!(base_url("ftp://x").is_err());
        assert!(base_url("x.amocrm.ru").is_err());
    }
}
