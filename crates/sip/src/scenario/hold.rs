//! Telling a hold from an SDP offer, so the party left waiting hears music instead of
//! silence: `a=sendonly` or `a=inactive` (RFC 3264 §8.4), or the older `c=0.0.0.0`
//! (RFC 2543) that some phones still send.

/// Whether the offer puts the other side on hold.
pub(crate) fn is_hold(sdp: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(sdp) else {
        return false;
    };
    text.lines().map(str::trim).any(|line| {
        matches!(line, "a=sendonly" | "a=inactive")
            || line
                .strip_prefix("c=IN IP4 ")
                .is_some_and(|address| address.split('/').next() == Some("0.0.0.0"))
    })
}

#[cfg(test)]
mod tests {
    use super::is_hold;

    const TALK: &str = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

    #[test]
    fn sendonly_inactive_and_zero_address_are_holds() {
        assert!(is_hold(format!("{TALK}a=sendonly\r\n").as_bytes()));
        assert!(is_hold(format!("{TALK}a=inactive\r\n").as_bytes()));
        let old_style = TALK.replace("c=IN IP4 192.0.2.1", "c=IN IP4 0.0.0.0");
        assert!(is_hold(old_style.as_bytes()));
    }

    #[test]
    fn talking_and_garbage_are_not() {
        assert!(!is_hold(TALK.as_bytes()));
        assert!(!is_hold(format!("{TALK}a=sendrecv\r\n").as_bytes()));
        assert!(!is_hold(format!("{TALK}a=recvonly\r\n").as_bytes()));
        assert!(!is_hold(&[0xff, 0x00, 0x41]));
    }
}
