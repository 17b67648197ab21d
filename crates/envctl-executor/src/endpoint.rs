//! Where the engine is and how to talk to it securely: `-H`, `DOCKER_HOST`,
//! `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, the TLS flags and `DOCKER_MACHINE_NAME`,
//! resolved the way the docker CLI and docker-compose 1.29.2 resolve them.
//!
//! This module is pure: it reads no file and no process environment (both come in
//! as arguments), so that every rule has a table test below. `docker.rs` turns the
//! resulting [`Endpoint`] into a client, reading the certificate files then.
//!
//! The rules, with their sources:
//! - the address is `-H` (a leading `=` dropped, compose `command.py`
//!   `host.lstrip('=')`), else `DOCKER_HOST` when not empty, else
//!   `unix:///var/run/docker.sock`;
//! - `tcp://host:port`, bare `host:port`, and `unix:///path` (docker CLI
//!   `opts/hosts.go` `parseDockerDaemonHost`); a `tcp://` address without a port gets
//!   2376 when TLS is on and 2375 when it is off, without a host `localhost`;
//! - TLS is on with `--tls`, `--tlsverify`, any of `--tlscacert`/`--tlscert`/
//!   `--tlskey`, or a non-empty `DOCKER_TLS_VERIFY`. A `DOCKER_CERT_PATH` alone
//!   only says where the files are: docker-compose 1.29.2 and the docker CLI then
//!   speak plain HTTP, and so does envctl (checked against both; See: #16);
//! - the server is verified against the CA with `--tlsverify` or a non-empty
//!   `DOCKER_TLS_VERIFY` (any value, `0` included, as docker-py and the docker CLI
//!   read it), its name too unless `--skip-hostname-check`;
//! - each file is its flag, else `$DOCKER_CERT_PATH/{ca,cert,key}.pem`, else
//!   `~/.docker/{ca,cert,key}.pem`. Every file that TLS uses must exist, except
//!   with a bare `--tls`, which uses `~/.docker`'s client certificate only when both
//!   of its files are there (docker CLI `cli/flags/options.go` `SetDefaultOptions`);
//! - TLS applies to `tcp://` only: a `unix://` socket ignores it, as the docker CLI
//!   does.
//!
//! One difference from compose 1.29.2, on purpose: compose reads the TLS flags only
//! together with `-H` and silently ignores them otherwise; envctl always reads them,
//! as the docker CLI does.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::ExecutorError;

/// Used when neither `-H` nor `DOCKER_HOST` names an engine, as the docker CLI does.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The engine's port over plain TCP.
pub const DEFAULT_HTTP_PORT: u16 = 2375;
/// The engine's port over TLS.
pub const DEFAULT_TLS_PORT: u16 = 2376;

/// Where the engine listens, parsed from `DOCKER_HOST` / `-H`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineAddress {
    Unix(PathBuf),
    /// `host:port` (the host may be a bracketed IPv6 address).
    Tcp(String),
}

impl EngineAddress {
    /// Parses an address without TLS (plain TCP's default port 2375).
    pub fn parse(host: &str) -> Result<Self, ExecutorError> {
        parse_host(host, false)
    }
}

impl fmt::Display for EngineAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(formatter, "unix://{}", path.display()),
            Self::Tcp(address) => write!(formatter, "tcp://{address}"),
        }
    }
}

/// The TLS options of the command line (`--tls`, `--tlsverify`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFlags {
    pub tls: bool,
    pub verify: bool,
    pub ca_cert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub skip_hostname_check: bool,
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Encrypted, but any certificate is accepted (`--tls` without `--tlsverify`).
    None,
    /// Signed by the CA; the name is not checked (`--skip-hostname-check`).
    CaOnly,
    /// Signed by the CA and issued for the host in the address.
    CaAndHostname,
}

/// The client's certificate and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCertificate {
    /// Both files must be readable.
    Required { cert: PathBuf, key: PathBuf },
    /// Used when both files exist (a bare `--tls` and `~/.docker`).
    IfPresent { cert: PathBuf, key: PathBuf },
}

/// TLS settings for a `tcp://` engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub verification: Verification,
    /// The CA to verify against; `Some` exactly when `verification` is not `None`.
    pub ca_cert: Option<PathBuf>,
    pub client: ClientCertificate,
}

/// Everything needed to reach one engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: EngineAddress,
    pub tls: Option<TlsSettings>,
    /// `DOCKER_MACHINE_NAME`, shown next to the address.
    pub machine: Option<String>,
    /// Seconds a single request may take (`COMPOSE_HTTP_TIMEOUT`, default 60, as
    /// 1.29.2); a stop waits its own timeout on top of this.
    pub timeout: u64,
}

/// `COMPOSE_HTTP_TIMEOUT`'s default, as 1.29.2's.
pub const DEFAULT_HTTP_TIMEOUT: u64 = 60;

impl Endpoint {
    /// A plain endpoint: no TLS, no machine name.
    pub fn plain(address: EngineAddress) -> Self {
        Self {
            address,
            tls: None,
            machine: None,
            timeout: DEFAULT_HTTP_TIMEOUT,
        }
    }

    /// The host name the server's certificate must carry (`tcp://` only).
    pub fn server_name(&self) -> Option<&str> {
        match &self.address {
            EngineAddress::Tcp(address) => Some(split_host_port(address).0),
            EngineAddress::Unix(_) => None,
        }
    }
}

impl Endpoint {
    /// `` `tcp://127.0.0.1:2376` over TLS (machine `dev`) ``: how messages name the
    /// engine.
    pub fn quoted(&self) -> String {
        format!("`{}`{}", self.address, self.suffix(true))
    }

    fn suffix(&self, quote: bool) -> String {
        let mut suffix = String::new();
        if matches!(self.address, EngineAddress::Tcp(_)) && self.tls.is_some() {
            suffix.push_str(" over TLS");
        }
        if let Some(machine) = &self.machine {
            let quote = if quote { "`" } else { "" };
            suffix.push_str(" (machine ");
            suffix.push_str(quote);
            suffix.push_str(machine);
            suffix.push_str(quote);
            suffix.push(')');
        }
        suffix
    }
}

/// `tcp://127.0.0.1:2376 over TLS (machine dev)`: how `version` and `info` name
/// the engine.
impl fmt::Display for Endpoint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}{}", self.address, self.suffix(false))
    }
}

/// Resolves the endpoint from the flags and an environment lookup. `home` is the
/// user's home directory (for `~/.docker`), when known.
/// The engine address of the Docker CLI context `name` (`-c/--context`), from its
/// `contexts/meta/<sha256 of the name>/meta.json` (`Endpoints.docker.Host`) under
/// `$DOCKER_CONFIG` when that is a directory, else `~/.docker`, as docker-py's
/// `ContextAPI` finds it. `default` (or no name) is `None`: the usual rules.
pub fn context_host(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Option<String>, ExecutorError> {
    use sha2::Digest as _;
    if name.is_empty() || name == "default" {
        return Ok(None);
    }
    let config = env("DOCKER_CONFIG")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .filter(|path| path.is_dir())
        .unwrap_or_else(|| {
            home.map_or_else(|| PathBuf::from(".docker"), |home| home.join(".docker"))
        });
    let digest = sha2::Sha256::digest(name.as_bytes());
    let hex = digest.iter().fold(String::new(), |mut hex, byte| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
        hex
    });
    let meta = config
        .join("contexts")
        .join("meta")
        .join(hex)
        .join("meta.json");
    let unknown = || ExecutorError::UnsupportedAddress {
        address: format!("context {name}"),
        reason: format!("Context '{name}' not found (no `{}`)", meta.display()),
    };
    let text = std::fs::read_to_string(&meta).map_err(|_| unknown())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| unknown())?;
    // docker-py stores a TCP host as `http://` or `https://`.
    Ok(value
        .pointer("/Endpoints/docker/Host")
        .and_then(serde_json::Value::as_str)
        .map(|host| {
            host.strip_prefix("https://")
                .or_else(|| host.strip_prefix("http://"))
                .map_or_else(|| host.to_owned(), |rest| format!("tcp://{rest}"))
        }))
}

pub fn resolve(
    host_flag: Option<&str>,
    flags: &TlsFlags,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Endpoint, ExecutorError> {
    let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
    let cert_path = non_empty("DOCKER_CERT_PATH").map(PathBuf::from);
    let verify = flags.verify || non_empty("DOCKER_TLS_VERIFY").is_some();
    let explicit_files = flags.ca_cert.is_some() || flags.cert.is_some() || flags.key.is_some();
    let tls_on = flags.tls || verify || explicit_files;

    let host = host_flag
        .map(|host| host.trim_start_matches('='))
        .map(str::to_owned)
        .or_else(|| non_empty("DOCKER_HOST"))
        .unwrap_or_else(|| DEFAULT_HOST.to_owned());
    let address = parse_host(&host, tls_on)?;
    let machine = non_empty("DOCKER_MACHINE_NAME");

    let tls = match &address {
        EngineAddress::Tcp(_) if tls_on => {
            let directory = match (&cert_path, home) {
                (Some(path), _) => path.clone(),
                (None, Some(home)) => home.join(".docker"),
                (None, None) => PathBuf::from(".docker"),
            };
            let file = |flag: &Option<PathBuf>, name: &str| {
                flag.clone().unwrap_or_else(|| directory.join(name))
            };
            let verification = match (verify, flags.skip_hostname_check) {
                (false, _) => Verification::None,
                (true, true) => Verification::CaOnly,
                (true, false) => Verification::CaAndHostname,
            };
            let cert = file(&flags.cert, "cert.pem");
            let key = file(&flags.key, "key.pem");
            let bare_tls = !verify && !explicit_files && cert_path.is_none();
            Some(TlsSettings {
                verification,
                ca_cert: verify.then(|| file(&flags.ca_cert, "ca.pem")),
                client: if bare_tls {
                    ClientCertificate::IfPresent { cert, key }
                } else {
                    ClientCertificate::Required { cert, key }
                },
            })
        }
        _ => None,
    };
    let timeout = match non_empty("COMPOSE_HTTP_TIMEOUT") {
        None => DEFAULT_HTTP_TIMEOUT,
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| ExecutorError::UnsupportedAddress {
                address: format!("COMPOSE_HTTP_TIMEOUT={text}"),
                reason: "the timeout must be a whole number of seconds".to_owned(),
            })?,
    };
    Ok(Endpoint {
        address,
        tls,
        machine,
        timeout,
    })
}

/// `unix://…`, `tcp://…`, bare `host:port`; `tls` picks the default port.
fn parse_host(host: &str, tls: bool) -> Result<EngineAddress, ExecutorError> {
    let unsupported = |reason: &str| ExecutorError::UnsupportedAddress {
        address: host.to_owned(),
        reason: reason.to_owned(),
    };
    let host = host.trim();
    let (scheme, rest) = match host.split_once("://") {
        Some((scheme, rest)) => (scheme, rest),
        None if host.starts_with('/') => ("unix", host),
        None => ("tcp", host),
    };
    match scheme {
        "unix" => {
            let path = if rest.is_empty() {
                "/var/run/docker.sock"
            } else {
                rest
            };
            Ok(EngineAddress::Unix(PathBuf::from(path)))
        }
        "tcp" => {
            let rest = rest.trim_end_matches('/');
            if rest.contains('/') {
                return Err(unsupported("a `tcp://` address takes no path"));
            }
            let (name, port) = split_host_port(rest);
            let name = if name.is_empty() { "localhost" } else { name };
            let port = match port {
                None | Some("") => {
                    if tls {
                        DEFAULT_TLS_PORT
                    } else {
                        DEFAULT_HTTP_PORT
                    }
                }
                Some(port) => port
                    .parse::<u16>()
                    .ok()
                    .filter(|port| *port != 0)
                    .ok_or_else(|| unsupported("the port is not a number from 1 to 65535"))?,
            };
            Ok(EngineAddress::Tcp(format!("{name}:{port}")))
        }
        "ssh" => Err(unsupported(
            "envctl does not speak `ssh://` yet; forward the engine's socket with `ssh -NL /tmp/engine.sock:/var/run/docker.sock HOST` and use `unix:///tmp/engine.sock`",
        )),
        "npipe" | "fd" => Err(unsupported("this transport is not available here")),
        _ => Err(unsupported("the scheme must be `unix://` or `tcp://`")),
    }
}

/// `host:port` → (`host`, `Some(port)`); `[::1]:2376` → (`[::1]`, `Some(2376)`).
fn split_host_port(address: &str) -> (&str, Option<&str>) {
    if address.starts_with('[') {
        return match address.find(']') {
            Some(end) => {
                let port = address[end + 1..].strip_prefix(':');
                (&address[..=end], port)
            }
            None => (address, None),
        };
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (address, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    fn resolve_with(
        host: Option<&str>,
        flags: &TlsFlags,
        env: &'static [(&'static str, &'static str)],
    ) -> Result<Endpoint, ExecutorError> {
        resolve(host, flags, &env_of(env), Some(Path::new("/home/me")))
    }

    #[test]
    fn addresses() {
        let cases: &[(&str, bool, &str)] = &[
            (
                "unix:///var/run/docker.sock",
                false,
                "unix:///var/run/docker.sock",
            ),
            ("unix://", false, "unix:///var/run/docker.sock"),
            ("/tmp/d.sock", false, "unix:///tmp/d.sock"),
            ("tcp://10.0.0.1:2375", false, "tcp://10.0.0.1:2375"),
            ("tcp://10.0.0.1:4000", true, "tcp://10.0.0.1:4000"),
            ("tcp://10.0.0.1", false, "tcp://10.0.0.1:2375"),
            ("tcp://10.0.0.1", true, "tcp://10.0.0.1:2376"),
            ("tcp://10.0.0.1:", true, "tcp://10.0.0.1:2376"),
            ("tcp://:2380", false, "tcp://localhost:2380"),
            ("tcp://", true, "tcp://localhost:2376"),
            ("tcp://host:2376/", true, "tcp://host:2376"),
            ("192.168.99.100:2376", true, "tcp://192.168.99.100:2376"),
            ("example.com", false, "tcp://example.com:2375"),
            ("tcp://[::1]:2376", true, "tcp://[::1]:2376"),
            ("tcp://[::1]", false, "tcp://[::1]:2375"),
        ];
        for (input, tls, expected) in cases {
            let address =
                parse_host(input, *tls).unwrap_or_else(|error| panic!("{input}: {error}"));
            assert_eq!(address.to_string(), *expected, "{input} (tls {tls})");
        }
    }

    #[test]
    fn bad_addresses() {
        let cases: &[(&str, &str)] = &[
            ("ssh://me@host", "ssh://"),
            ("npipe:////./pipe/docker_engine", "not available"),
            ("http://host:2375", "scheme"),
            ("tcp://host:port", "port"),
            ("tcp://host:0", "port"),
            ("tcp://host:70000", "port"),
            ("tcp://host:2375/path", "no path"),
        ];
        for (input, reason) in cases {
            match parse_host(input, false) {
                Err(ExecutorError::UnsupportedAddress {
                    address,
                    reason: got,
                }) => {
                    assert_eq!(address, *input);
                    assert!(got.contains(reason), "{input}: {got}");
                }
                other => panic!("{input}: {other:?}"),
            }
        }
    }

    type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);

    #[test]
    fn host_precedence() {
        let flags = TlsFlags::default();
        let cases: &[Case] = &[
            (None, &[], "unix:///var/run/docker.sock"),
            (None, &[("DOCKER_HOST", "")], "unix:///var/run/docker.sock"),
            (None, &[("DOCKER_HOST", "tcp://a:1")], "tcp://a:1"),
            (
                Some("tcp://b:2"),
                &[("DOCKER_HOST", "tcp://a:1")],
                "tcp://b:2",
            ),
            (Some("=tcp://b:2"), &[], "tcp://b:2"),
            (
                Some("unix:///x.sock"),
                &[("DOCKER_HOST", "tcp://a:1")],
                "unix:///x.sock",
            ),
        ];
        for (host, env, expected) in cases {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(env.to_vec().into_boxed_slice());
            let endpoint = resolve_with(*host, &flags, pairs).expect("resolves");
            assert_eq!(endpoint.address.to_string(), *expected, "{host:?} {env:?}");
        }
    }

    fn required(directory: &str) -> ClientCertificate {
        ClientCertificate::Required {
            cert: PathBuf::from(directory).join("cert.pem"),
            key: PathBuf::from(directory).join("key.pem"),
        }
    }

    #[test]
    fn docker_machine_env() {
        // Exactly what `docker-machine env dev` prints.
        let endpoint = resolve_with(
            None,
            &TlsFlags::default(),
            &[
                ("DOCKER_TLS_VERIFY", "1"),
                ("DOCKER_HOST", "tcp://192.168.99.100:2376"),
                ("DOCKER_CERT_PATH", "/home/me/.docker/machine/machines/dev"),
                ("DOCKER_MACHINE_NAME", "dev"),
            ],
        )
        .expect("resolves");
        assert_eq!(
            endpoint,
            Endpoint {
                timeout: DEFAULT_HTTP_TIMEOUT,
                address: EngineAddress::Tcp("192.168.99.100:2376".to_owned()),
                tls: Some(TlsSettings {
                    verification: Verification::CaAndHostname,
                    ca_cert: Some(PathBuf::from(
                        "/home/me/.docker/machine/machines/dev/ca.pem"
                    )),
                    client: required("/home/me/.docker/machine/machines/dev"),
                }),
                machine: Some("dev".to_owned()),
            }
        );
        assert_eq!(
            endpoint.to_string(),
            "tcp://192.168.99.100:2376 over TLS (machine dev)"
        );
        assert_eq!(
            endpoint.quoted(),
            "`tcp://192.168.99.100:2376` over TLS (machine `dev`)"
        );
        assert_eq!(endpoint.server_name(), Some("192.168.99.100"));
    }

    #[test]
    fn tls_settings() {
        type Row = (
            &'static str,
            TlsFlags,
            &'static [(&'static str, &'static str)],
            Option<(Verification, Option<&'static str>, ClientCertificate)>,
        );
        let flags = |change: fn(&mut TlsFlags)| {
            let mut flags = TlsFlags::default();
            change(&mut flags);
            flags
        };
        let home = "/home/me/.docker";
        let rows: Vec<Row> = vec![
            ("nothing: plain", TlsFlags::default(), &[], None),
            (
                "DOCKER_TLS_VERIFY=1: ~/.docker, all required",
                TlsFlags::default(),
                &[("DOCKER_TLS_VERIFY", "1")],
                Some((
                    Verification::CaAndHostname,
                    Some("/home/me/.docker/ca.pem"),
                    required(home),
                )),
            ),
            (
                "DOCKER_TLS_VERIFY=0 still verifies (any value but empty)",
                TlsFlags::default(),
                &[("DOCKER_TLS_VERIFY", "0")],
                Some((
                    Verification::CaAndHostname,
                    Some("/home/me/.docker/ca.pem"),
                    required(home),
                )),
            ),
            (
                "DOCKER_TLS_VERIFY empty: off",
                TlsFlags::default(),
                &[("DOCKER_TLS_VERIFY", "")],
                None,
            ),
            (
                "DOCKER_CERT_PATH alone: plain, as docker-compose 1.29.2 and the docker CLI",
                TlsFlags::default(),
                &[("DOCKER_CERT_PATH", "/certs")],
                None,
            ),
            (
                "--tls with DOCKER_CERT_PATH: TLS without verification, its client cert required",
                flags(|flags| flags.tls = true),
                &[("DOCKER_CERT_PATH", "/certs")],
                Some((Verification::None, None, required("/certs"))),
            ),
            (
                "--tls alone: ~/.docker client cert if present",
                flags(|flags| flags.tls = true),
                &[],
                Some((
                    Verification::None,
                    None,
                    ClientCertificate::IfPresent {
                        cert: PathBuf::from("/home/me/.docker/cert.pem"),
                        key: PathBuf::from("/home/me/.docker/key.pem"),
                    },
                )),
            ),
            (
                "--tlsverify with DOCKER_CERT_PATH",
                flags(|flags| flags.verify = true),
                &[("DOCKER_CERT_PATH", "/certs")],
                Some((
                    Verification::CaAndHostname,
                    Some("/certs/ca.pem"),
                    required("/certs"),
                )),
            ),
            (
                "--skip-hostname-check keeps the CA check",
                flags(|flags| flags.skip_hostname_check = true),
                &[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", "/certs")],
                Some((
                    Verification::CaOnly,
                    Some("/certs/ca.pem"),
                    required("/certs"),
                )),
            ),
            (
                "--skip-hostname-check without verification changes nothing",
                flags(|flags| {
                    flags.tls = true;
                    flags.skip_hostname_check = true;
                }),
                &[("DOCKER_CERT_PATH", "/certs")],
                Some((Verification::None, None, required("/certs"))),
            ),
            (
                "flags win over DOCKER_CERT_PATH, file by file",
                flags(|flags| {
                    flags.verify = true;
                    flags.ca_cert = Some(PathBuf::from("/mine/ca.pem"));
                    flags.key = Some(PathBuf::from("/mine/key.pem"));
                }),
                &[("DOCKER_CERT_PATH", "/certs")],
                Some((
                    Verification::CaAndHostname,
                    Some("/mine/ca.pem"),
                    ClientCertificate::Required {
                        cert: PathBuf::from("/certs/cert.pem"),
                        key: PathBuf::from("/mine/key.pem"),
                    },
                )),
            ),
            (
                "--tlscert alone turns TLS on",
                flags(|flags| flags.cert = Some(PathBuf::from("/mine/cert.pem"))),
                &[],
                Some((
                    Verification::None,
                    None,
                    ClientCertificate::Required {
                        cert: PathBuf::from("/mine/cert.pem"),
                        key: PathBuf::from("/home/me/.docker/key.pem"),
                    },
                )),
            ),
        ];
        for (name, flags, env, expected) in rows {
            let endpoint = resolve_with(Some("tcp://engine:2376"), &flags, env).expect(name);
            let got = endpoint
                .tls
                .map(|tls| (tls.verification, tls.ca_cert, tls.client));
            let expected = expected
                .map(|(verification, ca, client)| (verification, ca.map(PathBuf::from), client));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn tls_picks_the_default_port_and_skips_unix() {
        let env: &[(&str, &str)] = &[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_HOST", "tcp://engine")];
        let endpoint = resolve_with(None, &TlsFlags::default(), env).expect("resolves");
        assert_eq!(endpoint.address.to_string(), "tcp://engine:2376");
        let endpoint =
            resolve_with(Some("unix:///x.sock"), &TlsFlags::default(), env).expect("resolves");
        assert_eq!(endpoint.tls, None);
        assert_eq!(endpoint.to_string(), "unix:///x.sock");
    }

    #[test]
    fn machine_name_and_server_name() {
        let endpoint = resolve_with(
            Some("tcp://[::1]:2376"),
            &TlsFlags::default(),
            &[("DOCKER_MACHINE_NAME", "")],
        )
        .expect("resolves");
        assert_eq!(endpoint.machine, None);
        assert_eq!(endpoint.server_name(), Some("[::1]"));
    }
}
