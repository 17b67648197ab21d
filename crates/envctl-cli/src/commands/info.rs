//! `envctl info`: the engine envctl talks to and how (address, machine name, TLS),
//! its versions and a few facts about its host.

use envctl_ops::types::{ClientCertificate, Verification};
use envctl_ops::types::{Endpoint, EngineAddress};

use crate::commands::version::engine_lines;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::print_line;

pub async fn run(invocation: &Invocation) -> Result<(), Failure> {
    let endpoint = invocation.endpoint()?;
    print_line(&format!("Engine: {endpoint}"))?;
    print_line(&format!(" TLS:          {}", describe_tls(&endpoint)))?;
    let report = envctl_ops::engine(&invocation.engine_target(), true).await?;
    for line in engine_lines(&report) {
        print_line(&line)?;
    }
    let version = &report.version;
    print_line(&format!(" Kernel:       {}", version.kernel_version))?;
    print_line(&format!(" Name:         {}", version.name))?;
    print_line(&format!(" OS:           {}", version.operating_system))?;
    print_line(&format!(
        " CPUs:         {}, memory {:.1} GiB",
        version.cpus,
        gibibytes(version.memory_bytes)
    ))?;
    print_line(&format!(" Storage:      {}", version.storage_driver))?;
    print_line(&format!(
        " Containers:   {} ({} running)",
        version.containers, version.containers_running
    ))?;
    print_line(&format!(" Images:       {}", version.images))?;
    print_line(&format!(" envctl:       {}", env!("CARGO_PKG_VERSION")))
}

#[allow(clippy::cast_precision_loss)]
fn gibibytes(bytes: i64) -> f64 {
    bytes as f64 / f64::from(1u32 << 30)
}

fn describe_tls(endpoint: &Endpoint) -> String {
    let Some(tls) = &endpoint.tls else {
        return match endpoint.address {
            EngineAddress::Unix(_) => "no (local socket)".to_owned(),
            _ => "no".to_owned(),
        };
    };
    let verification = match (tls.verification, &tls.ca_cert) {
        (Verification::CaAndHostname, Some(ca)) => {
            format!("verified against `{}`, host name checked", ca.display())
        }
        (Verification::CaOnly, Some(ca)) => format!(
            "verified against `{}`, host name not checked (`--skip-hostname-check`)",
            ca.display()
        ),
        _ => "not verified (no `--tlsverify` / `DOCKER_TLS_VERIFY`)".to_owned(),
    };
    let client = match &tls.client {
        ClientCertificate::Required { cert, .. } => {
            format!("client certificate `{}`", cert.display())
        }
        ClientCertificate::IfPresent { cert, key } if cert.is_file() && key.is_file() => {
            format!("client certificate `{}`", cert.display())
        }
        ClientCertificate::IfPresent { .. } => "no client certificate".to_owned(),
    };
    format!("yes, {verification}; {client}")
}
