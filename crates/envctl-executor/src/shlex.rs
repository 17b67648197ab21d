//! Splits a `command:`/`entrypoint:` string the way docker-py's `split_command`
//! does: Python's `shlex.split` in POSIX mode, without comments.
//!
//! Outside quotes a backslash escapes any character; inside `'…'` nothing is
//! special; inside `"…"` a backslash escapes only `"` and `\` and is kept before
//! anything else. Quotes join with adjacent text (`a"b c"d` is one word), and an
//! empty pair of quotes is an empty word.

use std::fmt;

/// Why a string cannot be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    /// A `'` or `"` is never closed (Python: `No closing quotation`).
    NoClosingQuotation,
    /// The string ends with a lone `\` (Python: `No escaped character`).
    NoEscapedCharacter,
}

impl fmt::Display for SplitError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::NoClosingQuotation => "no closing quotation",
            Self::NoEscapedCharacter => "no escaped character after the final `\\`",
        })
    }
}

impl std::error::Error for SplitError {}

pub fn split(text: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word has started, even if it is still empty (`''`).
    let mut in_word = false;
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match character {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                word.push(characters.next().ok_or(SplitError::NoEscapedCharacter)?);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match characters.next() {
                        Some('\'') => break,
                        Some(quoted) => word.push(quoted),
                        None => return Err(SplitError::NoClosingQuotation),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match characters.next() {
                        Some('"') => break,
                        Some('\\') => match characters.next() {
                            Some(escaped @ ('"' | '\\')) => word.push(escaped),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err(SplitError::NoEscapedCharacter),
                        },
                        Some(quoted) => word.push(quoted),
                        None => return Err(SplitError::NoClosingQuotation),
                    }
                }
            }
            other => {
                word.push(other);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values are what Python 3.11's `shlex.split` returns.
    fn check(input: &str, expect: &[&str]) {
        assert_eq!(
            split(input),
            Ok(expect.iter().map(ToString::to_string).collect()),
            "input: {input:?}"
        );
    }

    #[test]
    fn splits_like_python_shlex() {
        check("", &[]);
        check("   ", &[]);
        check("echo hello", &["echo", "hello"]);
        check("  a \t b\nc  ", &["a", "b", "c"]);
        check(
            "sh -c 'echo $HOME; exit 0'",
            &["sh", "-c", "echo $HOME; exit 0"],
        );
        check(
            r#"sh -c "trap \"exit 0\" TERM""#,
            &["sh", "-c", r#"trap "exit 0" TERM"#],
        );
        check(r#""a\b" "a\\b" 'a\b'"#, &[r"a\b", r"a\b", r"a\b"]);
        check(r"a\ b c\\d \'", &["a b", r"c\d", "'"]);
        check(r#"a"b c"d"#, &["ab cd"]);
        check("a '' b \"\"", &["a", "", "b", ""]);
        check(
            "echo # not a comment",
            &["echo", "#", "not", "a", "comment"],
        );
        check("x=1 'it''s'", &["x=1", "its"]);
    }

    #[test]
    fn reports_unbalanced_input() {
        assert_eq!(split("echo 'oops"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("echo \"oops"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("echo \"oops\\"), Err(SplitError::NoEscapedCharacter));
        assert_eq!(split("echo oops\\"), Err(SplitError::NoEscapedCharacter));
    }
}
