//! Turns a byte offset in a TOML text into a line, a column and a best-guess key path.
//!
//! The toml crate reports where a syntax error is only as a byte span; an operator needs a
//! line number and the key, and a syntax error comes before any structure exists to ask.
//! So the key path is read back from the text itself: the last table header above the
//! offset (counting `[[name]]` headers to give `name[i]`) and the key on the offending line,
//! or failing that the last key above it in the same table, as inside a multi-line array.
//! It is a guess for humans (a header-like line inside a multi-line string can fool it),
//! never used to decide anything.

use std::collections::HashMap;

/// A place in the text, both counted from 1, columns in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

/// The line and column of byte `offset` (clamped to the text).
pub(crate) fn position(text: &str, offset: usize) -> Position {
    let offset = char_boundary_at_or_before(text, offset);
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

/// The key path at byte `offset`, like `pbx.ring_timeout_secs` or `extension[2].name`;
/// empty when the offset is at the top level, outside any key.
pub(crate) fn key_path(text: &str, offset: usize) -> String {
    let offset = char_boundary_at_or_before(text, offset);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);

    let mut table = String::new();
    let mut array_counts: HashMap<String, usize> = HashMap::new();
    let mut last_key: Option<String> = None;
    for line in text[..line_end].lines() {
        if let Some(header) = header_path(line, &mut array_counts) {
            table = header;
            last_key = None;
        } else if let Some(key) = key_of(line) {
            last_key = Some(key);
        }
    }
    // `last_key` is now the key of the error's own line when it has one, else of the nearest
    // line above it in the same table; `None` when the error's line is a header.
    match last_key {
        Some(key) => join(&table, &key),
        None => table,
    }
}

/// The path a header line opens (`[pbx]` gives `pbx`, the third `[[queue]]` gives
/// `queue[2]`), counting array-of-tables headers in `counts`; `None` for other lines.
fn header_path(line: &str, counts: &mut HashMap<String, usize>) -> Option<String> {
    let line = line.trim_start();
    if let Some(rest) = line.strip_prefix("[[") {
        let name = rest.split("]]").next().unwrap_or_default();
        // An unclosed `[[name]` still names its table.
        let name = name.trim().trim_end_matches(']').trim_end().to_string();
        let count = counts.entry(name.clone()).or_insert(0);
        *count += 1;
        Some(format!("{name}[{}]", *count - 1))
    } else {
        let rest = line.strip_prefix('[')?;
        Some(
            rest.split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
        )
    }
}

/// The key a `key = value` line sets, with spaces around dots removed; `None` for lines
/// that set no key (comments, blank lines, the middle of a multi-line array).
fn key_of(line: &str) -> Option<String> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let bare_or_quoted = |c: char| c.is_ascii_alphanumeric() || "_-.\"' ".contains(c);
    if key.is_empty() || !key.chars().all(bare_or_quoted) {
        return None;
    }
    Some(key.split('.').map(str::trim).collect::<Vec<_>>().join("."))
}

fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

fn char_boundary_at_or_before(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
top = 1
[pbx]
ring_timeout_secs = 30
[[extension]]
number = \"101\"
[[extension]]
number = \"102\"
members = [
  \"1\",
  oops,
]
";

    fn offset_of(needle: &str) -> usize {
        TEXT.find(needle).expect("needle is in the test text")
    }

    #[test]
    fn position_counts_lines_and_characters_from_one() {
        assert_eq!(position(TEXT, 0), Position { line: 1, column: 1 });
        assert_eq!(
            position(TEXT, offset_of("30")),
            Position {
                line: 3,
                column: 21
            }
        );
        assert_eq!(position("é = x", 3), Position { line: 1, column: 3 });
    }

    #[test]
    fn position_clamps_an_offset_past_the_end() {
        assert_eq!(position("a\nb", 99), Position { line: 2, column: 2 });
    }

    #[test]
    fn key_path_names_table_and_key() {
        assert_eq!(key_path(TEXT, offset_of("top")), "top");
        assert_eq!(key_path(TEXT, offset_of("30")), "pbx.ring_timeout_secs");
        assert_eq!(key_path(TEXT, offset_of("\"101\"")), "extension[0].number");
        assert_eq!(key_path(TEXT, offset_of("\"102\"")), "extension[1].number");
    }

    #[test]
    fn key_path_inside_a_multi_line_array_is_the_array_key() {
        assert_eq!(key_path(TEXT, offset_of("oops")), "extension[1].members");
    }

    #[test]
    fn key_path_on_a_header_is_the_header() {
        assert_eq!(key_path(TEXT, offset_of("[pbx]")), "pbx");
        assert_eq!(key_path("[pbx\nx = 1", 4), "pbx");
        assert_eq!(key_path("[[queue]\n", 8), "queue[0]");
    }

    #[test]
    fn key_path_of_dotted_keys_drops_spaces() {
        assert_eq!(key_path("[a]\nb . c = ?", 11), "a.b.c");
    }
}
