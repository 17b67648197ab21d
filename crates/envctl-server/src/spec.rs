//! What a client asks: the bodies of `PUT` and `PATCH`, environment names and
//! durations. Unknown fields are refused (`deny_unknown_fields`): a misspelt
//! `tll` must not silently mean "the default lifetime".

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

/// `PUT /v1/environments/{name}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// A template's name (a sub-directory of `--templates`).
    #[serde(default)]
    pub template: Option<String>,
    /// An inline compose file (only with `--allow-inline`).
    #[serde(default)]
    pub compose: Option<String>,
    /// The only variables interpolation reads (the template's `.env` aside).
    #[serde(default)]
    pub env: IndexMap<String, String>,
    /// Profiles to enable.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// `90s`, `10m`, `2h`, `1d`.
    #[serde(default)]
    pub ttl: Option<String>,
    /// Answer once every service is running and healthy (`up --wait`).
    #[serde(default)]
    pub wait: bool,
}

/// `PATCH /v1/environments/{name}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifetimePatch {
    pub ttl: String,
}

/// `POST /v1/environments/{name}/run`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    pub service: String,
    /// The command, as a list (no shell is involved).
    #[serde(default)]
    pub command: Vec<String>,
}

/// Whether `name` is an environment name: `[a-z0-9][a-z0-9_-]{0,62}`.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes[1..].iter().all(|&byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-'
        })
}

/// `90s`, `10m`, `2h`, `1d` (a positive whole number and one unit).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let unit_at = text.find(|character: char| !character.is_ascii_digit())?;
    let (number, unit) = text.split_at(unit_at);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    if number == 0 {
        return None;
    }
    number.checked_mul(seconds).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for name in ["a", "serve-1", "0_x", &"a".repeat(63)] {
            assert!(valid_name(name), "{name}");
        }
        for name in [
            "",
            "-a",
            "_a",
            "A",
            "a.b",
            "a/b",
            "a b",
            &"a".repeat(64),
            "é",
        ] {
            assert!(!valid_name(name), "{name}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86_400)));
        for bad in [
            "",
            "s",
            "10",
            "0s",
            "1.5h",
            "-1s",
            "1w",
            "99999999999999999999s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = serde_json::from_str::<EnvironmentSpec>(r#"{"template":"a","tll":"1h"}"#)
            .expect_err("unknown field");
        assert!(error.to_string().contains("unknown field `tll`"), "{error}");
    }
}
