//! The engine's API version from `GET /_ping`, as the docker CLI negotiates it.
//!
//! bollard's `negotiate_version` asks `GET /version`, which makes the engine
//! gather its components' versions (containerd, runc, init): about 10 ms on a
//! quiet Docker 20.10, more on a busy one, against well under 1 ms for `/_ping`,
//! whose `API-Version` header says the same. For `envctl ps` or an `up` with
//! nothing to do that was a third of the run (issue #8, `envctl-bench --trace`).
//! bollard does not expose response headers, so this sends the one request itself
//! over the Unix socket. Anything unexpected returns `None`, and the caller falls
//! back to `negotiate_version`.

use std::path::Path;
use std::time::Duration;

use bollard::ClientVersion;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::UnixStream;

/// More than a ping ever takes; past it, the slower negotiation decides.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest response read; a ping's is about 300 bytes.
const MAX_RESPONSE: u64 = 8 * 1024;

/// The API version the engine at the Unix socket `path` speaks, from its ping.
pub(super) async fn unix_api_version(path: &Path) -> Option<ClientVersion> {
    let exchange = async {
        let mut stream = UnixStream::connect(path).await.ok()?;
        // HTTP/1.0: the engine closes the connection after its answer.
        stream
            .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            .await
            .ok()?;
        let mut response = Vec::with_capacity(512);
        stream
            .take(MAX_RESPONSE)
            .read_to_end(&mut response)
            .await
            .ok()?;
        api_version_header(&response)
    };
    tokio::time::timeout(PING_TIMEOUT, exchange)
        .await
        .ok()
        .flatten()
}

/// `API-Version: 1.41` from a 200 response's headers.
fn api_version_header(response: &[u8]) -> Option<ClientVersion> {
    let text = std::str::from_utf8(response).ok()?;
    let (head, _body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?;
    if status.split_whitespace().nth(1) != Some("200") {
        return None;
    }
    let value = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("api-version")
            .then(|| value.trim())
    })?;
    let (major, minor) = value.split_once('.')?;
    Some(ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(response: &str, expected: Option<(usize, usize)>) {
        let version = api_version_header(response.as_bytes())
            .map(|version| (version.major_version, version.minor_version));
        assert_eq!(version, expected, "{response:?}");
    }

    #[test]
    fn reads_the_api_version_header_of_a_ping() {
        check(
            "HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nDocker-Experimental: false\r\nOstype: linux\r\nContent-Length: 2\r\n\r\nOK",
            Some((1, 41)),
        );
        check("HTTP/1.1 200 OK\r\nAPI-Version:1.53\r\n\r\n", Some((1, 53)));
    }

    // See: #8. The fast path must really answer on a real engine, not only fall back.
    #[cfg(feature = "docker-tests")]
    #[tokio::test]
    async fn a_real_engine_answers_the_ping_with_its_api_version() {
        let host = std::env::var("DOCKER_HOST").unwrap_or_default();
        let path = host
            .strip_prefix("unix://")
            .filter(|path| !path.is_empty())
            .unwrap_or("/var/run/docker.sock");
        let version = unix_api_version(Path::new(path))
            .await
            .expect("the engine's ping carries API-Version");
        assert!(
            version.major_version == 1 && version.minor_version >= 24,
            "{version}"
        );
    }

    #[test]
    fn anything_else_falls_back_to_the_slow_negotiation() {
        check(
            "HTTP/1.0 500 Internal Server Error\r\nApi-Version: 1.41\r\n\r\n",
            None,
        );
        check("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK", None);
        check("HTTP/1.0 200 OK\r\nApi-Version: one\r\n\r\n", None);
        check("HTTP/1.0 200 OK\r\nApi-Version: 1.41", None);
        check("", None);
    }
}
