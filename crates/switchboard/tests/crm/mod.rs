//! Local CRM servers for tests/responsible.rs. Each test starts its own, on a loopback port
//! from [`ports`], speaking the CRM's documented API over real HTTP/1.1 (one request per
//! connection), so the PBX's adapters run exactly as they would against the cloud service.
//! Every request is kept, for the test to check what the PBX asked and with which
//! credentials.
//!
//! - [`amocrm`]: API v4, `GET /api/v4/contacts?query=<last ten digits>` with a Bearer token.
//! - [`bitrix24`]: REST through an inbound webhook, `crm.duplicate.findbycomm` then
//!   `crm.contact.get`.
//! - [`megaplan`]: API v3, `GET /api/v3/contractor?<JSON>` with a Bearer token.
//! - [`CrmServer::start`] with any handler: a generic in-house service, or a CRM that fails.

use crate::common::ports;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The customer in these tests, as the PBX sends it to a CRM (E.164).
pub const CUSTOMER_E164: &str = "+74951234567";
/// amoCRM's long-lived token.
pub const AMO_TOKEN: &str = "amo-s3cret";
/// The secret part of the Bitrix24 webhook URL.
pub const BITRIX_TOKEN: &str = "b24-w3bh00k-s3cret";
/// Megaplan's API v3 access token.
pub const MEGAPLAN_TOKEN: &str = "mp-acc3ss-s3cret";

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string as sent (still percent-encoded).
    pub raw_query: String,
    headers: Vec<(String, String)>,
}

impl Request {
    /// A header's value; names compare without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether it carries `Authorization: Bearer <token>`.
    pub fn bearer(&self, token: &str) -> bool {
        self.header("authorization") == Some(&format!("Bearer {token}"))
    }

    /// A form-encoded query parameter (`values[]` of Bitrix24), decoded.
    pub fn param(&self, key: &str) -> Option<String> {
        self.raw_query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k, true) == key).then(|| decode(v, true))
        })
    }

    /// The whole query decoded as one JSON object (Megaplan's API v3).
    pub fn json_query(&self) -> Value {
        let text = decode(&self.raw_query, false);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("the query {text:?} is not JSON: {e}"))
    }
}

/// Percent-decoding; `plus` turns `+` into a space (form encoding).
fn decode(text: &str, plus: bool) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte as u8);
                i += 3;
                continue;
            }
            (None, b'+') if plus => out.push(b' '),
            (None, byte) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the server answers.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    /// A body as it is, JSON or not (a broken answer).
    pub fn text(status: u16, content_type: &'static str, body: &str) -> Reply {
        Reply {
            status,
            content_type,
            body: body.to_owned(),
        }
    }

    /// No body: `204 No Content`, or an error status alone.
    pub fn empty(status: u16) -> Reply {
        Reply::text(status, "text/plain", "")
    }

    fn bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            204 => "No Content",
            400 => "Bad Request",
            401 => "Unauthorized",
            404 => "Not Found",
            500 => "Internal Server Error",
            _ => "Status",
        };
        let mut head = format!("HTTP/1.1 {} {reason}\r\nConnection: close\r\n", self.status);
        if self.status != 204 {
            head.push_str(&format!(
                "Content-Type: {}\r\nContent-Length: {}\r\n",
                self.content_type,
                self.body.len()
            ));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if self.status != 204 {
            bytes.extend_from_slice(self.body.as_bytes());
        }
        bytes
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; it lives as long as the test process.
pub struct CrmServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl CrmServer {
    /// Serves `handler`, each answer sent `delay` after its request was read.
    pub fn start(
        delay: Duration,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> CrmServer {
        let port = ports::port();
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("bind the CRM server on {port}: {e}"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let kept = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let handler = handler.clone();
                let kept = kept.clone();
                std::thread::spawn(move || serve(stream, delay, &*handler, &kept));
            }
        });
        CrmServer {
            url: format!("http://127.0.0.1:{port}"),
            requests,
        }
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests whose path ends with `suffix`.
    pub fn asked(&self, suffix: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with(suffix))
            .collect()
    }
}

fn serve(stream: TcpStream, delay: Duration, handler: &Handler, kept: &Mutex<Vec<Request>>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default();
    let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(n) if n > 2 => {
                if let Some((name, value)) = header.trim_end().split_once(':') {
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
            }
            _ => break,
        }
    }
    let request = Request {
        method,
        path: path.to_owned(),
        raw_query: raw_query.to_owned(),
        headers,
    };
    kept.lock().unwrap().push(request.clone());
    std::thread::sleep(delay);
    let reply = handler(&request);
    let mut stream = stream;
    stream.write_all(&reply.bytes()).ok();
}

/// amoCRM: the customer's contact 123 (phone `+7 (495) 123-45-67`) is the responsibility
/// of `user`; other numbers: 204. Answers after `delay`.
pub fn amocrm(user: u64, delay: Duration) -> CrmServer {
    CrmServer::start(delay, move |request| {
        if !request.bearer(AMO_TOKEN) {
            return Reply::json(
                401,
                json!({"title": "Unauthorized", "type": "https://httpstatus.es/401",
                       "status": 401, "detail": "Invalid token"}),
            );
        }
        let known = request.path == "/api/v4/contacts"
            && request.param("query").as_deref() == Some("4951234567");
        if !known {
            return Reply::empty(204);
        }
        Reply::json(
            200,
            json!({"_page": 1, "_embedded": {"contacts": [{
                "id": 123, "name": "Customer", "responsible_user_id": user,
                "custom_fields_values": [{"field_id": 1, "field_code": "PHONE",
                    "values": [{"value": "+7 (495) 123-45-67", "enum_code": "WORK"}]}]
            }]}}),
        )
    })
}

/// The inbound webhook URL of [`bitrix24`]'s portal.
pub fn bitrix24_webhook(server: &CrmServer) -> String {
    format!("{}/rest/1/{BITRIX_TOKEN}/", server.url)
}

/// Bitrix24: `crm.duplicate.findbycomm` finds the customer's phone in contact 4, whose
/// `ASSIGNED_BY_ID` (`crm.contact.get`) is `user`. Other numbers: `{"result": []}`.
pub fn bitrix24(user: &'static str) -> CrmServer {
    CrmServer::start(Duration::ZERO, move |request| {
        let prefix = format!("/rest/1/{BITRIX_TOKEN}/");
        let Some(method) = request.path.strip_prefix(&prefix) else {
            return Reply::json(
                401,
                json!({"error": "INVALID_CREDENTIALS",
                       "error_description": "Invalid request credentials"}),
            );
        };
        let result = match method {
            "crm.duplicate.findbycomm.json" => {
                let phone = request.param("type").as_deref() == Some("PHONE")
                    && request.param("values[]").as_deref() == Some(CUSTOMER_E164);
                if phone {
                    json!({"CONTACT": [4]})
                } else {
                    json!([])
                }
            }
            "crm.contact.get.json" if request.param("id").as_deref() == Some("4") => json!({
                "ID": "4", "NAME": "Ivan", "LAST_NAME": "Petrov", "ASSIGNED_BY_ID": user,
                "HAS_PHONE": "Y"
            }),
            _ => {
                return Reply::json(
                    404,
                    json!({"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}),
                )
            }
        };
        Reply::json(
            200,
            json!({"result": result, "time": {"start": 1_700_000_000.0, "duration": 0.01}}),
        )
    })
}

/// Megaplan: the search for the customer's last ten digits finds client 1000005 (phone
/// `8 (495) 123-45-67`), whose responsibles are a group and then `employee`. Other
/// searches: no data.
pub fn megaplan(employee: &'static str) -> CrmServer {
    CrmServer::start(Duration::ZERO, move |request| {
        if !request.bearer(MEGAPLAN_TOKEN) {
            return Reply::json(
                401,
                json!({"meta": {"status": 401,
                       "errors": [{"field": null, "message": "Unauthorized"}]}, "data": {}}),
            );
        }
        if request.path != "/api/v3/contractor" {
            return Reply::json(
                404,
                json!({"meta": {"status": 404, "errors": []}, "data": null}),
            );
        }
        let params = request.json_query();
        let data = if params["q"] == "4951234567" {
            json!([{
                "contentType": "ContractorHuman", "id": "1000005",
                "firstName": "Ivan", "lastName": "Petrov",
                "contactInfo": [{"contentType": "ContactInfo", "type": "phone",
                                 "value": "8 (495) 123-45-67", "isMain": true}],
                "responsibles": [{"contentType": "Group", "id": "3"},
                                 {"contentType": "Employee", "id": employee}]
            }])
        } else {
            json!([])
        };
        Reply::json(
            200,
            json!({"meta": {"status": 200, "errors": [],
                            "pagination": {"count": 1, "limit": 10}}, "data": data}),
        )
    })
}
