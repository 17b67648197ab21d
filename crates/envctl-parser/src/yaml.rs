//! YAML 1.1 with spans: the input side of the loader.
//!
//! docker-compose 1.29.2 reads files with PyYAML's `safe_load`, which is YAML 1.1:
//! `yes`/`on` are booleans, `0755` is octal, `22:22` is the sexagesimal integer 1342
//! and `1e3` is a *string*. A YAML 1.2 loader (serde_yaml) gets all of these wrong,
//! and gives neither spans nor the scalar style we need to tell `"yes"` from `yes`.
//! So this module drives yaml-rust2's event parser and builds its own [`Node`] tree,
//! resolving plain scalars exactly as PyYAML's implicit resolvers do.
//!
//! Spans are decided here, once: every later error takes its span from a `Node`.

use std::cell::Cell;
use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, Scanner, TScalarStyle, Token, TokenType};

use crate::model::{FileId, Span};

mod flow_indent;

/// How many nodes aliases may add to one document when they are expanded: a "billion
/// laughs" file is refused long before it costs memory. Nodes written out in the file
/// do not count (a plain file of any size within [`MAX_DEPTH`] and the file size limit
/// is fine).
pub const ALIAS_BUDGET: usize = 200_000;

/// How deeply sequences and mappings (block or flow, in any mix) may nest. Every later
/// phase walks the tree recursively; a compose file needs a handful of levels.
pub const MAX_DEPTH: usize = 128;

/// A YAML value with the span of the text that wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Sequence(Vec<Node>),
    Mapping(Mapping),
}

/// A mapping in file order. Keys are the `str()` of the YAML key, as compose sees them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapping {
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Mapping {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// Sets `key`, keeping the position of an existing entry.
    pub fn insert(&mut self, entry: Entry) {
        if let Some(existing) = self.entries.iter_mut().find(|e| e.key == entry.key) {
            *existing = entry;
        } else {
            self.entries.push(entry);
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        let index = self.entries.iter().position(|entry| entry.key == key)?;
        Some(self.entries.remove(index))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Self { value, span }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_mapping(&self) -> Option<&Mapping> {
        match &self.value {
            Value::Mapping(mapping) => Some(mapping),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Sequence(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// A short name of the type, for messages: `a string`, `a mapping`, …
    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }

    /// The scalar as Python's `str()` would print it (what compose does to numbers
    /// in string positions); `None` for mappings and sequences.
    pub fn scalar_to_string(&self) -> Option<String> {
        match &self.value {
            Value::Null => Some("None".to_owned()),
            Value::Bool(true) => Some("True".to_owned()),
            Value::Bool(false) => Some("False".to_owned()),
            Value::Int(number) => Some(number.to_string()),
            Value::Float(number) => Some(python_float_repr(*number)),
            Value::String(text) => Some(text.clone()),
            Value::Sequence(_) | Value::Mapping(_) => None,
        }
    }

    /// The tree as JSON data (mapping keys as compose sees them).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(boolean) => Json::Bool(*boolean),
            Value::Int(number) => Json::from(*number),
            Value::Float(number) => {
                serde_json::Number::from_f64(*number).map_or(Json::Null, Json::Number)
            }
            Value::String(text) => Json::String(text.clone()),
            Value::Sequence(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Mapping(mapping) => Json::Object(
                mapping
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Number of nodes in this tree (for the alias budget).
    fn size(&self) -> usize {
        match &self.value {
            Value::Sequence(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Mapping(mapping) => {
                1 + mapping
                    .entries
                    .iter()
                    .map(|entry| 1 + entry.value.size())
                    .sum::<usize>()
            }
            _ => 1,
        }
    }
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Sequence(_) => "an array",
            Value::Mapping(_) => "a mapping",
        }
    }
}

/// Python's `repr(float)` for the common cases.
pub fn python_float_repr(number: f64) -> String {
    if number.is_nan() {
        "nan".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else if number.fract() == 0.0 && number.abs() < 1e16 {
        format!("{number:.1}")
    } else {
        format!("{number}")
    }
}

/// Why a file is not a YAML document compose can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
    pub label: &'static str,
}

/// The offset of the first tab in the indentation of `from`'s line or a later one.
fn indentation_tab(text: &str, from: usize) -> Option<usize> {
    let mut start = text[..from].rfind('\n').map_or(0, |newline| newline + 1);
    for line in text[start..].split_inclusive('\n') {
        let indentation = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indentation].find('\t') {
            return Some(start + tab);
        }
        start += line.len();
    }
    None
}

/// Parses one YAML document. An empty file or a file of several documents is an error.
pub fn parse(file: FileId, text: &str) -> Result<Node, YamlError> {
    parse_noting_duplicates(file, text, &mut Vec::new())
}

/// [`parse`], noting each key written twice in a mapping (its name and the span of
/// its second writing) in `duplicates`: PyYAML keeps the last value silently,
/// Compose v2 refuses; envctl keeps the last and warns.
pub fn parse_noting_duplicates(
    file: FileId,
    text: &str,
    duplicates: &mut Vec<(String, Span)>,
) -> Result<Node, YamlError> {
    match parse_document(file, text, duplicates) {
        // PyYAML takes flow collections below their key's indentation; yaml-rust2
        // does not. Read such a file again with those lines indented. See: #18
        Err(error) if error.message.contains("indentation") => match flow_indent::pad(text) {
            Some(padded) => {
                let mut found = Vec::new();
                let result = parse_document(file, &padded.text, &mut found)
                    .map(|node| padded.restore(node))
                    .map_err(|later| padded.restore_error(later));
                duplicates.extend(
                    found
                        .into_iter()
                        .map(|(key, span)| (key, padded.span(span))),
                );
                result
            }
            None => Err(error),
        },
        result => result,
    }
}

fn parse_document(
    file: FileId,
    text: &str,
    duplicates: &mut Vec<(String, Span)>,
) -> Result<Node, YamlError> {
    check_printable(file, text)?;
    let positions = Positions::new(text);
    let mut builder = Builder {
        file,
        text,
        positions: &positions,
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: Vec::new(),
        budget: ALIAS_BUDGET,
        error: None,
        duplicates: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    // Events are pulled one by one: yaml-rust2's `load` recurses once per level of
    // nesting and would overflow the stack on a deep file before we could refuse it.
    let scanned = loop {
        match parser.next_token() {
            Err(scan_error) => break Err(scan_error),
            Ok((Event::StreamEnd, _)) => break Ok(()),
            Ok((event, marker)) => {
                builder.on_event(event, marker);
                if builder.error.is_some() {
                    break Ok(());
                }
            }
        }
    };
    if let Err(scan_error) = scanned {
        let mut offset = positions.offset(scan_error.marker()).min(text.len());
        // At the end of the file there is no line to show: point at the last
        // character instead (an unclosed `[` or quote is reported there).
        if offset == text.len()
            && let Some((last, _)) = text
                .char_indices()
                .rev()
                .find(|(_, character)| !character.is_whitespace())
        {
            offset = last;
        }
        // yaml-rust2 blames the plain scalar a tab ends, on the line before; PyYAML
        // (1.29.2) points at the tab itself, in the indentation. See: #16
        if scan_error.info().contains("found a tab")
            && let Some(tab) = indentation_tab(text, offset)
        {
            return Err(YamlError {
                message: "invalid YAML: found character '\\t' that cannot start any token"
                    .to_owned(),
                span: Span::new(file, tab, 1),
                label: "a tab in the indentation: indent with spaces",
            });
        }
        return Err(YamlError {
            message: format!("invalid YAML: {}", scan_error.info()),
            span: Span::new(file, offset, 0),
            label: "here",
        });
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    duplicates.append(&mut builder.duplicates);
    // yaml-rust2 lets a later anchor replace an earlier one of the same name; PyYAML
    // refuses ("found duplicate anchor"). Only files with an `&` pay for this scan.
    if text.contains('&') {
        check_duplicate_anchors(file, text, &positions)?;
    }
    let mut documents = builder.documents;
    match documents.len() {
        0 => Err(YamlError {
            message: "the file is empty: a compose file must be a mapping".to_owned(),
            span: Span::new(file, 0, 0),
            label: "empty",
        }),
        1 => Ok(documents.remove(0)),
        _ => Err(YamlError {
            message: "a compose file must hold exactly one YAML document".to_owned(),
            span: documents[1].span,
            label: "second document",
        }),
    }
}

/// PyYAML's reader refuses a stream holding a character YAML calls non-printable
/// (control characters but tab and line breaks, `U+FFFE`, `U+FFFF`) before it parses
/// anything; yaml-rust2 would take them inside quoted scalars.
fn check_printable(file: FileId, text: &str) -> Result<(), YamlError> {
    let non_printable = |character: char| {
        !matches!(character, '\t' | '\n' | '\r' | '\u{85}')
            && (character < ' '
                || ('\u{7f}'..='\u{9f}').contains(&character)
                || matches!(character, '\u{fffe}' | '\u{ffff}'))
    };
    match text
        .char_indices()
        .find(|&(_, character)| non_printable(character))
    {
        None => Ok(()),
        Some((offset, character)) => Err(YamlError {
            message: format!(
                "the file holds the control character U+{:04X}, which YAML does not allow",
                u32::from(character)
            ),
            span: Span::new(file, offset, character.len_utf8()),
            label: "this character",
        }),
    }
}

/// PyYAML's `SafeLoader` constructs only the standard tags (`!!str`, `!!int`, …) and
/// the non-specific `!`; any other tag (`!!python/object:…`, `!local`) is an error.
fn check_tag(tag: Option<&Tag>, span: Span) -> Result<(), YamlError> {
    const STANDARD: &[&str] = &[
        "null",
        "bool",
        "int",
        "float",
        "binary",
        "timestamp",
        "omap",
        "pairs",
        "set",
        "str",
        "seq",
        "map",
    ];
    let Some(tag) = tag else {
        return Ok(());
    };
    let standard = tag.handle == "tag:yaml.org,2002:" && STANDARD.contains(&tag.suffix.as_str());
    let non_specific = tag.handle.is_empty() && tag.suffix == "!";
    if standard || non_specific {
        return Ok(());
    }
    let shown = if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    };
    Err(YamlError {
        message: format!(
            "unsupported YAML tag `{shown}`: compose files may use only the standard tags"
        ),
        span,
        label: "this value's tag",
    })
}

/// PyYAML's composer: an anchor name may be defined once per document.
fn check_duplicate_anchors(
    file: FileId,
    text: &str,
    positions: &Positions,
) -> Result<(), YamlError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for Token(marker, token) in Scanner::new(text.chars()) {
        match token {
            TokenType::DocumentStart => seen.clear(),
            TokenType::Anchor(name) => {
                let offset = positions.offset(&marker);
                if let Some(&first) = seen.get(&name) {
                    let line = text[..first].matches('\n').count() + 1;
                    return Err(YamlError {
                        message: format!(
                            "duplicate YAML anchor `&{name}` (first defined on line {line})"
                        ),
                        span: Span::new(file, offset, name.len() + 1),
                        label: "defined again here",
                    });
                }
                seen.insert(name, offset);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Converts yaml-rust2 markers (1-based line, 0-based column in characters) to byte
/// offsets, in time independent of the line's length (a file may be one line of
/// megabytes, with a marker for every item on it).
struct Positions<'text> {
    text: &'text str,
    line_starts: Vec<usize>,
    /// Per line, how many of its first bytes are ASCII (where columns are bytes).
    ascii_prefix: Vec<usize>,
    /// The last lookup past an ASCII prefix: (line, column, byte offset), to go on
    /// from when the next marker is further along the same line.
    cursor: Cell<(usize, usize, usize)>,
}

impl<'text> Positions<'text> {
    fn new(text: &'text str) -> Self {
        let mut line_starts = vec![0];
        let mut ascii_prefix = Vec::new();
        let mut prefix_done = false;
        for (index, byte) in text.bytes().enumerate() {
            if byte == b'\n' {
                if !prefix_done {
                    ascii_prefix.push(index - line_starts[line_starts.len() - 1]);
                }
                line_starts.push(index + 1);
                prefix_done = false;
            } else if !byte.is_ascii() && !prefix_done {
                ascii_prefix.push(index - line_starts[line_starts.len() - 1]);
                prefix_done = true;
            }
        }
        if !prefix_done {
            ascii_prefix.push(text.len() - line_starts[line_starts.len() - 1]);
        }
        Self {
            text,
            line_starts,
            ascii_prefix,
            cursor: Cell::new((usize::MAX, 0, 0)),
        }
    }

    fn offset(&self, marker: &Marker) -> usize {
        let line = marker.line().max(1) - 1;
        let Some(&start) = self.line_starts.get(line) else {
            return self.text.len();
        };
        let column = marker.col();
        let ascii = self.ascii_prefix.get(line).copied().unwrap_or(0);
        if column <= ascii {
            return start + column;
        }
        let (cursor_line, cursor_column, cursor_offset) = self.cursor.get();
        let (mut at_column, mut at_offset) =
            if cursor_line == line && (ascii..=column).contains(&cursor_column) {
                (cursor_column, cursor_offset)
            } else {
                (ascii, start + ascii)
            };
        let mut characters = self.text[at_offset..].chars();
        while at_column < column {
            match characters.next() {
                Some(character) => {
                    at_offset += character.len_utf8();
                    at_column += 1;
                }
                None => return self.text.len(),
            }
        }
        self.cursor.set((line, at_column, at_offset));
        at_offset
    }

    /// The byte offset of the start of the line holding `offset`.
    fn line_start(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => self.line_starts[line],
            Err(next) => self.line_starts[next.saturating_sub(1)],
        }
    }
}

enum Frame {
    Sequence {
        anchor: usize,
        start: usize,
        items: Vec<Node>,
    },
    Mapping {
        anchor: usize,
        start: usize,
        pending_key: Option<Node>,
        /// Entries in order, `<<` merges kept apart until the end.
        entries: Vec<(Node, Node)>,
    },
}

struct Builder<'a> {
    file: FileId,
    text: &'a str,
    positions: &'a Positions<'a>,
    stack: Vec<Frame>,
    /// Anchored nodes with their size in nodes, for the alias budget.
    anchors: HashMap<usize, (Node, usize)>,
    documents: Vec<Node>,
    budget: usize,
    error: Option<YamlError>,
    /// Keys written twice in one mapping (kept: the last value wins, as PyYAML).
    duplicates: Vec<(String, Span)>,
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, event: Event, marker: Marker) {
        if self.error.is_some() {
            return;
        }
        if let Err(error) = self.handle(event, &marker) {
            self.error = Some(error);
        }
    }
}

impl Builder<'_> {
    fn span(&self, offset: usize, len: usize) -> Span {
        Span::new(self.file, offset, len)
    }

    fn handle(&mut self, event: Event, marker: &Marker) -> Result<(), YamlError> {
        let offset = self.positions.offset(marker);
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let len = scalar_len(self.text, offset, &value, style);
                if tag.is_some() {
                    // The event starts at the value: the tag is the last `!…` before it.
                    // A tag is short and just before its value: look back a little
                    // only, so that a long line of tagged values is not quadratic.
                    let mut line_start = self
                        .positions
                        .line_start(offset)
                        .max(offset.saturating_sub(1024));
                    while !self.text.is_char_boundary(line_start) {
                        line_start += 1;
                    }
                    let tag_start = self.text[line_start..offset]
                        .rfind('!')
                        .and_then(|at| {
                            self.text[line_start..line_start + at]
                                .rfind([' ', '\t', ':', '-', '[', '{', ','])
                                .map(|space| line_start + space + 1)
                                .or(Some(line_start))
                        })
                        .unwrap_or(offset);
                    let end = (offset + len).max(tag_start);
                    check_tag(tag.as_ref(), self.span(tag_start, end - tag_start))?;
                }
                let resolved =
                    resolve_scalar(value, style, tag.as_ref().map(|t| t.suffix.as_str()));
                let node = Node::new(resolved, self.span(offset, len));
                self.finish(node, anchor);
                Ok(())
            }
            Event::Alias(anchor) => {
                let Some(&(_, size)) = self.anchors.get(&anchor) else {
                    return Err(YamlError {
                        message: "unknown YAML alias".to_owned(),
                        span: self.span(offset, 1),
                        label: "this alias",
                    });
                };
                let alias_span = self.span(offset, alias_len(self.text, offset));
                // Spent before the copy: a bomb is refused before it is expanded.
                self.spend(size, alias_span)?;
                let Some((target, _)) = self.anchors.get(&anchor).cloned() else {
                    return Ok(());
                };
                self.finish(target, 0);
                Ok(())
            }
            Event::SequenceStart(anchor, tag) => {
                check_tag(tag.as_ref(), self.span(offset, 1))?;
                self.check_depth(offset)?;
                self.stack.push(Frame::Sequence {
                    anchor,
                    start: offset,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                check_tag(tag.as_ref(), self.span(offset, 1))?;
                self.check_depth(offset)?;
                self.stack.push(Frame::Mapping {
                    anchor,
                    start: offset,
                    pending_key: None,
                    entries: Vec::new(),
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Sequence {
                    anchor,
                    start,
                    items,
                }) => {
                    let end = items
                        .last()
                        .map_or(start + 1, |item| item.span.offset + item.span.len);
                    let node = Node::new(
                        Value::Sequence(items),
                        self.span(start, end.saturating_sub(start)),
                    );
                    self.finish(node, anchor);
                    Ok(())
                }
                _ => Ok(()),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Mapping {
                    anchor,
                    start,
                    entries,
                    ..
                }) => {
                    let end = entries
                        .last()
                        .map_or(start + 1, |(_, value)| value.span.offset + value.span.len);
                    let span = self.span(start, end.saturating_sub(start));
                    let mapping = build_mapping(entries, &mut self.duplicates)?;
                    let node = Node::new(Value::Mapping(mapping), span);
                    self.finish(node, anchor);
                    Ok(())
                }
                _ => Ok(()),
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => Ok(()),
        }
    }

    fn check_depth(&self, offset: usize) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                message: format!("sequences and mappings nest more than {MAX_DEPTH} levels deep"),
                span: self.span(self.collection_start(offset), 1),
                label: "too deep",
            });
        }
        Ok(())
    }

    /// Where the collection whose event is marked at `offset` starts: a block
    /// mapping's event is marked at its first key's `:`, a block sequence's may be at
    /// the end of its parent's line.
    fn collection_start(&self, offset: usize) -> usize {
        let Some(rest) = self.text.get(offset..) else {
            return offset;
        };
        if rest.starts_with(':') {
            let line_start = self.text[..offset].rfind('\n').map_or(0, |at| at + 1);
            return self.text[line_start..offset]
                .find(|c: char| !c.is_whitespace() && c != '-')
                .map_or(offset, |at| line_start + at);
        }
        offset + rest.find(|c: char| !c.is_whitespace()).unwrap_or(0)
    }

    fn spend(&mut self, nodes: usize, span: Span) -> Result<(), YamlError> {
        if nodes > self.budget {
            return Err(YamlError {
                message: format!(
                    "the document expands to more than {ALIAS_BUDGET} nodes through aliases (a YAML bomb?)"
                ),
                span,
                label: "expanding this alias went over the limit",
            });
        }
        self.budget -= nodes;
        Ok(())
    }

    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping {
                pending_key,
                entries,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

/// Builds a mapping as PyYAML's `SafeConstructor` does: `<<` merges come first (the
/// first listed mapping winning among them), explicit keys win over merged ones, a
/// repeated key keeps its first position and its last value.
fn build_mapping(
    entries: Vec<(Node, Node)>,
    duplicates: &mut Vec<(String, Span)>,
) -> Result<Mapping, YamlError> {
    let mut merged: Vec<(String, Span, Node)> = Vec::new();
    let mut explicit: Vec<(String, Span, Node)> = Vec::new();
    for (key, value) in entries {
        let is_merge = matches!(&key.value, Value::String(text) if text == "<<");
        if is_merge {
            let sources: Vec<&Node> = match &value.value {
                Value::Mapping(_) => vec![&value],
                Value::Sequence(items) => items.iter().rev().collect(),
                _ => {
                    return Err(YamlError {
                        message: format!(
                            "a merge key `<<` expects a mapping or a list of mappings, not {}",
                            value.type_name()
                        ),
                        span: value.span,
                        label: "not a mapping",
                    });
                }
            };
            let mut group = Vec::new();
            for source in sources {
                let Value::Mapping(mapping) = &source.value else {
                    return Err(YamlError {
                        message: format!(
                            "a merge key `<<` expects mappings, not {}",
                            source.type_name()
                        ),
                        span: source.span,
                        label: "not a mapping",
                    });
                };
                for entry in &mapping.entries {
                    group.push((entry.key.clone(), entry.key_span, entry.value.clone()));
                }
            }
            merged.extend(group);
        } else {
            let key_span = key.span;
            let key_text = match key.value {
                // The key node is ours: its text is moved, not copied.
                Value::String(text) => text,
                _ => key
                    .scalar_to_string()
                    .unwrap_or_else(|| "<complex key>".to_owned()),
            };
            explicit.push((key_text, key_span, value));
        }
    }
    // `Mapping::insert` semantics (first position, last value). A key written twice
    // (not one a `<<` merge brought) is noted for a warning.
    let count = merged.len() + explicit.len();
    let mut entries: Vec<Entry> = Vec::with_capacity(count);
    let mut written: Vec<bool> = Vec::with_capacity(count);
    let tagged = merged
        .into_iter()
        .map(|entry| (entry, false))
        .chain(explicit.into_iter().map(|entry| (entry, true)));
    let mut index: HashMap<String, usize> = HashMap::new();
    for ((key, key_span, value), is_written) in tagged {
        let entry = Entry {
            key,
            key_span,
            value,
        };
        // A service's mapping: a scan is cheaper than hashing every key; with an
        // index past that, so that a top level of a thousand services is not quadratic.
        let position = if count <= SMALL_MAPPING {
            entries.iter().position(|e| e.key == entry.key)
        } else {
            index.get(&entry.key).copied()
        };
        if let Some(position) = position {
            if is_written && written[position] && duplicates.len() < MAX_DUPLICATES {
                duplicates.push((entry.key.clone(), entry.key_span));
            }
            written[position] = is_written;
            entries[position] = entry;
        } else {
            if count > SMALL_MAPPING {
                index.insert(entry.key.clone(), entries.len());
            }
            entries.push(entry);
            written.push(is_written);
        }
    }
    Ok(Mapping { entries })
}

/// At most this many repeated keys are noted per file.
const MAX_DUPLICATES: usize = 100;

/// Up to this many entries, `build_mapping` finds repeated keys by scanning.
const SMALL_MAPPING: usize = 16;

fn alias_len(text: &str, offset: usize) -> usize {
    text.get(offset..).map_or(0, |rest| {
        rest.find(|character: char| character.is_whitespace() || ",]}".contains(character))
            .unwrap_or(rest.len())
    })
}

/// The length in bytes of the scalar's text at `offset` (quotes included).
fn scalar_len(text: &str, offset: usize, value: &str, style: TScalarStyle) -> usize {
    let Some(rest) = text.get(offset..) else {
        return 0;
    };
    match style {
        TScalarStyle::Plain => {
            if rest.starts_with(value) {
                value.len()
            } else {
                rest.find('\n')
                    .unwrap_or(rest.len())
                    .min(rest.trim_end().len())
            }
        }
        TScalarStyle::SingleQuoted => {
            let bytes = rest.as_bytes();
            let mut index = 1;
            while index < bytes.len() {
                if bytes[index] == b'\'' {
                    if bytes.get(index + 1) == Some(&b'\'') {
                        index += 2;
                        continue;
                    }
                    return index + 1;
                }
                index += 1;
            }
            rest.len()
        }
        TScalarStyle::DoubleQuoted => {
            let bytes = rest.as_bytes();
            let mut index = 1;
            while index < bytes.len() {
                match bytes[index] {
                    b'\\' => index += 2,
                    b'"' => return index + 1,
                    _ => index += 1,
                }
            }
            rest.len()
        }
        _ => rest.find('\n').unwrap_or(rest.len()),
    }
}

/// PyYAML's implicit resolution of a scalar (YAML 1.1); quoted scalars are strings.
fn resolve_scalar(value: String, style: TScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("str") => return Value::String(value),
        Some("null") => return Value::Null,
        Some("bool") => {
            if let Some(boolean) = resolve_bool(&value) {
                return Value::Bool(boolean);
            }
        }
        Some("int") => {
            if let Some(number) = resolve_int(&value) {
                return Value::Int(number);
            }
        }
        Some("float") => {
            if let Some(number) =
                resolve_float(&value).or_else(|| resolve_int(&value).map(int_to_float))
            {
                return Value::Float(number);
            }
        }
        _ => {}
    }
    if style != TScalarStyle::Plain {
        return Value::String(value);
    }
    resolve_plain(value)
}

/// Resolves a plain scalar the way PyYAML does.
pub fn resolve_plain(value: String) -> Value {
    // Every null, boolean, integer and float starts with one of these (PyYAML's
    // resolvers are keyed on the first character the same way): anything else is
    // a string, without trying each resolver.
    if !value.is_empty()
        && !value.starts_with(|c: char| {
            matches!(
                c,
                '-' | '+' | '.' | '0'
                    ..='9' | '~' | 'n' | 'N' | 'y' | 'Y' | 't' | 'T' | 'f' | 'F' | 'o' | 'O'
            )
        })
    {
        return Value::String(value);
    }
    if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(boolean) = resolve_bool(&value) {
        return Value::Bool(boolean);
    }
    if let Some(number) = resolve_int(&value) {
        return Value::Int(number);
    }
    if let Some(number) = resolve_float(&value) {
        return Value::Float(number);
    }
    Value::String(value)
}

fn resolve_bool(value: &str) -> Option<bool> {
    match value {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn split_sign(value: &str) -> (bool, &str) {
    if let Some(rest) = value.strip_prefix('-') {
        (true, rest)
    } else {
        (false, value.strip_prefix('+').unwrap_or(value))
    }
}

fn all_chars(text: &str, allowed: impl Fn(char) -> bool) -> bool {
    !text.is_empty() && text.chars().all(allowed)
}

/// PyYAML int regex: `0b[01_]+`, `0[0-7_]+`, `0|[1-9][0-9_]*`, `0x[0-9a-fA-F_]+`,
/// `[1-9][0-9_]*(:[0-5]?[0-9])+`, each with an optional sign.
fn resolve_int(value: &str) -> Option<i64> {
    let (negative, body) = split_sign(value);
    let magnitude: i64 = if let Some(binary) = body.strip_prefix("0b") {
        if !all_chars(binary, |c| matches!(c, '0' | '1' | '_')) {
            return None;
        }
        parse_radix(binary, 2)?
    } else if let Some(hex) = body.strip_prefix("0x") {
        if !all_chars(hex, |c| c.is_ascii_hexdigit() || c == '_') {
            return None;
        }
        parse_radix(hex, 16)?
    } else if body == "0" {
        0
    } else if let Some(octal) = body.strip_prefix('0') {
        if !all_chars(octal, |c| matches!(c, '0'..='7' | '_')) {
            return None;
        }
        parse_radix(octal, 8)?
    } else if body.contains(':') {
        let mut parts = body.split(':');
        let first = parts.next()?;
        if !first.starts_with(|c: char| matches!(c, '1'..='9'))
            || !all_chars(first, |c| c.is_ascii_digit() || c == '_')
        {
            return None;
        }
        let mut total = parse_radix(first, 10)?;
        for part in parts {
            if !is_sexagesimal_digit_group(part) {
                return None;
            }
            total = total
                .checked_mul(60)?
                .checked_add(part.parse::<i64>().ok()?)?;
        }
        total
    } else {
        if !body.starts_with(|c: char| matches!(c, '1'..='9'))
            || !all_chars(body, |c| c.is_ascii_digit() || c == '_')
        {
            return None;
        }
        parse_radix(body, 10)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Integers in float positions (YAML `!!float 1`, sexagesimal floats).
#[allow(clippy::cast_precision_loss)]
fn int_to_float(number: i64) -> f64 {
    number as f64
}

/// `[0-5]?[0-9]`
fn is_sexagesimal_digit_group(part: &str) -> bool {
    let bytes = part.as_bytes();
    match bytes {
        [digit] => digit.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }
}

fn parse_radix(digits: &str, radix: u32) -> Option<i64> {
    let cleaned: String = digits.chars().filter(|&c| c != '_').collect();
    if cleaned.is_empty() {
        return Some(0);
    }
    i64::from_str_radix(&cleaned, radix).ok()
}

/// PyYAML float regex: `[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?`,
/// sexagesimal `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`, `.inf`, `.nan`.
fn resolve_float(value: &str) -> Option<f64> {
    let (negative, body) = split_sign(value);
    let sign = if negative { -1.0 } else { 1.0 };
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if body.len() == value.len() => return Some(f64::NAN),
        _ => {}
    }
    if body.contains(':') {
        let (integer_part, fraction) = body.split_once('.')?;
        if !fraction.chars().all(|c| c.is_ascii_digit() || c == '_') {
            return None;
        }
        let mut parts = integer_part.split(':');
        let first = parts.next()?;
        if !all_chars(first, |c| c.is_ascii_digit() || c == '_')
            || !first.starts_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        let mut total = int_to_float(parse_radix(first, 10)?);
        let mut groups = 0;
        for part in parts {
            if !is_sexagesimal_digit_group(part) {
                return None;
            }
            groups += 1;
            total = total * 60.0 + part.parse::<f64>().ok()?;
        }
        if groups == 0 {
            return None;
        }
        let fraction: String = fraction.chars().filter(|&c| c != '_').collect();
        let fraction_value = if fraction.is_empty() {
            0.0
        } else {
            format!("0.{fraction}").parse::<f64>().ok()?
        };
        return Some(sign * (total + fraction_value));
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(index) => (&body[..index], Some(&body[index + 1..])),
        None => (body, None),
    };
    let (integer_part, fraction) = mantissa.split_once('.')?;
    if !integer_part.is_empty()
        && (!integer_part.starts_with(|c: char| c.is_ascii_digit())
            || !integer_part.chars().all(|c| c.is_ascii_digit() || c == '_'))
    {
        return None;
    }
    if !fraction.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    if integer_part.is_empty() && fraction.is_empty() {
        return None;
    }
    if integer_part.is_empty() && negative != value.starts_with('-') {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['-', '+'])?;
        if !all_chars(digits, |c| c.is_ascii_digit()) {
            return None;
        }
    }
    let cleaned: String = body.chars().filter(|&c| c != '_').collect();
    let cleaned = if cleaned.starts_with('.') {
        format!("0{cleaned}")
    } else {
        cleaned
    };
    let parsed: f64 = cleaned
        .replace(".e", ".0e")
        .replace(".E", ".0E")
        .parse()
        .ok()?;
    Some(sign * parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> Value {
        let node = parse(FileId(0), &format!("a: {text}\n")).unwrap();
        node.as_mapping().unwrap().get("a").unwrap().value.clone()
    }

    #[test]
    fn plain_scalars_resolve_as_pyyaml_does() {
        let table: &[(&str, Value)] = &[
            ("y", Value::String("y".into())),
            ("n", Value::String("n".into())),
            ("yes", Value::Bool(true)),
            ("On", Value::Bool(true)),
            ("OFF", Value::Bool(false)),
            ("1e3", Value::String("1e3".into())),
            ("1.50", Value::Float(1.5)),
            ("0777", Value::Int(511)),
            ("0x1F", Value::Int(31)),
            ("22:22", Value::Int(1342)),
            ("190:20:30", Value::Int(685_230)),
            ("1_000", Value::Int(1000)),
            ("0b101", Value::Int(5)),
            ("+12", Value::Int(12)),
            ("-0", Value::Int(0)),
            (".5", Value::Float(0.5)),
            ("1.", Value::Float(1.0)),
            ("1.5e+3", Value::Float(1500.0)),
            ("1.5e3", Value::String("1.5e3".into())),
            ("1:2.5", Value::Float(62.5)),
            ("~", Value::Null),
            ("", Value::Null),
            ("0o17", Value::String("0o17".into())),
            ("08", Value::String("08".into())),
            ("'yes'", Value::String("yes".into())),
            ("\"0777\"", Value::String("0777".into())),
            ("!!str 12", Value::String("12".into())),
            ("3000-3005", Value::String("3000-3005".into())),
        ];
        for (text, expected) in table {
            assert_eq!(&scalar(text), expected, "for {text:?}");
        }
    }

    #[test]
    fn spans_are_byte_offsets_even_after_multibyte_text() {
        let text = "é: ü\nkey: \"välue\"\n";
        let node = parse(FileId(0), text).unwrap();
        let mapping = node.as_mapping().unwrap();
        let entry = mapping.entry("key").unwrap();
        assert_eq!(&text[entry.key_span.offset..][..entry.key_span.len], "key");
        let span = entry.value.span;
        assert_eq!(&text[span.offset..span.offset + span.len], "\"välue\"");
    }

    #[test]
    fn merge_keys_follow_pyyaml() {
        let text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n";
        let node = parse(FileId(0), text).unwrap();
        let c = node
            .as_mapping()
            .unwrap()
            .get("c")
            .unwrap()
            .as_mapping()
            .unwrap();
        let pairs: Vec<(String, Value)> = c
            .iter()
            .map(|e| (e.key.clone(), e.value.value.clone()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("y".to_owned(), Value::Int(1)),
                ("z".to_owned(), Value::Int(3)),
                ("x".to_owned(), Value::Int(1)),
            ]
        );
    }

    #[test]
    fn yaml_bombs_are_refused() {
        use std::fmt::Write as _;
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let previous = level - 1;
            let aliases = vec![format!("*a{previous}"); 10].join(", ");
            let _ = writeln!(text, "a{level}: &a{level} [{aliases}]");
        }
        let error = parse(FileId(0), &text).unwrap_err();
        assert!(error.message.contains("YAML bomb"), "{}", error.message);
    }

    #[test]
    fn several_documents_and_empty_files_are_refused() {
        assert!(parse(FileId(0), "").is_err());
        assert!(parse(FileId(0), "# only a comment\n").is_err());
        assert!(parse(FileId(0), "a: 1\n---\nb: 2\n").is_err());
        assert!(parse(FileId(0), "a: [1\n").is_err());
    }
}
