//! `envctl config`: validate, print the resolved file, the services in dependency
//! order, or their config hashes.

use envctl_ops::{ConfigOutput, ConfigQuery};

use crate::args::ConfigArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};

pub async fn run(invocation: &Invocation, args: ConfigArgs) -> Result<(), Failure> {
    let target = invocation.config_target(!args.no_interpolate)?;
    let query = if args.quiet {
        ConfigQuery::Validate
    } else if args.services {
        ConfigQuery::Services
    } else if let Some(selection) = &args.hash {
        ConfigQuery::Hash {
            selection: selection.clone(),
            profiles: invocation.profiles(),
        }
    } else {
        ConfigQuery::Document
    };
    match envctl_ops::config(&target, &query, &Terminal::new()).await? {
        // As 1.29.2's `print('\n'.join(names))`: an empty line when there are none.
        ConfigOutput::Services(names) => print_line(&names.join("\n")),
        ConfigOutput::Hashes(hashes) => {
            for (name, hash) in hashes {
                print_line(&format!("{name} {hash}"))?;
            }
            Ok(())
        }
        // 1.29.2 prints the document with `print`, one more newline at the end.
        ConfigOutput::Document(document) => print_line(&document),
        _ => Ok(()),
    }
}
