//! Checks a request must pass before the PBX acts on it (RFC 3261 §8.2, §16.3).
//!
//! rsipstack already drops what it cannot parse or match to a transaction (no Via, From tag,
//! Call-ID or CSeq: there is nothing to address a response to). What reaches us is
//! answerable, so each defect found here gets its own 4xx with the cause in the reason phrase.

use rsipstack::sip::{HeadersExt, Request, Scheme};

/// A defect and the status code that reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defect {
    pub code: u16,
    pub reason: &'static str,
}

const fn bad(reason: &'static str) -> Defect {
    Defect { code: 400, reason }
}

/// The first defect of `req`, or `None` when it is well-formed enough to act on.
pub fn check_request(req: &Request) -> Option<Defect> {
    if !matches!(
        req.uri.scheme,
        Some(Scheme::Sip) | Some(Scheme::Sips) | None
    ) {
        return Some(Defect {
            code: 416,
            reason: "Unsupported URI Scheme",
        });
    }
    if let rsipstack::sip::Host::Domain(domain) = &req.uri.host_with_port.host {
        if !domain
            .to_string()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        {
            return Some(bad("Bad Request-URI host"));
        }
    }
    if req
        .headers
        .iter()
        .any(|h| h.value().chars().any(|c| c.is_control() && c != '\t'))
    {
        return Some(bad("Control character in a header"));
    }
    match req.call_id_header() {
        Ok(call_id) if !call_id.value().trim().is_empty() => {}
        _ => return Some(bad("Empty Call-ID")),
    }
    let Ok(to) = req.to_header() else {
        return Some(bad("Missing To"));
    };
    if to.uri().is_err() {
        return Some(bad("Bad To"));
    }
    match req.from_header().map(|f| f.uri()) {
        Ok(Ok(_)) => {}
        _ => return Some(bad("Bad From")),
    }
    match req.cseq_header().and_then(|c| c.method()) {
        Ok(method) if method == req.method => {}
        Ok(_) => return Some(bad("CSeq method does not match")),
        Err(_) => return Some(bad("Bad CSeq")),
    }
    if let Some(value) = req.header_value("Max-Forwards") {
        match value.parse::<u32>() {
            Ok(0) => {
                return Some(Defect {
                    code: 483,
                    reason: "Too Many Hops",
                })
            }
            Ok(_) => {}
            Err(_) => return Some(bad("Bad Max-Forwards")),
        }
    }
    let lengths = req
        .headers
        .iter()
        .filter(|h| h.name().eq_ignore_ascii_case("Content-Length"));
    for value in lengths {
        match value.value().trim().parse::<usize>() {
            Ok(len) if len == req.body.len() => {}
            _ => return Some(bad("Bad Content-Length")),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        Request::try_from(text.replace('\n', "\r\n").as_str()).expect("test request parses")
    }

    const GOOD: &str = "OPTIONS sip:101@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\nFrom: <sip:a@127.0.0.1>;tag=1\nTo: <sip:101@127.0.0.1>\nCall-ID: c1\nCSeq: 1 OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n";

    #[test]
    fn a_good_request_passes() {
        assert_eq!(check_request(&request(GOOD)), None);
    }

    #[test]
    fn cseq_method_mismatch() {
        let req = request(&GOOD.replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"));
        assert_eq!(check_request(&req).map(|d| d.code), Some(400));
    }

    #[test]
    fn missing_to() {
        let req = request(&GOOD.replace("To: <sip:101@127.0.0.1>\n", ""));
        assert_eq!(check_request(&req).map(|d| d.reason), Some("Missing To"));
    }

    #[test]
    fn conflicting_content_lengths() {
        let req =
            request(&GOOD.replace("Content-Length: 0", "Content-Length: 0\nContent-Length: 10"));
        assert_eq!(
            check_request(&req).map(|d| d.reason),
            Some("Bad Content-Length")
        );
    }

    #[test]
    fn empty_call_id_and_control_characters() {
        let req = request(&GOOD.replace("Call-ID: c1", "Call-ID: "));
        assert_eq!(check_request(&req).map(|d| d.reason), Some("Empty Call-ID"));
        let req = request(&GOOD.replace("tag=1", "tag=a\u{1}b"));
        assert_eq!(
            check_request(&req).map(|d| d.reason),
            Some("Control character in a header")
        );
    }

    #[test]
    fn broken_host_in_request_uri() {
        let req = request(&GOOD.replace("OPTIONS sip:101@127.0.0.1 ", "OPTIONS sip:[::1 "));
        assert_eq!(
            check_request(&req).map(|d| d.reason),
            Some("Bad Request-URI host")
        );
    }

    #[test]
    fn zero_max_forwards() {
        let req = request(&GOOD.replace("Max-Forwards: 70", "Max-Forwards: 0"));
        assert_eq!(check_request(&req).map(|d| d.code), Some(483));
    }
}
