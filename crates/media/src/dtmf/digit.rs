//! The sixteen DTMF keys and their two names on the wire: the RFC 4733 event code and the
//! character SIP INFO bodies, dial plans and logs use.

use std::fmt;

/// One DTMF key: `0`-`9`, `*`, `#` and the rarely seen `A`-`D` of the fourth keypad column.
///
/// The same type serves RFC 4733 events and in-band tones, so an IVR does not care how a
/// digit arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digit {
    /// `0`, RFC 4733 event 0.
    Zero,
    /// `1`, event 1.
    One,
    /// `2`, event 2.
    Two,
    /// `3`, event 3.
    Three,
    /// `4`, event 4.
    Four,
    /// `5`, event 5.
    Five,
    /// `6`, event 6.
    Six,
    /// `7`, event 7.
    Seven,
    /// `8`, event 8.
    Eight,
    /// `9`, event 9.
    Nine,
    /// `*`, event 10.
    Star,
    /// `#`, event 11.
    Hash,
    /// `A`, event 12.
    A,
    /// `B`, event 13.
    B,
    /// `C`, event 14.
    C,
    /// `D`, event 15.
    D,
}

impl Digit {
    /// Every digit, in RFC 4733 event-code order (so `ALL[code]` has that code).
    pub const ALL: [Digit; 16] = [
        Digit::Zero,
        Digit::One,
        Digit::Two,
        Digit::Three,
        Digit::Four,
        Digit::Five,
        Digit::Six,
        Digit::Seven,
        Digit::Eight,
        Digit::Nine,
        Digit::Star,
        Digit::Hash,
        Digit::A,
        Digit::B,
        Digit::C,
        Digit::D,
    ];

    /// The digit an RFC 4733 event code (RFC 4733 §3.2, table 7) stands for; `None` for the
    /// codes above 15, which are not DTMF (flash, fax and modem tones, ...).
    pub fn from_event(code: u8) -> Option<Digit> {
        Digit::ALL.get(usize::from(code)).copied()
    }

    /// The RFC 4733 event code of this digit (0-15).
    pub fn event(self) -> u8 {
        self as u8
    }

    /// The digit a character names: `0`-`9`, `*`, `#`, and `A`-`D` in either case (dial
    /// strings and SIP INFO bodies are written both ways).
    pub fn from_char(c: char) -> Option<Digit> {
        match c.to_ascii_uppercase() {
            '*' => Some(Digit::Star),
            '#' => Some(Digit::Hash),
            c @ 'A'..='D' => Digit::from_event(c as u8 - b'A' + 12),
            c => c
                .to_digit(10)
                .and_then(|d| Digit::from_event(u8::try_from(d).ok()?)),
        }
    }

    /// The character for this digit (`A`-`D` in upper case).
    pub fn to_char(self) -> char {
        b"0123456789*#ABCD"[usize::from(self.event())] as char
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_char())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_codes_follow_rfc_4733() {
        let expected = [
            ('0', 0),
            ('1', 1),
            ('2', 2),
            ('3', 3),
            ('4', 4),
            ('5', 5),
            ('6', 6),
            ('7', 7),
            ('8', 8),
            ('9', 9),
            ('*', 10),
            ('#', 11),
            ('A', 12),
            ('B', 13),
            ('C', 14),
            ('D', 15),
        ];
        for (c, code) in expected {
            let digit = Digit::from_char(c).unwrap();
            assert_eq!(digit.event(), code, "{c}");
            assert_eq!(digit.to_char(), c);
            assert_eq!(Digit::from_event(code), Some(digit));
            assert_eq!(digit.to_string(), c.to_string());
        }
    }

    #[test]
    fn all_is_in_event_order() {
        for (code, digit) in Digit::ALL.iter().enumerate() {
            assert_eq!(usize::from(digit.event()), code);
        }
    }

    #[test]
    fn letters_are_read_in_either_case() {
        assert_eq!(Digit::from_char('a'), Some(Digit::A));
        assert_eq!(Digit::from_char('d'), Some(Digit::D));
    }

    #[test]
    fn other_characters_and_codes_are_not_digits() {
        for c in ['E', 'e', ' ', '+', 'x', '٣', ',', 'w'] {
            assert_eq!(Digit::from_char(c), None, "{c:?}");
        }
        for code in 16..=255 {
            assert_eq!(Digit::from_event(code), None, "{code}");
        }
    }
}
