//! `envctl kill [-s SIGNAL] [SERVICE...]`: every running container, in parallel;
//! with nothing running it says nothing and succeeds, as 1.29.2.

use envctl_ops::ContainerOperation;

use crate::args::KillArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;

pub async fn run(invocation: &Invocation, args: KillArgs) -> Result<(), Failure> {
    let operation = ContainerOperation::Kill {
        signal: args.signal,
    };
    super::act(invocation, operation, &args.services, None).await
}
