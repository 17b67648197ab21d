//! `envctl stop [SERVICE...]`: stop the running containers, a service's after those
//! of the services that depend on it; one-off containers are left alone.

use crate::args::StopArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::Terminal;

pub async fn run(invocation: &Invocation, args: StopArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let token = crate::interrupt::token();
    envctl_ops::stop(
        &target,
        &args.services,
        args.timeout,
        &Terminal::new(),
        &token,
    )
    .await?;
    Ok(())
}
