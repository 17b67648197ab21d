//! `envctl unpause [SERVICE...]`: every container that can be unpaused, in parallel.

use envctl_ops::ContainerOperation;

use crate::args::ServicesArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;

pub async fn run(invocation: &Invocation, args: ServicesArgs) -> Result<(), Failure> {
    super::act(
        invocation,
        ContainerOperation::Unpause,
        &args.services,
        Some("No containers to unpause"),
    )
    .await
}
