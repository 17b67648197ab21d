//! `envctl restart [-t N] [SERVICE...]`: a service's containers at a time,
//! dependencies first.

use envctl_ops::ContainerOperation;

use crate::args::RestartArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;

pub async fn run(invocation: &Invocation, args: RestartArgs) -> Result<(), Failure> {
    let operation = ContainerOperation::Restart {
        timeout: args.timeout,
    };
    super::act(
        invocation,
        operation,
        &args.services,
        Some("No containers to restart"),
    )
    .await
}
