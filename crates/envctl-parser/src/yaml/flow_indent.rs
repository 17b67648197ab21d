//! Flow collections written below their key's indentation.
//!
//! PyYAML, 1.29.2's YAML reader, does not look at indentation inside a flow
//! collection (its scanner's `unwind_indent` returns at once when `flow_level` is
//! set), so it reads
//!
//! ```yaml
//! services:
//!   web:
//!     command: [
//!       "a", "b"
//!     ]
//! ```
//!
//! yaml-rust2 follows YAML 1.2, where a flow collection's lines must be indented past
//! the block it sits in, and refuses the `]` with "invalid indentation". getsentry's
//! self-hosted compose file is laid out this way. When yaml-rust2 refuses a file for
//! its indentation, [`pad`] indents every line that starts inside a flow collection
//! to one column past the collection's opening bracket (leading spaces inside a flow
//! collection mean nothing, in plain and quoted scalars alike: both are folded), the
//! file is parsed again, and [`Padded`] maps every span back onto the file as written.
//! The common path, a file yaml-rust2 takes, never comes here. See: #18

use crate::model::Span;

use super::{Node, Value, YamlError};

/// The padded text and where spaces were inserted into it.
pub(super) struct Padded {
    pub(super) text: String,
    /// `(offset in the padded text, spaces inserted there)`, in offset order.
    insertions: Vec<(usize, usize)>,
}

/// What the scan is inside of, besides flow collections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// The text with every line that starts inside a flow collection indented past the
/// outermost open bracket, or `None` when no line needed it (or the scan cannot
/// tell where the flow collections end). A light scan: comments, quoted scalars and
/// block scalars are skipped, and `[`/`{` open a collection only where a node may
/// start (at a line's start, after an indicator `: `, `- `, `? `, or inside a flow
/// collection); a file it misreads fails again and its first error is reported.
pub(super) fn pad(text: &str) -> Option<Padded> {
    let mut padded = String::with_capacity(text.len() + 64);
    let mut insertions = Vec::new();
    let mut depth = 0_usize;
    // The column (in characters, in the padded text) lines inside a flow must reach.
    let mut required = 0_usize;
    let mut quote = Quote::None;
    // Lines more indented than this belong to a block scalar.
    let mut block_scalar: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indentation = line.len() - line.trim_start_matches(' ').len();
        let content = line[indentation..].trim_end_matches(['\n', '\r']);
        let blank = content.trim_start_matches([' ', '\t']).is_empty();
        if let Some(parent) = block_scalar {
            if blank || indentation > parent {
                padded.push_str(line);
                continue;
            }
            block_scalar = None;
        }
        let inside_flow = depth > 0;
        let mut pad_width = 0;
        if inside_flow && !blank && indentation < required {
            let marker = content.starts_with("---") || content.starts_with("...");
            if indentation == 0 && marker {
                // A document marker, for PyYAML too: not ours to repair.
                return None;
            }
            pad_width = required - indentation;
            insertions.push((padded.len(), pad_width));
            padded.extend(std::iter::repeat_n(' ', pad_width));
        }
        padded.push_str(line);
        let mut token_allowed = true;
        let mut after_indicator = true;
        let mut previous: Option<char> = None;
        let mut characters = content.char_indices().peekable();
        while let Some((index, character)) = characters.next() {
            let next = characters.peek().map(|&(_, next)| next);
            let at_end_or_blank = next.is_none_or(|next| next == ' ' || next == '\t');
            match quote {
                Quote::Single => {
                    if character == '\'' {
                        if next == Some('\'') {
                            characters.next();
                        } else {
                            quote = Quote::None;
                            token_allowed = false;
                            after_indicator = false;
                        }
                    }
                    previous = Some(character);
                    continue;
                }
                Quote::Double => {
                    if character == '\\' {
                        characters.next();
                    } else if character == '"' {
                        quote = Quote::None;
                        token_allowed = false;
                        after_indicator = false;
                    }
                    previous = Some(character);
                    continue;
                }
                Quote::None => {}
            }
            match character {
                ' ' | '\t' => token_allowed = after_indicator,
                '#' if previous.is_none_or(|previous| previous == ' ' || previous == '\t') => {
                    break;
                }
                '\'' if token_allowed => quote = Quote::Single,
                '"' if token_allowed => quote = Quote::Double,
                '[' | '{' if token_allowed || depth > 0 => {
                    if depth == 0 {
                        let column = line[..indentation + index].chars().count();
                        required = pad_width + column + 1;
                    }
                    depth += 1;
                    token_allowed = true;
                    after_indicator = true;
                }
                ']' | '}' if depth > 0 => {
                    depth -= 1;
                    token_allowed = false;
                    after_indicator = false;
                }
                ',' if depth > 0 => {
                    token_allowed = true;
                    after_indicator = true;
                }
                ':' if at_end_or_blank || depth > 0 => {
                    token_allowed = false;
                    after_indicator = true;
                }
                '-' | '?' if token_allowed && at_end_or_blank => {
                    token_allowed = false;
                    after_indicator = true;
                }
                '|' | '>' if token_allowed && depth == 0 => {
                    block_scalar = Some(indentation);
                    break;
                }
                '&' | '!' | '*' if token_allowed => {
                    // An anchor, a tag or an alias: a node may still follow it.
                    while characters
                        .peek()
                        .is_some_and(|&(_, next)| next != ' ' && next != '\t')
                    {
                        characters.next();
                    }
                    token_allowed = false;
                    after_indicator = character != '*';
                }
                _ => {
                    token_allowed = false;
                    after_indicator = false;
                }
            }
            previous = Some(character);
        }
    }
    let closed = depth == 0 && quote == Quote::None;
    (closed && !insertions.is_empty()).then_some(Padded {
        text: padded,
        insertions,
    })
}

impl Padded {
    /// The offset in the original text of `offset` in the padded one; an offset in
    /// inserted spaces is the start of their line.
    fn original(&self, offset: usize) -> usize {
        let mut removed = 0;
        for &(at, width) in &self.insertions {
            if offset < at {
                break;
            }
            if offset < at + width {
                return at - removed;
            }
            removed += width;
        }
        offset - removed
    }

    pub(super) fn span(&self, span: Span) -> Span {
        let start = self.original(span.offset);
        let end = self.original(span.offset + span.len);
        Span::new(span.file, start, end.saturating_sub(start))
    }

    /// `node` with every span mapped back onto the original text.
    pub(super) fn restore(&self, mut node: Node) -> Node {
        self.restore_in_place(&mut node);
        node
    }

    fn restore_in_place(&self, node: &mut Node) {
        node.span = self.span(node.span);
        match &mut node.value {
            Value::Sequence(items) => {
                for item in items {
                    self.restore_in_place(item);
                }
            }
            Value::Mapping(mapping) => {
                for entry in &mut mapping.entries {
                    entry.key_span = self.span(entry.key_span);
                    self.restore_in_place(&mut entry.value);
                }
            }
            _ => {}
        }
    }

    /// `error` pointing into the original text.
    pub(super) fn restore_error(&self, mut error: YamlError) -> YamlError {
        error.span = self.span(error.span);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The padded text, or `None` when nothing is padded.
    fn check(input: &str, expected: Option<&str>) {
        assert_eq!(
            pad(input).map(|padded| padded.text).as_deref(),
            expected,
            "padding {input:?}"
        );
    }

    #[test]
    fn lines_inside_a_flow_collection_reach_past_its_bracket() {
        check(
            "a:\n  b: [\n    x, y\n  ]\n  c: 1\n",
            Some("a:\n  b: [\n      x, y\n      ]\n  c: 1\n"),
        );
        // already far enough: nothing to do
        check("a:\n  b: [\n      x\n      ]\n", None);
        // nested, with the closing brace at column 0
        check(
            "a: {\nb: [1,\n2],\n}\n",
            Some("a: {\n    b: [1,\n    2],\n    }\n"),
        );
        // a comment or a string holding brackets opens nothing
        check("a: x # [\nb: 'it''s [' \n", None);
        // a plain scalar holding a bracket is no collection
        check("a: echo [x\nb: 1\n", None);
        // a block scalar's brackets are text
        check("a: |\n  [\nb: 1\n", None);
        // an unclosed collection: the scan cannot tell, the first error stands
        check("a: [\nb: 1\n", None);
        // a sequence entry with an anchor before the collection
        check("- &x [\n1\n]\n", Some("- &x [\n      1\n      ]\n"));
    }

    #[test]
    fn spans_map_back_onto_the_original() {
        let padded = pad("a: [\nx\n]\n").expect("padded");
        assert_eq!(padded.text, "a: [\n    x\n    ]\n");
        // `x` at 9 in the padded text is at 5 in the original; inserted spaces map
        // to their line's start
        assert_eq!(padded.original(9), 5);
        assert_eq!(padded.original(6), 5);
        assert_eq!(padded.original(4), 4);
        assert_eq!(padded.original(15), 7);
        assert_eq!(padded.original(17), 9);
    }

    #[test]
    fn a_file_yaml_rust2_refuses_for_a_flow_collection_loads_with_true_spans() {
        let text = "web:\n  command: [\n  a,\n \"b\"\n  ]\n  image: x\n";
        let file = crate::model::FileId(0);
        assert!(
            super::super::parse_document(file, text, &mut Vec::new()).is_err(),
            "yaml-rust2 refuses it"
        );
        let node = crate::yaml::parse(file, text).expect("PyYAML reads it");
        let web = node
            .as_mapping()
            .and_then(|top| top.get("web"))
            .expect("web");
        let web = web.as_mapping().expect("a mapping");
        let command = web.get("command").expect("command");
        let items = command.as_sequence().expect("a sequence");
        let shown: Vec<&str> = items
            .iter()
            .map(|item| &text[item.span.offset..item.span.offset + item.span.len])
            .collect();
        assert_eq!(shown, ["a", "\"b\""]);
        assert_eq!(&text[command.span.offset..=command.span.offset], "[");
        let image = web.entry("image").expect("image");
        assert_eq!(
            &text[image.key_span.offset..=image.value.span.offset],
            "image: x"
        );
    }
}
