//! `envctl serve`: the flags become an [`envctl_server::ServerConfig`], the server
//! runs until SIGINT or SIGTERM. Audit lines (a JSON object per change) go to
//! standard error; the address served is printed on standard output once bound.

use std::sync::Arc;
use std::time::Duration;

use envctl_server::{
    Connections, Limits, Listen, ServerConfig, TlsSettings, Tokens, discover_templates,
};

use crate::args::ServeArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::print_line;

fn duration(flag: &str, text: &str) -> Result<Duration, Failure> {
    envctl_server::spec::parse_duration(text).ok_or_else(|| {
        Failure::usage(format!(
            "invalid {flag} `{text}`: expected a number and a unit (90s, 10m, 2h, 1d)"
        ))
    })
}

fn server_error(error: envctl_server::ServerError) -> Failure {
    Failure::report(miette::Report::new(error))
}

pub async fn run(invocation: &Invocation, args: ServeArgs) -> Result<(), Failure> {
    let runtime_directory = invocation
        .environment
        .get("XDG_RUNTIME_DIR")
        .filter(|directory| !directory.is_empty())
        .map(std::path::PathBuf::from);
    let listen = match &args.listen {
        Some(text) => Listen::parse(text).map_err(server_error)?,
        None => match &runtime_directory {
            Some(directory) => Listen::Unix(directory.join("envctl-serve.sock")),
            None => Listen::Tcp(std::net::SocketAddr::from(([127, 0, 0, 1], 8080))),
        },
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(certificate), Some(key)) => Some(TlsSettings {
            certificate: certificate.clone(),
            key: key.clone(),
            client_ca: args.tls_client_ca.clone(),
            handshake_timeout: duration("--tls-handshake-timeout", &args.tls_handshake_timeout)?,
        }),
        _ => None,
    };
    listen.check_exposure(tls.is_some()).map_err(server_error)?;
    let tokens = Tokens::load(&args.tokens).map_err(server_error)?;
    if tokens.is_empty() {
        return Err(server_error(envctl_server::ServerError::NoTokens {
            path: args.tokens.clone(),
        }));
    }
    let templates = discover_templates(&args.templates).map_err(server_error)?;
    let state_directory = args.state_directory.clone().unwrap_or_else(|| {
        runtime_directory.clone().map_or_else(
            || {
                std::env::temp_dir().join(format!(
                    "envctl-serve-{}",
                    rustix::process::getuid().as_raw()
                ))
            },
            |directory| directory.join("envctl-serve"),
        )
    });
    let mut capabilities: Vec<String> = envctl_server::policy::DEFAULT_CAPABILITIES
        .iter()
        .map(|capability| (*capability).to_owned())
        .collect();
    capabilities.extend(
        args.allow_cap
            .iter()
            .map(|capability| capability.trim_start_matches("CAP_").to_ascii_uppercase()),
    );
    let is_tls = tls.is_some();
    let config = ServerConfig {
        listen,
        tls,
        templates,
        tokens,
        allow_inline: args.allow_inline,
        allow_run: args.allow_run,
        allow_build: args.allow_build,
        publish_address: args.publish_address.clone(),
        engine: invocation.engine_target(),
        state_directory,
        parallel: args.parallel.max(1),
        engine_parallel: envctl_ops::types::parallel_limit(None),
        default_ttl: duration("--default-ttl", &args.default_ttl)?,
        max_ttl: duration("--max-ttl", &args.max_ttl)?,
        limits: Limits {
            memory: args.memory.clone(),
            cpus: args.cpus.clone(),
            pids: args.pids,
        },
        max_body: args.max_body,
        request_timeout: duration("--request-timeout", &args.request_timeout)?,
        connections: Connections {
            idle_timeout: duration("--idle-timeout", &args.idle_timeout)?,
            max_connections: args.max_connections,
        },
        reap_interval: duration("--reap-interval", &args.reap_interval)?,
        capabilities,
        audit: Arc::new(|line: &serde_json::Value| {
            crate::progress::print_status(&line.to_string());
        }),
        queue: match (&args.amqp, &args.queue) {
            (Some(url), Some(queue)) => Some(envctl_server::queue::QueueConfig {
                url: url.clone(),
                queue: queue.clone(),
                owner: args.queue_owner.clone(),
            }),
            (None, None) => None,
            _ => return Err(Failure::usage("--amqp and --queue go together")),
        },
    };
    let shutdown = crate::interrupt::shutdown();
    let mut announced = Ok(());
    envctl_server::serve(config, shutdown, |bound| {
        announced = print_line(&format!("envctl serve: listening on {}", bound.url(is_tls)));
    })
    .await
    .map_err(server_error)?;
    announced
}
