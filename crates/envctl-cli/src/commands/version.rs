//! `envctl version`: envctl's version, then the engine's (address, machine name,
//! engine and API version), as `docker version` shows client and server.

use envctl_executor::Engine;

use crate::args::VersionArgs;
use crate::invocation::Invocation;
use crate::report::{Failure, print_line};

pub async fn run(invocation: &Invocation, args: &VersionArgs) -> Result<(), Failure> {
    let client_version = env!("CARGO_PKG_VERSION");
    if args.short {
        return print_line(client_version);
    }
    print_line(&format!("envctl version {client_version}"))?;
    // The client's lines come first, so that they show even when the engine
    // cannot be reached.
    let engine = invocation.connect().await?;
    let version = engine.engine_version(false).await?;
    print_line("")?;
    print_line(&format!("Engine: {}", engine.endpoint()))?;
    for line in engine_lines(&engine, &version) {
        print_line(&line)?;
    }
    Ok(())
}

/// ` Version:`, ` API version:` and ` OS/Arch:`, shared with `envctl info`.
pub fn engine_lines(engine: &Engine, version: &envctl_executor::EngineVersion) -> Vec<String> {
    let range = if version.min_api_version.is_empty() {
        format!("engine: {}", version.api_version)
    } else {
        format!(
            "engine: {} to {}",
            version.min_api_version, version.api_version
        )
    };
    vec![
        format!(" Version:      {}", version.version),
        format!(
            " API version:  {} (negotiated; {range})",
            engine.api_version()
        ),
        format!(" OS/Arch:      {}/{}", version.os, version.arch),
    ]
}
