//! The page at `/` in a real headless browser (Debian's `chromium`), against a
//! real engine: loaded before the environment exists, it shows it once it is
//! `PUT`, from the server-sent events (well before its own 10 s refresh); and a
//! screenshot of it is a real picture of the page's size.
//!
//! The browser is driven over the `DevTools` protocol (a websocket; `Runtime.evaluate`).

#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use common::{Guard, Running, Setup, WRITER, client, send, unique};

fn require_chromium() {
    let found = Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "`chromium` is missing (the page is tested in a real browser): apt-get install chromium"
    );
}

/// A headless chromium, killed when dropped.
struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn open(url: &str) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut port = None;
        for line in stderr.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("DevTools listening on ws://127.0.0.1:") {
                port = rest.split('/').next().map(ToOwned::to_owned);
                break;
            }
        }
        // The rest of its complaints (no D-Bus here), read so that it never blocks
        // on a full pipe.
        std::thread::spawn(move || stderr.for_each(drop));
        let port = port.expect("chromium says where DevTools listen");
        // The page's target.
        let deadline = Instant::now() + Duration::from_secs(20);
        let page_socket = loop {
            let list: Value = http_get_json(&format!("127.0.0.1:{port}"), "/json/list");
            if let Some(page) = list
                .as_array()
                .and_then(|targets| targets.iter().find(|target| target["type"] == "page"))
            {
                break page["webSocketDebuggerUrl"].as_str().unwrap().to_owned();
            }
            assert!(Instant::now() < deadline, "no page target: {list}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let host = page_socket
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let stream = TcpStream::connect(&host).unwrap();
        let (socket, _) = tungstenite::client(page_socket.as_str(), stream).unwrap();
        Self {
            child,
            socket,
            next_id: 1,
            _profile: profile,
        }
    }

    fn call(&mut self, method: &str, params: &Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({"id": id, "method": method, "params": params}).to_string();
        self.socket.send(Message::text(message)).unwrap();
        loop {
            let Message::Text(text) = self.socket.read().unwrap() else {
                continue;
            };
            let answer: Value = serde_json::from_str(text.as_str()).unwrap();
            if answer["id"] == id {
                return answer;
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    fn evaluate(&mut self, expression: &str) -> Value {
        let answer = self.call(
            "Runtime.evaluate",
            &json!({"expression": expression, "returnByValue": true}),
        );
        answer["result"]["result"]["value"].clone()
    }

    /// Waits (up to `limit`) for `expression` to be a non-empty string.
    fn wait_for(&mut self, expression: &str, limit: Duration) -> Result<String, Value> {
        let deadline = Instant::now() + limit;
        loop {
            let value = self.evaluate(expression);
            if let Some(text) = value.as_str().filter(|text| !text.is_empty()) {
                return Ok(text.to_owned());
            }
            if Instant::now() > deadline {
                return Err(value);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A GET over a plain socket (the `DevTools` HTTP endpoint), its body as JSON.
fn http_get_json(host: &str, path: &str) -> Value {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    // DevTools keep the connection open: read the headers, then Content-Length bytes.
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_page_shows_an_environment_live_and_screenshots() {
    require_chromium();
    let setup = Setup::new();
    let name = unique("page");
    let _guard = Guard(vec![name.clone()]);
    let server = Running::start(setup.config(Duration::from_secs(3600))).await;
    let page_url = server.url(&format!("/#token={WRITER}"));

    let mut browser = {
        let page_url = page_url.clone();
        tokio::task::spawn_blocking(move || {
            let mut browser = Browser::open(&page_url);
            // Loaded, and the (empty) list fetched, before the environment exists.
            let empty = browser.wait_for(
                "document.getElementById('environments').textContent.includes('None.') ? 'empty' : ''",
                Duration::from_secs(20),
            );
            assert_eq!(empty, Ok("empty".to_owned()), "the page did not load");
            browser
        })
        .await
        .unwrap()
    };

    let (status, body) = send(
        client()
            .put(server.url(&format!("/v1/environments/{name}")))
            .bearer_auth(WRITER)
            .json(&json!({"template": "web", "ttl": "10m"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let row = format!("env-{name}");
    let (browser, state) = tokio::task::spawn_blocking(move || {
        // Within 5 s: the events, not the 10 s refresh.
        let state = browser.wait_for(
            &format!(
                "document.getElementById('{row}')?.querySelector('.state')?.textContent ?? ''"
            ),
            Duration::from_secs(5),
        );
        (browser, state)
    })
    .await
    .unwrap();
    let state = state.expect("the environment did not appear on the page within 5 s");
    assert!(["creating", "running"].contains(&state.as_str()), "{state}");
    drop(browser);

    // A screenshot of the page, as chromium's `--screenshot` takes it.
    let directory = tempfile::tempdir().unwrap();
    let shot = directory.path().join("page.png");
    let status = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1000,600",
        ])
        .arg(format!(
            "--user-data-dir={}",
            directory.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&page_url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("chromium runs");
    assert!(status.success(), "chromium --screenshot: {status}");
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1000, 600));
    // A blank page compresses to a few hundred bytes; the page's text does not.
    assert!(
        png.len() > 5_000,
        "the screenshot looks blank ({} bytes)",
        png.len()
    );

    let (status, body) = send(
        client()
            .delete(server.url(&format!("/v1/environments/{name}")))
            .bearer_auth(WRITER),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    server.stop().await;
}
