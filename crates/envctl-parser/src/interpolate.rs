//! Variable substitution in values (docker-compose 1.29.2 `interpolation.py`).
//!
//! It runs per file, on values only (never on mapping keys), before merging, `extends`
//! and validation. v1 files use Python's `string.Template`: `$VAR`, `${VAR}` and `$$`,
//! and any other `$` is an error. v2/v3 files add `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?error}` and `${VAR?error}`. An unset variable becomes `""` and is reported
//! once as a warning.

use indexmap::IndexMap;

use crate::model::Span;
use crate::yaml::{Node, Value};

/// Which substitution rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// v1: `string.Template`.
    Template,
    /// v2/v3: `TemplateWithDefaults`.
    WithDefaults,
}

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationError {
    /// A `$` that starts no valid substitution.
    InvalidFormat,
    /// `${VAR?message}` with `VAR` unset (or `:?` and empty).
    MissingMandatory { message: String },
}

/// What interpolation reads and what it found unset.
pub struct Interpolator<'a> {
    pub syntax: Syntax,
    pub variables: &'a IndexMap<String, String>,
    /// Unset variables, in first-seen order, without repeats, with the span of the
    /// value that first used each.
    pub unset: Vec<(String, Option<Span>)>,
    pub current_span: Option<Span>,
    /// What substitution put into the values: (span of the value, text put in, what
    /// to show instead), so that an error never shows an interpolated value (it may
    /// come from `.env` and be a secret): the whole result is shown as written, a
    /// variable's value as `${NAME}`.
    pub substituted: Vec<(Span, String, String)>,
}

fn is_identifier_start(character: char) -> bool {
    character == '_' || character.is_ascii_alphabetic()
}

fn is_identifier_char(character: char) -> bool {
    character == '_' || character.is_ascii_alphanumeric()
}

impl<'a> Interpolator<'a> {
    fn lookup(&mut self, name: &str) -> Option<&'a str> {
        let variables: &'a IndexMap<String, String> = self.variables;
        let value = variables.get(name).map(String::as_str);
        if let (Some(value), Some(span)) = (value, self.current_span) {
            self.note(span, value, name);
        }
        if value.is_none() && !self.unset.iter().any(|(seen, _)| seen == name) {
            self.unset.push((name.to_owned(), self.current_span));
        }
        value
    }

    /// Interpolates one string.
    pub fn interpolate(&mut self, text: &str) -> Result<String, InterpolationError> {
        let mut output = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(dollar) = rest.find('$') {
            output.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                output.push('$');
                rest = tail;
            } else if let Some(braced) = after.strip_prefix('{') {
                let close = braced.find('}').ok_or(InterpolationError::InvalidFormat)?;
                let inside = &braced[..close];
                output.push_str(&self.braced(inside)?);
                rest = &braced[close + 1..];
            } else if after.starts_with(is_identifier_start) {
                let end = after
                    .find(|c: char| !is_identifier_char(c))
                    .unwrap_or(after.len());
                let name = &after[..end];
                output.push_str(self.lookup(name).unwrap_or_default());
                rest = &after[end..];
            } else {
                return Err(InterpolationError::InvalidFormat);
            }
        }
        output.push_str(rest);
        Ok(output)
    }

    fn braced(&mut self, inside: &str) -> Result<String, InterpolationError> {
        if !inside.starts_with(is_identifier_start) {
            return Err(InterpolationError::InvalidFormat);
        }
        let end = inside
            .find(|c: char| !is_identifier_char(c))
            .unwrap_or(inside.len());
        let name = &inside[..end];
        let modifier = &inside[end..];
        if modifier.is_empty() {
            return Ok(self.lookup(name).unwrap_or_default().to_owned());
        }
        if self.syntax == Syntax::Template {
            return Err(InterpolationError::InvalidFormat);
        }
        let (colon, operator, argument) = if let Some(tail) = modifier.strip_prefix(":-") {
            (true, '-', tail)
        } else if let Some(tail) = modifier.strip_prefix(":?") {
            (true, '?', tail)
        } else if let Some(tail) = modifier.strip_prefix('-') {
            (false, '-', tail)
        } else if let Some(tail) = modifier.strip_prefix('?') {
            (false, '?', tail)
        } else {
            return Err(InterpolationError::InvalidFormat);
        };
        // Defaults and errors do not report the variable as unset.
        let value = self.variables.get(name).cloned();
        let missing = match &value {
            None => true,
            Some(text) => colon && text.is_empty(),
        };
        if !missing {
            let value = value.unwrap_or_default();
            if let Some(span) = self.current_span {
                self.note(span, &value, name);
            }
            return Ok(value);
        }
        if operator == '-' {
            Ok(argument.to_owned())
        } else {
            let message = if argument.is_empty() {
                name.to_owned()
            } else {
                argument.to_owned()
            };
            Err(InterpolationError::MissingMandatory { message })
        }
    }

    fn note(&mut self, span: Span, value: &str, name: &str) {
        // One character tells nothing, and replacing it would garble the message.
        if value.chars().count() > 1 {
            self.substituted
                .push((span, value.to_owned(), format!("${{{name}}}")));
        }
    }

    /// Interpolates every string in `node`, recursively; `on_error` receives the
    /// failing string node.
    pub fn interpolate_node(
        &mut self,
        node: &mut Node,
        on_error: &mut dyn FnMut(&Node, InterpolationError),
    ) {
        self.current_span = Some(node.span);
        match &mut node.value {
            // Without a `$` there is nothing to substitute: the text stays as it is.
            Value::String(text) if !text.contains('$') => {}
            Value::String(text) => match self.interpolate(text) {
                Ok(result) => {
                    if result != *text && result.chars().count() > 1 {
                        self.substituted
                            .push((node.span, result.clone(), text.clone()));
                    }
                    *text = result;
                }
                Err(error) => on_error(node, error),
            },
            Value::Sequence(items) => {
                for item in items {
                    self.interpolate_node(item, on_error);
                }
            }
            Value::Mapping(mapping) => {
                for entry in &mut mapping.entries {
                    self.interpolate_node(&mut entry.value, on_error);
                }
            }
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(syntax: Syntax, input: &str, expected: Result<&str, InterpolationError>) {
        let variables: IndexMap<String, String> = [("A", "a"), ("EMPTY", "")]
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        let mut interpolator = Interpolator {
            syntax,
            variables: &variables,
            unset: Vec::new(),
            current_span: None,
            substituted: Vec::new(),
        };
        assert_eq!(
            interpolator.interpolate(input),
            expected.map(str::to_owned),
            "for {input:?}"
        );
    }

    #[test]
    fn v1_uses_string_template() {
        use InterpolationError::InvalidFormat;
        for (input, expected) in [
            ("plain", Ok("plain")),
            ("$A", Ok("a")),
            ("${A}x", Ok("ax")),
            ("$Ax", Ok("")),
            ("$$A", Ok("$A")),
            ("$UNSET-", Ok("-")),
            ("${A:-x}", Err(InvalidFormat)),
            ("${A-x}", Err(InvalidFormat)),
            ("echo $1", Err(InvalidFormat)),
            ("trailing $", Err(InvalidFormat)),
            ("${A", Err(InvalidFormat)),
        ] {
            check(Syntax::Template, input, expected);
        }
    }

    #[test]
    fn v2_adds_defaults_and_errors() {
        for (input, expected) in [
            ("${A:-x}", Ok("a")),
            ("${EMPTY:-x}", Ok("x")),
            ("${EMPTY-x}", Ok("")),
            ("${UNSET-x y}", Ok("x y")),
            ("${A:?boom}", Ok("a")),
            (
                "${EMPTY:?boom}",
                Err(InterpolationError::MissingMandatory {
                    message: "boom".to_owned(),
                }),
            ),
            (
                "${UNSET?}",
                Err(InterpolationError::MissingMandatory {
                    message: "UNSET".to_owned(),
                }),
            ),
            ("${A+x}", Err(InterpolationError::InvalidFormat)),
        ] {
            check(Syntax::WithDefaults, input, expected);
        }
    }
}
