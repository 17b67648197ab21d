//! `envctl version`: envctl's version, then the engine's (address, machine name,
//! engine and API version), as `docker version` shows client and server.

use envctl_ops::EngineReport;

use crate::args::VersionArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::print_line;

pub async fn run(invocation: &Invocation, args: &VersionArgs) -> Result<(), Failure> {
    let client_version = env!("CARGO_PKG_VERSION");
    if args.short {
        return print_line(client_version);
    }
    print_line(&format!("envctl version {client_version}"))?;
    // The client's lines come first, so that they show even when the engine
    // cannot be reached.
    let report = envctl_ops::engine(&invocation.engine_target(), false).await?;
    print_line("")?;
    print_line(&format!("Engine: {}", report.endpoint))?;
    for line in engine_lines(&report) {
        print_line(&line)?;
    }
    Ok(())
}

/// ` Version:`, ` API version:` and ` OS/Arch:`, shared with `envctl info`.
pub fn engine_lines(report: &EngineReport) -> Vec<String> {
    let version = &report.version;
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
            report.api_version
        ),
        format!(" OS/Arch:      {}/{}", version.os, version.arch),
    ]
}
