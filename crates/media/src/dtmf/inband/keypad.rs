//! The DTMF keypad: each key sounds one row (low-group) and one column (high-group) frequency
//! (ITU-T Q.23).
//!
//! ```text
//!          1209  1336  1477  1633 Hz
//!   697     1     2     3     A
//!   770     4     5     6     B
//!   852     7     8     9     C
//!   941     *     0     #     D
//! ```

use crate::dtmf::Digit;

/// The low-group (row) frequencies, in Hz.
pub(crate) const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// The high-group (column) frequencies, in Hz.
pub(crate) const COLUMNS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// The keys by row, then column.
const KEYS: [[Digit; 4]; 4] = [
    [Digit::One, Digit::Two, Digit::Three, Digit::A],
    [Digit::Four, Digit::Five, Digit::Six, Digit::B],
    [Digit::Seven, Digit::Eight, Digit::Nine, Digit::C],
    [Digit::Star, Digit::Zero, Digit::Hash, Digit::D],
];

/// The key at `row` and `column` (each 0-3).
pub(crate) fn key(row: usize, column: usize) -> Digit {
    KEYS[row][column]
}

/// The (row, column) frequencies of `digit`, in Hz.
pub(crate) fn frequencies(digit: Digit) -> (f64, f64) {
    let (row, column) = match digit {
        Digit::One => (0, 0),
        Digit::Two => (0, 1),
        Digit::Three => (0, 2),
        Digit::A => (0, 3),
        Digit::Four => (1, 0),
        Digit::Five => (1, 1),
        Digit::Six => (1, 2),
        Digit::B => (1, 3),
        Digit::Seven => (2, 0),
        Digit::Eight => (2, 1),
        Digit::Nine => (2, 2),
        Digit::C => (2, 3),
        Digit::Star => (3, 0),
        Digit::Zero => (3, 1),
        Digit::Hash => (3, 2),
        Digit::D => (3, 3),
    };
    (ROWS[row], COLUMNS[column])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sit_where_q23_puts_them() {
        assert_eq!(frequencies(Digit::One), (697.0, 1209.0));
        assert_eq!(frequencies(Digit::Zero), (941.0, 1336.0));
        assert_eq!(frequencies(Digit::Hash), (941.0, 1477.0));
        assert_eq!(frequencies(Digit::Star), (941.0, 1209.0));
        assert_eq!(frequencies(Digit::D), (941.0, 1633.0));
        assert_eq!(frequencies(Digit::Five), (770.0, 1336.0));
    }

    #[test]
    fn every_digit_has_one_place() {
        for digit in Digit::ALL {
            let (row, column) = frequencies(digit);
            let r = ROWS.iter().position(|&f| f == row).unwrap();
            let c = COLUMNS.iter().position(|&f| f == column).unwrap();
            assert_eq!(key(r, c), digit);
        }
    }
}
