//! `envctl config`: validate, print the resolved file, the services in dependency
//! order, or their config hashes.

use envctl_executor::observe;
use envctl_parser::{
    RenderOptions, ServiceName, check_secrets, load_with_sections, to_compose_yaml_with,
};
use envctl_planner::{DependencyGraph, compose_order, config_hash_observed, enabled_for_profiles};

use crate::args::ConfigArgs;
use crate::invocation::Invocation;
use crate::report::{Failure, print_line, print_warning};

pub async fn run(invocation: &Invocation, args: ConfigArgs) -> Result<(), Failure> {
    let interpolate = !args.no_interpolate;
    let (project, sections) = load_with_sections(&invocation.load_options(interpolate)?)?;
    for warning in &project.warnings {
        print_warning(&warning.to_string());
    }
    // 1.29.2 refuses a dependency cycle in every form of `config`, `-q` included.
    DependencyGraph::new(&project)?;
    // Settings the engine would refuse: 1.29.2's `config` passes them, `up` will not.
    for service in project.services.values() {
        for refusal in &service.refusals {
            print_warning(&format!(
                "`{}` is invalid: {} ({}); `up` and `run` will refuse it",
                refusal.path,
                refusal.reason,
                project.location(refusal.span)
            ));
        }
    }
    if args.quiet {
        return Ok(());
    }
    if args.services {
        // As 1.29.2's `print('\n'.join(names))`: an empty line when there are none.
        let order = DependencyGraph::new(&project)?.order();
        let names: Vec<&str> = order.iter().map(ServiceName::as_str).collect();
        return print_line(&names.join("\n"));
    }
    if let Some(selection) = &args.hash {
        // 1.29.2 makes the project here, which checks its secrets.
        for warning in check_secrets(&project)? {
            print_warning(&warning.to_string());
        }
        // Refuses cycles first, as 1.29.2 does.
        DependencyGraph::new(&project)?;
        let order = compose_order(&project);
        let names: Vec<String> = if selection.trim() == "*" {
            // Every service of the active profiles (1.29.2 `get_services(None)`);
            // a service named below is printed whatever its profiles.
            let profiles = invocation.profiles();
            order
                .iter()
                .filter(|name| {
                    project
                        .service(name.as_str())
                        .is_some_and(|service| enabled_for_profiles(service, &profiles))
                })
                .map(ToString::to_string)
                .collect()
        } else {
            let selected: Vec<&str> = selection.split(',').map(str::trim).collect();
            if let Some(unknown) = selected
                .iter()
                .find(|name| !project.services.contains_key(**name))
            {
                return Err(Failure::usage(format!("no such service: `{unknown}`")));
            }
            // 1.29.2 prints the named services once each, in its own order.
            order
                .iter()
                .filter(|name| selected.contains(&name.as_str()))
                .map(ToString::to_string)
                .collect()
        };
        let engine = invocation.connect().await?;
        let observed = observe(&engine, &project).await?;
        for name in names {
            if let Some(service) = project.service(&name) {
                let hash = config_hash_observed(&project, service, &observed);
                print_line(&format!("{name} {hash}"))?;
            }
        }
        return Ok(());
    }
    let options = RenderOptions {
        escape_dollars: interpolate,
        sections,
    };
    // 1.29.2 prints the document with `print`, one more newline at the end.
    print_line(&to_compose_yaml_with(&project, &options))
}
