//! Digits sent as SIP INFO, by phones and gateways configured for it instead of RFC 4733:
//! `application/dtmf-relay` (`Signal=5` and `Duration=160` lines, Cisco's format that most
//! phones copied) and `application/dtmf` (the digit alone).

/// The key an INFO `request` carries, read by its Content-Type: see [`digit`].
pub(crate) fn digit_of(request: &rsipstack::sip::Request) -> Option<char> {
    let content_type = request
        .headers
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case("content-type"))
        .map(|h| h.value().to_string())
        .unwrap_or_default();
    digit(&content_type, &request.body)
}

/// The key pressed, if the INFO carries one this PBX understands; anything else (another
/// package, a malformed body, a flash hook) is `None`, and the INFO is still answered 200.
pub(crate) fn digit(content_type: &str, body: &[u8]) -> Option<char> {
    let body = std::str::from_utf8(body).ok()?;
    let media_type = content_type.split(';').next()?.trim();
    let signal = if media_type.eq_ignore_ascii_case("application/dtmf-relay") {
        body.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("signal")
                .then(|| value.trim())
        })?
    } else if media_type.eq_ignore_ascii_case("application/dtmf") {
        body.trim()
    } else {
        return None;
    };
    let mut chars = signal.chars();
    let key = chars.next()?.to_ascii_uppercase();
    let valid = key.is_ascii_digit() || matches!(key, '*' | '#' | 'A'..='D');
    (valid && chars.next().is_none()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::digit;

    #[test]
    fn dtmf_relay_signal_lines() {
        assert_eq!(
            digit("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n"),
            Some('5')
        );
        assert_eq!(
            digit("Application/DTMF-Relay", b"Duration= 100\nsignal = #\n"),
            Some('#')
        );
        assert_eq!(digit("application/dtmf-relay", b"Signal=*"), Some('*'));
    }

    #[test]
    fn dtmf_body_is_the_digit() {
        assert_eq!(digit("application/dtmf", b"7"), Some('7'));
        assert_eq!(
            digit("application/dtmf; charset=utf-8", b" d\r\n"),
            Some('D')
        );
    }

    #[test]
    fn anything_else_is_no_digit() {
        assert_eq!(digit("application/dtmf-relay", b"Signal=16\r\n"), None);
        assert_eq!(digit("application/dtmf-relay", b"Duration=160"), None);
        assert_eq!(digit("application/dtmf", b"x"), None);
        assert_eq!(digit("application/dtmf", b""), None);
        assert_eq!(digit("application/sdp", b"5"), None);
        assert_eq!(digit("application/dtmf", &[0xff, 0xfe]), None);
    }
}
