//! YAML written as docker-compose 1.29.2 writes it: PyYAML's `safe_dump(...,
//! default_flow_style=False, indent=2, width=80, allow_unicode=True)`, byte for
//! byte (compose `config/serialize.py` L82-88).
//!
//! serde_yaml is a YAML 1.2 emitter: it prints the string `no` plain, which every
//! YAML 1.1 reader (docker-compose 1.29.2 included) reads back as `false`. So this is
//! a port of what PyYAML's `Emitter` does for the documents `config` prints: block
//! mappings with sorted keys, indentless block sequences, and scalars in the style
//! `choose_scalar_style` picks from `analyze_scalar`, folded at 80 columns by
//! `write_plain`, `write_single_quoted` and `write_double_quoted` (PyYAML 5.4
//! `emitter.py`). Columns count characters, as Python's `len` does. See: #16

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use crate::yaml::{Value, python_float_repr, resolve_plain};

/// PyYAML's `best_width`.
const WIDTH: usize = 80;

/// The document: a mapping (what `config` prints), or a lone scalar.
pub fn dump(value: &Json) -> String {
    let mut emitter = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
    };
    match value {
        Json::Object(map) => emitter.mapping(map, 0, false),
        other => {
            emitter.scalar(other, 2);
            emitter.line_break(None);
        }
    }
    emitter.out
}

struct Emitter {
    out: String,
    /// The column the next character goes to.
    column: usize,
    /// The last thing written was whitespace (PyYAML's `whitespace`).
    whitespace: bool,
    /// Only indentation so far on this line (PyYAML's `indention`).
    indention: bool,
}

impl Emitter {
    fn write(&mut self, text: &str) {
        self.column += text.chars().count();
        self.whitespace = false;
        self.indention = false;
        self.out.push_str(text);
    }

    fn line_break(&mut self, character: Option<char>) {
        self.out.push(character.unwrap_or('\n'));
        self.column = 0;
        self.whitespace = true;
        self.indention = true;
    }

    fn indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.line_break(None);
        }
        if self.column < indent {
            for _ in self.column..indent {
                self.out.push(' ');
            }
            self.column = indent;
            self.whitespace = true;
        }
    }

    fn mapping(&mut self, map: &Map<String, Json>, indent: usize, first_inline: bool) {
        for (index, (key, value)) in map.iter().enumerate() {
            if !(index == 0 && first_inline) {
                self.indent(indent);
            }
            self.string(key, indent + 2, true);
            self.write(":");
            match value {
                Json::Object(inner) if !inner.is_empty() => self.mapping(inner, indent + 2, false),
                // Indentless, as PyYAML writes a sequence that is a mapping's value.
                Json::Array(items) if !items.is_empty() => self.sequence(items, indent),
                other => {
                    self.write(" ");
                    self.scalar(other, indent + 2);
                }
            }
        }
        if !map.is_empty() && indent == 0 {
            self.line_break(None);
        }
    }

    fn sequence(&mut self, items: &[Json], indent: usize) {
        for item in items {
            self.indent(indent);
            self.write("- ");
            match item {
                Json::Object(map) if !map.is_empty() => self.mapping(map, indent + 2, true),
                Json::Array(inner) if !inner.is_empty() => self.sequence(inner, indent + 2),
                other => self.scalar(other, indent + 2),
            }
        }
    }

    /// A scalar in a block; `indent` is where a folded line goes on.
    fn scalar(&mut self, value: &Json, indent: usize) {
        match value {
            Json::Null => self.write("null"),
            Json::Bool(boolean) => self.write(if *boolean { "true" } else { "false" }),
            Json::Number(number) => {
                let text = match (number.as_i64(), number.as_u64(), number.as_f64()) {
                    (Some(integer), _, _) => integer.to_string(),
                    (None, Some(integer), _) => integer.to_string(),
                    (None, None, Some(float)) => python_float_yaml(float),
                    _ => number.to_string(),
                };
                self.write(&text);
            }
            Json::String(text) => self.string(text, indent, false),
            Json::Array(_) => self.write("[]"),
            Json::Object(_) => self.write("{}"),
        }
    }

    fn string(&mut self, text: &str, indent: usize, simple_key: bool) {
        let characters: Vec<char> = text.chars().collect();
        // A key is never folded (PyYAML: `split = not self.simple_key_context`).
        let split = !simple_key;
        match style(text, simple_key) {
            Style::Plain => self.plain(&characters, indent, split),
            Style::Single => self.single_quoted(&characters, indent, split),
            Style::Double => self.double_quoted(&characters, indent, split),
        }
    }

    /// PyYAML `write_plain` (a plain scalar never holds a line break here).
    fn plain(&mut self, text: &[char], indent: usize, split: bool) {
        let mut spaces = false;
        let mut start = 0;
        for end in 0..=text.len() {
            let character = text.get(end).copied();
            if spaces {
                if character != Some(' ') {
                    if start + 1 == end && self.column > WIDTH && split {
                        self.indent(indent);
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if character.is_none_or(|character| character == ' ') {
                self.write_chars(&text[start..end]);
                start = end;
            }
            spaces = character == Some(' ');
        }
    }

    /// PyYAML `write_single_quoted`.
    fn single_quoted(&mut self, text: &[char], indent: usize, split: bool) {
        self.write("'");
        let (mut spaces, mut breaks) = (false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let character = text.get(end).copied();
            if spaces {
                if character != Some(' ') {
                    if start + 1 == end
                        && self.column > WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.indent(indent);
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if character.is_none_or(|character| !is_break(character)) {
                    if text[start] == '\n' {
                        self.line_break(None);
                    }
                    for &line_break in &text[start..end] {
                        self.line_break((line_break != '\n').then_some(line_break));
                    }
                    self.indent(indent);
                    start = end;
                }
            } else if character.is_none_or(|character| {
                character == ' ' || is_break(character) || character == '\''
            }) && start < end
            {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if character == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(character) = character {
                spaces = character == ' ';
                breaks = is_break(character);
            }
        }
        self.write("'");
    }

    /// PyYAML `write_double_quoted`.
    fn double_quoted(&mut self, text: &[char], indent: usize, split: bool) {
        self.write("\"");
        let mut start = 0;
        for end in 0..=text.len() {
            let character = text.get(end).copied();
            if character.is_none_or(needs_escape) {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(character) = character {
                    self.write(&escaped(character));
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (character == Some(' ') || start >= end)
                && self.column + end > WIDTH + start
                && split
            {
                let mut data: String = text[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data);
                self.indent(indent);
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write("\\");
                }
            }
        }
        self.write("\"");
    }

    fn write_chars(&mut self, text: &[char]) {
        if !text.is_empty() {
            let text: String = text.iter().collect();
            self.write(&text);
        }
    }
}

fn is_break(character: char) -> bool {
    matches!(character, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// What `write_double_quoted` escapes (with `allow_unicode`).
fn needs_escape(character: char) -> bool {
    matches!(
        character,
        '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
    ) || !(matches!(character, ' '..='~')
        || matches!(character, '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}'))
}

fn escaped(character: char) -> String {
    let short = match character {
        '\0' => Some('0'),
        '\u{7}' => Some('a'),
        '\u{8}' => Some('b'),
        '\t' => Some('t'),
        '\n' => Some('n'),
        '\u{b}' => Some('v'),
        '\u{c}' => Some('f'),
        '\r' => Some('r'),
        '\u{1b}' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{a0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    let code = u32::from(character);
    let mut out = String::from("\\");
    match short {
        Some(short) => out.push(short),
        None if code <= 0xff => {
            let _ = write!(out, "x{code:02X}");
        }
        None if code <= 0xffff => {
            let _ = write!(out, "u{code:04X}");
        }
        None => {
            let _ = write!(out, "U{code:08X}");
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// PyYAML `choose_scalar_style` for a `str`, after compose's rule of
/// double-quoting every case form of `y`, `n`, `yes`, `no`, `on`, `off`, `true`,
/// `false` (`serialize.py` L17-28).
fn style(text: &str, simple_key: bool) -> Style {
    let lower = text.to_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false"
    ) {
        return Style::Double;
    }
    let analysis = analyze(text);
    // `implicit[0]`: read back plain, the text is the same string again.
    if resolves_to_itself(text)
        && !(simple_key && (analysis.empty || analysis.multiline))
        && analysis.allow_block_plain
    {
        return Style::Plain;
    }
    if analysis.allow_single_quoted && !(simple_key && analysis.multiline) {
        return Style::Single;
    }
    Style::Double
}

/// A plain scalar `text` is read back as the string `text`: none of PyYAML's
/// implicit resolvers (null, bool, int, float, timestamp, merge, value) takes it.
fn resolves_to_itself(text: &str) -> bool {
    matches!(resolve_plain(text.to_owned()), Value::String(_))
        && text != "="
        && text != "<<"
        && !looks_like_timestamp(text)
}

/// PyYAML's timestamp resolver: `YYYY-M-D`, or that with a time (`T` or blanks,
/// `H:MM:SS`, a fraction, a zone).
fn looks_like_timestamp(text: &str) -> bool {
    /// Up to `most` (at least `least`) ASCII digits at the front of `text`.
    fn digits(text: &str, least: usize, most: usize) -> Option<&str> {
        let count = text
            .bytes()
            .take(most)
            .take_while(u8::is_ascii_digit)
            .count();
        (count >= least).then(|| &text[count..])
    }
    fn date(text: &str) -> Option<&str> {
        let rest = digits(text, 4, 4)?.strip_prefix('-')?;
        let rest = digits(rest, 1, 2)?.strip_prefix('-')?;
        digits(rest, 1, 2)
    }
    fn time(text: &str) -> Option<&str> {
        let blanks = text.trim_start_matches([' ', '\t']);
        let rest = text
            .strip_prefix(['T', 't'])
            .or((blanks.len() < text.len()).then_some(blanks))?;
        let rest = digits(rest, 1, 2)?.strip_prefix(':')?;
        let rest = digits(rest, 2, 2)?.strip_prefix(':')?;
        let mut rest = digits(rest, 2, 2)?;
        if let Some(fraction) = rest.strip_prefix('.') {
            rest = digits(fraction, 0, usize::MAX)?;
        }
        let zone = rest.trim_start_matches([' ', '\t']);
        if zone.is_empty() {
            return Some(zone);
        }
        if let Some(rest) = zone.strip_prefix('Z') {
            return Some(rest);
        }
        let rest = digits(zone.strip_prefix(['-', '+'])?, 1, 2)?;
        match rest.strip_prefix(':') {
            Some(minutes) => digits(minutes, 2, 2),
            None => Some(rest),
        }
    }
    date(text).is_some_and(|rest| rest.is_empty() || time(rest) == Some(""))
}

/// What PyYAML's `analyze_scalar` finds (the parts `choose_scalar_style` reads in a
/// block context).
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn analyze(text: &str) -> Analysis {
    if text.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let characters: Vec<char> = text.chars().collect();
    let whitespace = |character: Option<&char>| {
        character.is_none_or(|character| {
            matches!(
                character,
                '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
            )
        })
    };
    let mut block_indicators = text.starts_with("---") || text.starts_with("...");
    let mut line_breaks = false;
    let mut special_characters = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (index, &character) in characters.iter().enumerate() {
        let followed_by_whitespace = whitespace(characters.get(index + 1));
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(character)
                || ("?:".contains(character) && followed_by_whitespace)
                || (character == '-' && followed_by_whitespace)
            {
                block_indicators = true;
            }
        } else if (character == ':' && followed_by_whitespace)
            || (character == '#' && preceded_by_whitespace)
        {
            block_indicators = true;
        }
        if is_break(character) {
            line_breaks = true;
        }
        if !(character == '\n' || matches!(character, ' '..='~')) {
            let printable = (character == '\u{85}'
                || matches!(character, '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
                // Python's `'\U00010000' <= ch < '\U0010ffff'`.
                || ('\u{10000}'..'\u{10ffff}').contains(&character))
                && character != '\u{feff}';
            // allow_unicode: printable non-ASCII is not special.
            if !printable {
                special_characters = true;
            }
        }
        let last = index + 1 == characters.len();
        if character == ' ' {
            leading_space |= index == 0;
            trailing_space |= last;
            break_space |= previous_break;
            (previous_space, previous_break) = (true, false);
        } else if is_break(character) {
            leading_break |= index == 0;
            trailing_break |= last;
            space_break |= previous_space;
            (previous_space, previous_break) = (false, true);
        } else {
            (previous_space, previous_break) = (false, false);
        }
        preceded_by_whitespace = whitespace(Some(&character));
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special_characters {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain,
        allow_single_quoted,
    }
}

/// PyYAML's float representer: `.inf`, `.nan`, and `repr()` otherwise.
fn python_float_yaml(number: f64) -> String {
    if number.is_nan() {
        ".nan".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 { ".inf" } else { "-.inf" }.to_owned()
    } else {
        python_float_repr(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> String {
        let mut map = Map::new();
        map.insert("k".to_owned(), Json::String(value.to_owned()));
        dump(&Json::Object(map))
    }

    #[test]
    fn strings_are_quoted_by_yaml_1_1_rules() {
        for (text, expected) in [
            ("no", "\"no\""),
            ("Y", "\"Y\""),
            ("1", "'1'"),
            ("1.5", "'1.5'"),
            ("1e3", "1e3"),
            ("", "''"),
            ("null", "'null'"),
            ("22:22", "'22:22'"),
            ("echo hi", "echo hi"),
            ("a: b", "'a: b'"),
            ("- x", "'- x'"),
            ("-c", "-c"),
            ("*x", "'*x'"),
            ("it's", "it's"),
            ("2001-12-14", "'2001-12-14'"),
            ("2001-1-4", "'2001-1-4'"),
            (
                "2001-12-14t21:59:43.10-05:00",
                "'2001-12-14t21:59:43.10-05:00'",
            ),
            ("2001-12-14 21:59:43.10 Z", "'2001-12-14 21:59:43.10 Z'"),
            ("3002-3003", "3002-3003"),
            ("2001-12-144", "2001-12-144"),
            ("a\tb", "\"a\\tb\""),
            ("/bin/true", "/bin/true"),
            ("ą, ć", "ą, ć"),
        ] {
            assert_eq!(one(text), format!("k: {expected}\n"), "for {text:?}");
        }
    }

    /// Each as docker-compose 1.29.2 printed it (`config`, a service's
    /// `environment`; recorded in `fixtures/conformance/yaml-folding`).
    #[test]
    fn long_and_multiline_strings_are_written_as_pyyaml_writes_them() {
        for (text, expected) in [
            (
                "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp",
                "k: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n",
            ),
            ("line one\nline two", "k: 'line one\n\n  line two'\n"),
            ("end\n", "k: 'end\n\n  '\n"),
        ] {
            assert_eq!(one(text), expected, "for {text:?}");
        }
    }
}
