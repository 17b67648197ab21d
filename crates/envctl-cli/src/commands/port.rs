//! `envctl port SERVICE PRIVATE_PORT`: the `host_ip:host_port` a port is published
//! on, or an empty line when it is not.

use envctl_ops::PortRequest;

use crate::args::PortArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};

pub async fn run(invocation: &Invocation, args: PortArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let request = PortRequest {
        service: args.service,
        private_port: args.private_port,
        protocol: args.protocol,
        index: args.index,
    };
    let binding = envctl_ops::port(&target, &request, &Terminal::new()).await?;
    print_line(&binding.unwrap_or_default())
}
