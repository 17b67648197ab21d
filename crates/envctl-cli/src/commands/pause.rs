//! `envctl pause [SERVICE...]`: every container that can be paused, in parallel.

use envctl_ops::ContainerOperation;

use crate::args::ServicesArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;

pub async fn run(invocation: &Invocation, args: ServicesArgs) -> Result<(), Failure> {
    super::act(
        invocation,
        ContainerOperation::Pause,
        &args.services,
        Some("No containers to pause"),
    )
    .await
}
