//! `.env` and `env_file` syntax, as python-dotenv 0.21 reads it (what 1.29.2 runs with).
//!
//! `KEY=VALUE` lines, an optional `export ` prefix, `#` comments, single quotes
//! (literal), double quotes (escapes), and `${VAR}` / `${VAR:-default}` expansion in
//! unquoted and double-quoted values, where earlier values of the same file win over
//! the process environment. A line with a key and no `=` gives `None` (unset).

use indexmap::IndexMap;

/// Parses a dotenv file; `environment` is the process environment for `${VAR}`.
pub fn parse(
    text: &str,
    environment: &IndexMap<String, String>,
) -> IndexMap<String, Option<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut values: IndexMap<String, Option<String>> = IndexMap::new();
    let mut lines = text.split('\n').peekable();
    while let Some(raw_line) = lines.next() {
        let line = raw_line.trim_end_matches('\r').trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some(equals) = line.find('=') else {
            let key = line.split('#').next().unwrap_or_default().trim();
            if !key.is_empty() && !key.contains(char::is_whitespace) {
                values.insert(unquote_key(key), None);
            }
            continue;
        };
        let key = unquote_key(line[..equals].trim());
        if key.is_empty() {
            continue;
        }
        let mut value_text = line[equals + 1..].trim_start().to_owned();
        // A quoted value may continue over several lines.
        for quote in ['"', '\''] {
            if value_text.starts_with(quote) && !has_closing_quote(&value_text, quote) {
                for next in lines.by_ref() {
                    value_text.push('\n');
                    value_text.push_str(next.trim_end_matches('\r'));
                    if has_closing_quote(&value_text, quote) {
                        break;
                    }
                }
            }
        }
        let value = if let Some(body) = value_text.strip_prefix('\'') {
            body.rfind('\'').map_or(body, |end| &body[..end]).to_owned()
        } else if let Some(body) = value_text.strip_prefix('"') {
            let end = closing_double_quote(body).unwrap_or(body.len());
            expand(&unescape_double(&body[..end]), &values, environment)
        } else {
            let without_comment = match value_text.find(" #") {
                Some(index) => &value_text[..index],
                None => value_text.as_str(),
            };
            expand(without_comment.trim(), &values, environment)
        };
        values.insert(key, Some(value));
    }
    values
}

fn unquote_key(key: &str) -> String {
    key.trim_matches(|c| c == '\'' || c == '"').to_owned()
}

fn has_closing_quote(value: &str, quote: char) -> bool {
    let body = &value[1..];
    if quote == '"' {
        closing_double_quote(body).is_some()
    } else {
        body.contains('\'')
    }
}

fn closing_double_quote(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'"' => return Some(index),
            _ => index += 1,
        }
    }
    None
}

fn unescape_double(text: &str) -> String {
    let mut output = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            output.push(character);
            continue;
        }
        match characters.next() {
            Some('n') => output.push('\n'),
            Some('t') => output.push('\t'),
            Some('r') => output.push('\r'),
            Some(escaped @ ('\\' | '"' | '\'')) => output.push(escaped),
            Some(other) => {
                output.push('\\');
                output.push(other);
            }
            None => output.push('\\'),
        }
    }
    output
}

/// python-dotenv's `${NAME}` / `${NAME:-default}`; `$NAME` stays literal.
fn expand(
    text: &str,
    file_values: &IndexMap<String, Option<String>>,
    environment: &IndexMap<String, String>,
) -> String {
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(close) = rest[start..].find('}') else {
            break;
        };
        let inside = &rest[start + 2..start + close];
        let (name, default) = match inside.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inside, None),
        };
        if name.contains(':') {
            output.push_str(&rest[..=start + close]);
            rest = &rest[start + close + 1..];
            continue;
        }
        output.push_str(&rest[..start]);
        let value = file_values
            .get(name)
            .cloned()
            .flatten()
            .or_else(|| environment.get(name).cloned())
            .filter(|value| !value.is_empty())
            .or_else(|| default.map(str::to_owned))
            .unwrap_or_default();
        output.push_str(&value);
        rest = &rest[start + close + 1..];
    }
    output.push_str(rest);
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_python_dotenv_syntax() {
        let environment: IndexMap<String, String> = [("SHELL_VAR".to_owned(), "shell".to_owned())]
            .into_iter()
            .collect();
        let text = "# comment\nA=1\nexport B = two words \nC='single $A ${A}'\nD=\"dq\\n${A}\"\nE=${A}-${SHELL_VAR}-${NOPE:-dflt}\nF=x # comment\nBARE\nG=$A\n\nH=\"multi\nline\"\n";
        let values = parse(text, &environment);
        let expected: Vec<(&str, Option<&str>)> = vec![
            ("A", Some("1")),
            ("B", Some("two words")),
            ("C", Some("single $A ${A}")),
            ("D", Some("dq\n1")),
            ("E", Some("1-shell-dflt")),
            ("F", Some("x")),
            ("BARE", None),
            ("G", Some("$A")),
            ("H", Some("multi\nline")),
        ];
        let actual: Vec<(&str, Option<&str>)> = values
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_deref()))
            .collect();
        assert_eq!(actual, expected);
    }
}
