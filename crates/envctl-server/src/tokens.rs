//! The bearer tokens file: a line per token, `TOKEN NAME SCOPES [QUOTA...]`, `#`
//! starts a comment. Scopes are comma-separated from `read`, `write`, `run`; quotas
//! are `environments=N`, `containers=N` and `ttl=DURATION` (the longest lifetime
//! the token may ask for). A presented token is compared with every known one in
//! constant time (`subtle`), on SHA-256 digests so that lengths leak nothing either.

use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ServerError;
use crate::spec::parse_duration;

/// What a token may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
    pub run: bool,
}

/// A scope a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
    Run,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Run => "run",
        }
    }
}

impl Scopes {
    pub fn allows(self, scope: Scope) -> bool {
        match scope {
            Scope::Read => self.read,
            Scope::Write => self.write,
            Scope::Run => self.run,
        }
    }
}

/// A token's limits; `None` is no limit of the token's own (the server's still hold).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    /// Environments the token's owner may hold at once.
    pub environments: Option<usize>,
    /// Containers across them.
    pub containers: Option<usize>,
    /// The longest `ttl` it may ask for.
    pub ttl: Option<Duration>,
}

/// One caller.
#[derive(Debug, Clone)]
pub struct Token {
    digest: [u8; 32],
    /// Who it is: the owner recorded on the environments it makes.
    pub name: String,
    pub scopes: Scopes,
    pub quota: Quota,
}

impl Token {
    /// A caller that presents no token (the queue's consumer): `read` and
    /// `write`, no quota. Its digest matches no presented token.
    pub fn internal(name: &str) -> Self {
        Self {
            digest: [0; 32],
            name: name.to_owned(),
            scopes: Scopes {
                read: true,
                write: true,
                run: false,
            },
            quota: Quota::default(),
        }
    }
}

/// Every token the server knows.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    tokens: Vec<Token>,
}

/// A field of the line, quoted in an error unless it could be a token (16
/// characters or more: columns written in the wrong order put the secret where a
/// name or a scope was expected).
fn shown(field: &str) -> String {
    if field.chars().count() < 16 {
        format!("`{field}`")
    } else {
        format!(
            "a field of {} characters (not shown: it may be a token)",
            field.chars().count()
        )
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl Tokens {
    /// Reads the tokens file.
    pub fn load(path: &Path) -> Result<Self, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|source| ServerError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|(line, message)| ServerError::Tokens {
            path: path.to_path_buf(),
            line,
            message,
        })
    }

    /// Parses the file's text; an error is its line (1-based) and what is wrong.
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut tokens = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_number = index + 1;
            let line = raw.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [secret, name, scopes, quotas @ ..] = fields.as_slice() else {
                return Err((line_number, "expected `TOKEN NAME SCOPES`".to_owned()));
            };
            if secret.len() < 16 {
                return Err((
                    line_number,
                    "a token must be at least 16 characters long".to_owned(),
                ));
            }
            let mut parsed = Scopes::default();
            for scope in scopes.split(',') {
                match scope {
                    "read" => parsed.read = true,
                    "write" => parsed.write = true,
                    "run" => parsed.run = true,
                    other => {
                        return Err((
                            line_number,
                            format!("unknown scope {} (expected read, write, run)", shown(other)),
                        ));
                    }
                }
            }
            let mut quota = Quota::default();
            for item in quotas {
                let Some((key, value)) = item.split_once('=') else {
                    return Err((
                        line_number,
                        format!("expected a quota `KEY=VALUE`, found {}", shown(item)),
                    ));
                };
                let bad = || (line_number, format!("invalid value for {}", shown(key)));
                match key {
                    "environments" => quota.environments = Some(value.parse().map_err(|_| bad())?),
                    "containers" => quota.containers = Some(value.parse().map_err(|_| bad())?),
                    "ttl" => quota.ttl = Some(parse_duration(value).ok_or_else(bad)?),
                    other => {
                        return Err((
                            line_number,
                            format!(
                                "unknown quota {} (expected environments, containers, ttl)",
                                shown(other)
                            ),
                        ));
                    }
                }
            }
            if tokens.iter().any(|token: &Token| token.name == *name) {
                return Err((
                    line_number,
                    format!("the name {} is given twice", shown(name)),
                ));
            }
            tokens.push(Token {
                digest: digest(secret),
                name: (*name).to_owned(),
                scopes: parsed,
                quota,
            });
        }
        Ok(Self { tokens })
    }

    /// The token `presented` is, compared with every one in constant time.
    pub fn find(&self, presented: &str) -> Option<&Token> {
        let presented = digest(presented);
        let mut found = None;
        for token in &self.tokens {
            if bool::from(token.digest.ct_eq(&presented)) {
                found = Some(token);
            }
        }
        found
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scopes_quotas_and_comments() {
        let tokens = Tokens::parse(
            "# ci\n0123456789abcdef ci read,write environments=3 ttl=2h # the CI\n\n\
             fedcba9876543210 viewer read\n",
        )
        .expect("valid");
        let ci = tokens.find("0123456789abcdef").expect("ci");
        assert_eq!(ci.name, "ci");
        assert!(ci.scopes.write && !ci.scopes.run);
        assert_eq!(ci.quota.environments, Some(3));
        assert_eq!(ci.quota.ttl, Some(Duration::from_secs(7200)));
        assert!(tokens.find("fedcba9876543210").is_some());
        assert!(tokens.find("0123456789abcdeX").is_none());
    }

    #[test]
    fn refuses_bad_lines_with_their_number() {
        for (text, line) in [
            ("short ci read\n", 1),
            ("# x\n0123456789abcdef ci admin\n", 2),
            ("0123456789abcdef ci\n", 1),
            ("0123456789abcdef ci read ttl=forever\n", 1),
            ("0123456789abcdef ci read\n0123456789abcdeg ci write\n", 2),
        ] {
            assert_eq!(Tokens::parse(text).expect_err(text).0, line, "{text}");
        }
    }

    /// Columns in the wrong order, or two tokens on a line: the error has the
    /// line number and never the secret.
    #[test]
    fn errors_never_show_a_token() {
        let secret = "s3cr3t-t0ken-0123456789";
        for text in [
            format!("ci read {secret}\n"),
            format!("0123456789abcdef ci {secret}\n"),
            format!("0123456789abcdef ci read {secret}\n"),
            format!("0123456789abcdef ci read {secret}=1\n"),
            format!("0123456789abcdef {secret} read\nfedcba9876543210 {secret} read\n"),
        ] {
            let (line, message) = Tokens::parse(&text).expect_err(&text);
            assert!(line >= 1, "{text}");
            assert!(!message.contains(secret), "{text}: {message}");
        }
        let (_, message) = Tokens::parse("0123456789abcdef ci admin\n").expect_err("admin");
        assert_eq!(message, "unknown scope `admin` (expected read, write, run)");
    }
}
