//! Pulling and building the services' images: the requests in envctl's terms and
//! the progress they report. The engine calls are in `docker/image.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use envctl_parser::Service;
use indexmap::IndexMap;

/// What a pull or a build reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageEvent {
    /// A layer's state: `Pulling fs layer`, `Downloading` (with bytes),
    /// `Download complete`, `Extracting`, `Pull complete`, `Already exists`.
    Layer {
        id: String,
        status: String,
        current: Option<u64>,
        total: Option<u64>,
    },
    /// A status line without a layer (`Digest: …`, `Status: …`).
    Status(String),
    /// A line of the build's log (`Step 1/3 : FROM …`).
    Log(String),
}

/// Receives the events of one pull or build.
pub type ImageSink = Arc<dyn Fn(ImageEvent) + Send + Sync>;

/// `image` split for `POST /images/create`: the repository and the tag or digest
/// (`latest` when neither is written: an empty tag would pull every tag).
pub fn split_reference(reference: &str) -> (String, String) {
    if let Some((repository, digest)) = reference.split_once('@') {
        return (repository.to_owned(), digest.to_owned());
    }
    let name_start = reference.rfind('/').map_or(0, |slash| slash + 1);
    match reference[name_start..].rfind(':') {
        Some(colon) => (
            reference[..name_start + colon].to_owned(),
            reference[name_start + colon + 1..].to_owned(),
        ),
        None => (reference.to_owned(), "latest".to_owned()),
    }
}

/// One image build, in envctl's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildRequest {
    /// The context directory.
    pub context: PathBuf,
    /// Relative to the context; `Dockerfile` when the service sets none.
    pub dockerfile: String,
    /// The name the image gets (`<project>_<service>` or `image`).
    pub tag: String,
    /// `build.args` then `--build-arg`s; unset ones are left out.
    pub args: IndexMap<String, String>,
    pub target: Option<String>,
    pub labels: IndexMap<String, String>,
    pub cache_from: Vec<String>,
    pub network: Option<String>,
    /// Bytes.
    pub shm_size: Option<i64>,
    /// `build --memory`: the build container's memory limit, bytes.
    pub memory: Option<i64>,
    pub no_cache: bool,
    pub pull: bool,
    /// Remove intermediate containers after a successful build (default on).
    pub rm: bool,
    /// Always remove intermediate containers.
    pub force_rm: bool,
    pub quiet: bool,
}

/// Why a service cannot be built from what its file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildSource {
    Request(Box<BuildRequest>),
    /// `build` names a URL (a git repository or a remote tarball).
    Remote(String),
}

/// The build request for `service` (which has `build`), from its `build` section
/// as 1.29.2 passes it to the engine: `dockerfile`, `args`, `target`, `labels`,
/// `cache_from`, `network`, `shm_size`. `None` when the service has no `build`.
pub fn build_request(service: &Service, tag: &str) -> Option<BuildSource> {
    let build = service.build.as_ref()?;
    if build.context.contains("://") || build.context.starts_with("git@") {
        return Some(BuildSource::Remote(build.context.clone()));
    }
    let options = service
        .options
        .get("build")
        .and_then(serde_json::Value::as_object);
    let field = |key: &str| options.and_then(|map| map.get(key));
    let labels = match field("labels") {
        Some(serde_json::Value::Object(map)) => map
            .iter()
            .map(|(key, value)| (key.clone(), scalar(value)))
            .collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|item| {
                let text = scalar(item);
                match text.split_once('=') {
                    Some((key, value)) => (key.to_owned(), value.to_owned()),
                    None => (text, String::new()),
                }
            })
            .collect(),
        _ => IndexMap::new(),
    };
    let cache_from = match field("cache_from") {
        Some(serde_json::Value::Array(items)) => items.iter().map(scalar).collect(),
        _ => Vec::new(),
    };
    let shm_size = field("shm_size").and_then(|value| match value {
        serde_json::Value::Number(number) => number.as_i64(),
        serde_json::Value::String(text) => parse_bytes(text),
        _ => None,
    });
    Some(BuildSource::Request(Box::new(BuildRequest {
        context: PathBuf::from(&build.context),
        dockerfile: build
            .dockerfile
            .clone()
            .unwrap_or_else(|| "Dockerfile".to_owned()),
        tag: tag.to_owned(),
        args: build
            .args
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), value.clone()?)))
            .collect(),
        target: build.target.clone(),
        labels,
        cache_from,
        network: field("network").map(scalar),
        shm_size,
        rm: true,
        ..BuildRequest::default()
    })))
}

fn scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `64M`, `1g`, `512k`, `100b`, `1024`: docker-py's `parse_bytes`.
pub fn parse_bytes(text: &str) -> Option<i64> {
    let text = text.trim().to_ascii_lowercase();
    let text = text.strip_suffix('b').unwrap_or(&text);
    let (digits, unit) = match text.chars().last()? {
        'k' => (&text[..text.len() - 1], 1024),
        'm' => (&text[..text.len() - 1], 1024 * 1024),
        'g' => (&text[..text.len() - 1], 1024 * 1024 * 1024),
        _ => (text, 1),
    };
    digits.trim().parse::<i64>().ok().map(|n| n * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_repository_and_tag() {
        for (reference, repository, tag) in [
            ("busybox", "busybox", "latest"),
            ("busybox:1.36", "busybox", "1.36"),
            ("127.0.0.1:5000/a/b", "127.0.0.1:5000/a/b", "latest"),
            ("127.0.0.1:5000/a/b:v2", "127.0.0.1:5000/a/b", "v2"),
            ("a@sha256:abc", "a", "sha256:abc"),
        ] {
            assert_eq!(
                split_reference(reference),
                (repository.to_owned(), tag.to_owned()),
                "{reference}"
            );
        }
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("64M"), Some(64 * 1024 * 1024));
        assert_eq!(parse_bytes("1gb"), Some(1024 * 1024 * 1024));
        assert_eq!(parse_bytes("100"), Some(100));
        assert_eq!(parse_bytes("x"), None);
    }
}

/// Registry credentials for one pull, from a docker CLI `config.json`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegistryAuth {
    pub server: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub identity_token: Option<String>,
}

impl std::fmt::Debug for RegistryAuth {
    /// Never shows the secrets.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RegistryAuth")
            .field("server", &self.server)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The registry `reference` is pulled from, as `config.json` keys it: its first
/// component when that is a host (has `.` or `:`, or is `localhost`), else Docker
/// Hub's `https://index.docker.io/v1/`.
pub fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some((host, _)) if host.contains(['.', ':']) || host == "localhost" => host.to_owned(),
        _ => "https://index.docker.io/v1/".to_owned(),
    }
}

/// The credentials `config` (the text of `~/.docker/config.json`) holds for the
/// registry of `reference` in `auths` (`auth` is base64 `user:password`;
/// `identitytoken` too). Credential stores and helpers are not consulted.
pub fn registry_auth(config: &str, reference: &str) -> Option<RegistryAuth> {
    let config: serde_json::Value = serde_json::from_str(config).ok()?;
    let auths = config.get("auths")?.as_object()?;
    let server = registry_of(reference);
    let strip = |key: &str| {
        key.trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned()
    };
    let entry = auths.get(&server).or_else(|| {
        auths
            .iter()
            .find(|(key, _)| {
                strip(key) == strip(&server) || strip(key).split('/').next() == Some(&server)
            })
            .map(|(_, value)| value)
    })?;
    let mut auth = RegistryAuth {
        server,
        identity_token: entry
            .get("identitytoken")
            .and_then(serde_json::Value::as_str)
            .map(ToOwned::to_owned),
        ..RegistryAuth::default()
    };
    if let Some(encoded) = entry.get("auth").and_then(serde_json::Value::as_str) {
        let decoded = String::from_utf8(decode_base64(encoded)?).ok()?;
        let (username, password) = decoded.split_once(':')?;
        auth.username = Some(username.to_owned());
        auth.password = Some(password.to_owned());
    }
    (auth.username.is_some() || auth.identity_token.is_some()).then_some(auth)
}

/// Standard base64 (padding optional).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.trim().bytes().filter(|byte| *byte != b'=') {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod auth_tests {
    use super::*;

    #[test]
    fn credentials_come_from_auths() {
        // `dXNlcjpwYXNz` is `user:pass`.
        let config = r#"{"auths": {
            "127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"},
            "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="}
        }}"#;
        let local = registry_auth(config, "127.0.0.1:5000/a/b:1").expect("local");
        assert_eq!(local.server, "127.0.0.1:5000");
        assert_eq!(local.username.as_deref(), Some("user"));
        assert_eq!(local.password.as_deref(), Some("pass"));
        let hub = registry_auth(config, "library/busybox").expect("hub");
        assert_eq!(hub.username.as_deref(), Some("hub"));
        assert_eq!(hub.password.as_deref(), Some("secret"));
        assert!(registry_auth(config, "example.com/x").is_none());
        assert!(!format!("{local:?}").contains("pass"));
    }
}
