//! A minimal HTTP/1.1 client for the PBX's API: one request per connection, enough for
//! JSON endpoints (chunked bodies are joined).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// `method path` with an optional JSON `body`; the status code and the body.
pub fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let body = body.unwrap_or("");
    let content_type = (!body.is_empty()).then_some("application/json");
    send(addr, method, path, content_type, body.as_bytes())
}

/// `GET path`; the status code and the body.
pub fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(addr, "GET", path, None)
}

/// `PUT path` with a binary `body` of `content_type` (a greeting's WAV file); the status
/// code and the body.
pub fn put(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    send(addr, "PUT", path, Some(content_type), body)
}

/// `method path` with `body` (of `content_type`, when given); the status code and the
/// body, a chunked one joined.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the HTTP API");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let content = content_type.map_or(String::new(), |t| format!("Content-Type: {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{content}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = match text.split_once("\r\n\r\n") {
        Some((head, body)) if head.to_ascii_lowercase().contains("chunked") => dechunk(body),
        Some((_, body)) => body.to_owned(),
        None => String::new(),
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
