//! A proxy in front of the engine's socket that loses the connection on cue, for
//! tests of what envctl does when the engine goes away in the middle of a run.
//!
//! `FaultProxy::start(Rule)` listens on a Unix socket of its own, and
//! `FaultProxy::start_tcp(Rule, port)` on `127.0.0.1:port` (point envctl at it with
//! `DOCKER_HOST=`[`FaultProxy::docker_host`]); either relays every connection to the
//! real engine (`DOCKER_HOST` when it is `unix://`, else `/var/run/docker.sock`). It
//! reads the HTTP requests going in (request line, headers, a `Content-Length` or
//! chunked body) so that it can count them; the answers going out are relayed as
//! bytes. When the rule's request comes, it cuts: every connection is shut down in
//! both directions and the listening socket is closed, so that a new connection is
//! refused, as when the engine dies. [`FaultProxy::cut`] cuts at any moment (an
//! interrupt test may want that); dropping the proxy cuts too.
//!
//! Plain std threads: one accepting, two per connection. HTTP/1.1 without
//! pipelining (hyper, bollard and the docker CLI never pipeline), so the bytes
//! coming back after a request was relayed are that request's answer. A request
//! that upgrades the connection (`attach`, `exec` start) turns it into a plain byte
//! relay.

use std::io::{BufRead as _, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// Where, in the exchange of the rule's request, the connection is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The request never reaches the engine.
    BeforeRequest,
    /// The engine carries the request out, and its answer is lost: the worst case
    /// for a client, which cannot know whether the container was created.
    BeforeResponse,
}

/// Which request makes the proxy cut.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// `POST`, `DELETE`, …; empty for any method.
    pub method: &'static str,
    /// A part of the request target (`/containers/create`, `/start`); empty for any.
    pub path: &'static str,
    /// The rule's request is the `nth` (from 1) that matches.
    pub nth: usize,
    pub cut: Cut,
}

impl Rule {
    /// The `nth` request whose method is `method` and whose target contains `path`.
    pub fn request(method: &'static str, path: &'static str, nth: usize) -> Self {
        Self {
            method,
            path,
            nth,
            cut: Cut::BeforeRequest,
        }
    }

    /// Never cuts by itself (only [`FaultProxy::cut`] does).
    pub fn never() -> Self {
        Self::request("", "", usize::MAX)
    }

    /// The engine carries the request out; its answer is lost.
    pub fn before_response(mut self) -> Self {
        self.cut = Cut::BeforeResponse;
        self
    }

    fn matches(&self, method: &str, target: &str) -> bool {
        (self.method.is_empty() || self.method == method) && target.contains(self.path)
    }
}

/// What shuts one connection down, both ends.
type Closer = Box<dyn Fn() + Send>;

/// What every thread of the proxy shares.
struct State {
    rule: Rule,
    upstream: PathBuf,
    cut: AtomicBool,
    /// `METHOD target` of every request seen, in order.
    requests: Mutex<Vec<String>>,
    /// Requests that matched the rule so far.
    matched: Mutex<usize>,
    /// What shuts both ends of each open connection down (by connection number),
    /// for the cut.
    streams: Mutex<Vec<(usize, Closer)>>,
    connections: std::sync::atomic::AtomicUsize,
}

impl State {
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for stream in self
            .streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            (stream.1)();
        }
    }

    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }

    /// Records the request; true when it is the rule's.
    fn record(&self, method: &str, target: &str) -> bool {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!("{method} {target}"));
        if !self.rule.matches(method, target) {
            return false;
        }
        let mut matched = self.matched.lock().unwrap_or_else(PoisonError::into_inner);
        *matched += 1;
        *matched == self.rule.nth
    }
}

/// A client's end of a connection: a Unix socket or a TCP one.
trait Socket: Read + Write + Send + Sized + 'static {
    fn duplicate(&self) -> std::io::Result<Self>;
    fn shut(&self, how: Shutdown);
}

impl Socket for UnixStream {
    fn duplicate(&self) -> std::io::Result<Self> {
        self.try_clone()
    }

    fn shut(&self, how: Shutdown) {
        let _ = self.shutdown(how);
    }
}

impl Socket for TcpStream {
    fn duplicate(&self) -> std::io::Result<Self> {
        self.try_clone()
    }

    fn shut(&self, how: Shutdown) {
        let _ = self.shutdown(how);
    }
}

enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
}

pub struct FaultProxy {
    state: Arc<State>,
    /// `unix:///…` or `tcp://127.0.0.1:port`.
    address: String,
    accepting: Option<thread::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl FaultProxy {
    /// On a Unix socket in a temporary directory.
    pub fn start(rule: Rule) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("envctl-fault-proxy")
            .tempdir()
            .expect("a temporary directory");
        let socket = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&socket).expect("the proxy's socket");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let address = format!("unix://{}", socket.display());
        Self::serve(rule, Listener::Unix(listener), address, Some(dir))
    }

    /// On `127.0.0.1:port` (plain HTTP, no TLS).
    pub fn start_tcp(rule: Rule, port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the proxy's port is free");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let address = format!("tcp://127.0.0.1:{port}");
        Self::serve(rule, Listener::Tcp(listener), address, None)
    }

    fn serve(
        rule: Rule,
        listener: Listener,
        address: String,
        dir: Option<tempfile::TempDir>,
    ) -> Self {
        let upstream = std::env::var("DOCKER_HOST")
            .ok()
            .and_then(|host| host.strip_prefix("unix://").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"));
        let state = Arc::new(State {
            rule,
            upstream,
            cut: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            matched: Mutex::new(0),
            streams: Mutex::new(Vec::new()),
            connections: std::sync::atomic::AtomicUsize::new(0),
        });
        let accepting = {
            let state = Arc::clone(&state);
            thread::spawn(move || accept(&listener, &state))
        };
        Self {
            state,
            address,
            accepting: Some(accepting),
            _dir: dir,
        }
    }

    /// `unix:///tmp/…/engine.sock` or `tcp://127.0.0.1:port`, for `DOCKER_HOST`.
    pub fn docker_host(&self) -> String {
        self.address.clone()
    }

    /// Loses every connection now and refuses new ones.
    pub fn cut(&self) {
        self.state.cut();
    }

    pub fn is_cut(&self) -> bool {
        self.state.is_cut()
    }

    /// `METHOD target` of every request seen so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.cut();
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

/// Accepts until the cut, then closes the listening socket (by returning): a
/// connection to a socket nobody listens on is refused.
fn accept(listener: &Listener, state: &Arc<State>) {
    while !state.is_cut() {
        let accepted = match listener {
            Listener::Unix(listener) => listener.accept().map(|(client, _)| {
                let _ = client.set_nonblocking(false);
                let state = Arc::clone(state);
                thread::spawn(move || relay(client, &state));
            }),
            Listener::Tcp(listener) => listener.accept().map(|(client, _)| {
                let _ = client.set_nonblocking(false);
                let state = Arc::clone(state);
                thread::spawn(move || relay(client, &state));
            }),
        };
        match accepted {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(2));
            }
            Err(_) => return,
        }
    }
}

/// One connection: requests in on this thread, answers out on another.
fn relay<S: Socket>(client: S, state: &Arc<State>) {
    let Ok(upstream) = UnixStream::connect(&state.upstream) else {
        return;
    };
    let connection = state.connections.fetch_add(1, Ordering::SeqCst);
    {
        let mut streams = state.streams.lock().unwrap_or_else(PoisonError::into_inner);
        if state.is_cut() {
            return;
        }
        if let (Ok(client), Ok(upstream)) = (client.duplicate(), upstream.try_clone()) {
            streams.push((
                connection,
                Box::new(move || {
                    client.shut(Shutdown::Both);
                    let _ = upstream.shutdown(Shutdown::Both);
                }),
            ));
        }
    }
    // Set when the next bytes from the engine are the answer to lose.
    let withhold = Arc::new(AtomicBool::new(false));
    let answers = {
        let (Ok(from), Ok(to)) = (upstream.try_clone(), client.duplicate()) else {
            return;
        };
        let (state, withhold) = (Arc::clone(state), Arc::clone(&withhold));
        thread::spawn(move || relay_answers(from, to, &state, &withhold))
    };
    let _ = relay_requests(client, upstream, state, &withhold);
    let _ = answers.join();
    state
        .streams
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|(number, _)| *number != connection);
}

fn relay_answers<S: Socket>(mut from: UnixStream, mut to: S, state: &State, withhold: &AtomicBool) {
    let mut buffer = [0_u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if withhold.load(Ordering::SeqCst) {
            state.cut();
            return;
        }
        if state.is_cut() || to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    // The engine closed (an HTTP/1.0 ping, a finished upgrade): so does the client.
    to.shut(Shutdown::Write);
}

/// Relays requests one by one, each checked against the rule before it goes on.
fn relay_requests<S: Socket>(
    client: S,
    mut upstream: UnixStream,
    state: &State,
    withhold: &AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client);
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = Vec::new();
            if reader.read_until(b'\n', &mut line)? == 0 {
                let _ = upstream.shutdown(Shutdown::Write);
                return Ok(());
            }
            let end = line == b"\r\n" || line == b"\n";
            head.extend_from_slice(&line);
            if end && head.len() > line.len() {
                break;
            }
            if end {
                // Stray blank lines between requests.
                head.clear();
            }
        }
        let text = String::from_utf8_lossy(&head).into_owned();
        let mut words = text.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let header = |name: &str| {
            text.lines().skip(1).find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_ascii_lowercase())
            })
        };
        if state.record(method, target) {
            match state.rule.cut {
                Cut::BeforeRequest => {
                    state.cut();
                    return Ok(());
                }
                Cut::BeforeResponse => withhold.store(true, Ordering::SeqCst),
            }
        }
        if state.is_cut() {
            return Ok(());
        }
        upstream.write_all(&head)?;
        if header("upgrade").is_some() {
            // Hijacked (attach, exec): raw bytes from now on.
            std::io::copy(&mut reader, &mut upstream)?;
            return Ok(());
        }
        if header("transfer-encoding").is_some_and(|value| value.contains("chunked")) {
            relay_chunked(&mut reader, &mut upstream)?;
        } else if let Some(length) = header("content-length").and_then(|v| v.parse::<u64>().ok()) {
            let copied = std::io::copy(&mut (&mut reader).take(length), &mut upstream)?;
            if copied < length {
                return Ok(());
            }
        }
    }
}

/// A chunked body, up to and with its last chunk and trailers.
fn relay_chunked<S: Socket>(
    reader: &mut BufReader<S>,
    upstream: &mut UnixStream,
) -> std::io::Result<()> {
    loop {
        let mut size_line = Vec::new();
        if reader.read_until(b'\n', &mut size_line)? == 0 {
            return Ok(());
        }
        upstream.write_all(&size_line)?;
        let size_text = String::from_utf8_lossy(&size_line);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size_text, 16).unwrap_or(0);
        if size == 0 {
            // Trailers, up to a blank line.
            loop {
                let mut line = Vec::new();
                if reader.read_until(b'\n', &mut line)? == 0 {
                    return Ok(());
                }
                upstream.write_all(&line)?;
                if line == b"\r\n" || line == b"\n" {
                    return Ok(());
                }
            }
        }
        // The chunk and its CRLF.
        std::io::copy(&mut reader.by_ref().take(size + 2), upstream)?;
    }
}
