//! Splitting an SDP body into `x=value` lines, leniently: LF or CRLF endings, blank lines and
//! trailing blanks are accepted, and values are kept as bytes, so a line the PBX only passes
//! on (a session name in Latin-1, say) need not be UTF-8.

use crate::SdpError;

/// The longest SDP body accepted; real ones are a few hundred bytes to a few KiB.
pub(crate) const MAX_SDP_LEN: usize = 64 * 1024;

/// One `x=value` line, borrowed from the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// Counting from 1, blank lines included, for error messages.
    pub number: usize,
    /// The type letter (`v`, `o`, `m`, `a`, ...).
    pub kind: u8,
    /// What follows `=`, trailing blanks removed.
    pub value: &'a [u8],
}

impl<'a> Line<'a> {
    /// The value as text, for the lines the PBX must understand.
    pub fn text(&self) -> Result<&'a str, SdpError> {
        std::str::from_utf8(self.value)
            .map_err(|_| SdpError::malformed(self.number, "not UTF-8 text"))
    }

    /// For `a=` lines: the attribute name and, after `:`, its value.
    pub fn attribute(&self) -> (&'a [u8], Option<&'a [u8]>) {
        match self.value.iter().position(|&b| b == b':') {
            Some(colon) => (&self.value[..colon], Some(&self.value[colon + 1..])),
            None => (self.value, None),
        }
    }
}

/// Splits `body` into lines. The first line must be `v=0`; control characters other than tab
/// are refused, because a line passed on verbatim must not smuggle in a line break.
pub(crate) fn split(body: &[u8]) -> Result<Vec<Line<'_>>, SdpError> {
    if body.len() > MAX_SDP_LEN {
        return Err(SdpError::TooLarge {
            len: body.len(),
            max: MAX_SDP_LEN,
        });
    }
    let mut lines = Vec::new();
    for (index, raw) in body.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        let raw = raw.trim_ascii_end();
        if raw.is_empty() {
            continue;
        }
        if raw.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(SdpError::malformed(number, "control character"));
        }
        let (kind, value) = match raw {
            [kind @ b'a'..=b'z', b'=', value @ ..] => (*kind, value),
            _ => return Err(SdpError::malformed(number, "expected <letter>=<value>")),
        };
        if lines.is_empty() && (kind != b'v' || value != b"0") {
            return Err(SdpError::malformed(number, "SDP must start with v=0"));
        }
        lines.push(Line {
            number,
            kind,
            value,
        });
    }
    if lines.is_empty() {
        return Err(SdpError::malformed(0, "empty SDP"));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_lf_and_blank_lines_are_accepted() {
        let lines = split(b"v=0\r\ns=- \r\n\r\nt=0 0\n").unwrap();
        let kinds: Vec<_> = lines.iter().map(|l| (l.number, l.kind, l.value)).collect();
        assert_eq!(
            kinds,
            [(1, b'v', &b"0"[..]), (2, b's', b"-"), (4, b't', b"0 0")]
        );
    }

    #[test]
    fn non_utf8_values_split_but_do_not_read_as_text() {
        let lines = split(b"v=0\r\ns=caf\xe9\r\n").unwrap();
        assert_eq!(lines[1].value, b"caf\xe9");
        assert!(matches!(
            lines[1].text(),
            Err(SdpError::Malformed { line: 2, .. })
        ));
    }

    #[test]
    fn attributes_split_at_the_first_colon() {
        let lines = split(b"v=0\na=rtpmap:0 PCMU/8000\na=sendrecv\na=x:a:b").unwrap();
        assert_eq!(
            lines[1].attribute(),
            (&b"rtpmap"[..], Some(&b"0 PCMU/8000"[..]))
        );
        assert_eq!(lines[2].attribute(), (&b"sendrecv"[..], None));
        assert_eq!(lines[3].attribute(), (&b"x"[..], Some(&b"a:b"[..])));
    }

    #[test]
    fn bad_bodies_name_the_line() {
        let cases: [(&[u8], usize); 7] = [
            (b"", 0),
            (b"\r\n\r\n", 0),
            (b"s=-\r\n", 1),
            (b"v=1\r\n", 1),
            (b"v=0\r\nhello\r\n", 2),
            (b"v=0\r\nA=b\r\n", 2),
            (b"v=0\r\ns=a\rc=IN IP4 1.2.3.4\r\n", 2),
        ];
        for (body, line) in cases {
            match split(body) {
                Err(SdpError::Malformed { line: got, .. }) => assert_eq!(got, line, "{body:?}"),
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn oversized_bodies_are_refused_before_parsing() {
        let body = vec![b'a'; MAX_SDP_LEN + 1];
        assert!(matches!(split(&body), Err(SdpError::TooLarge { .. })));
    }
}
