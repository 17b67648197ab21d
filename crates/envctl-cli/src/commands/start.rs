//! `envctl start [SERVICE...]`: start the existing containers, in dependency order;
//! never creates one. As 1.29.2, progress is per service (`Starting web ... done`),
//! a service without containers is `failed`, and when no service has any the
//! command fails with `No containers to start`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use envctl_ops::types::{Event, Outcome, Progress};
use envctl_ops::{Events, StartOutcome};
use envctl_planner::StartPlan;

use crate::args::ServicesArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_warning, terminal_events};

pub async fn run(invocation: &Invocation, args: ServicesArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let events = Starting {
        terminal: Terminal::new(),
    };
    let token = crate::interrupt::token();
    match envctl_ops::start(&target, &args.services, &events, &token).await? {
        StartOutcome::NothingToStart => {
            eprintln!("No containers to start");
            Err(Failure::exit(1))
        }
        _ => Ok(()),
    }
}

/// The terminal, with a line per service.
struct Starting {
    terminal: Terminal,
}

impl Events for Starting {
    terminal_events!();

    fn starting(&self, start: &StartPlan) -> Progress {
        let width = start
            .services
            .iter()
            .map(|(name, _)| name.as_str().len())
            .max()
            .unwrap_or(0);
        let line = move |service: &str, status: &str| {
            eprintln!("Starting {service:<width$} ... {status}");
        };
        // Services with nothing to start are reported at once; the others when
        // their last container has started.
        let mut pending: HashMap<String, (usize, bool)> = HashMap::new();
        for step in &start.plan.steps {
            pending
                .entry(step.service.to_string())
                .or_insert((0, false))
                .0 += 1;
        }
        for (service, count) in &start.services {
            if !pending.contains_key(service.as_str()) {
                line(
                    service.as_str(),
                    if *count == 0 { "failed" } else { "done" },
                );
            }
        }
        let pending = Arc::new(Mutex::new(pending));
        Arc::new(move |event| match event {
            Event::Step {
                service, outcome, ..
            } => {
                if outcome == Outcome::Started {
                    return;
                }
                let mut pending = pending.lock().unwrap_or_else(PoisonError::into_inner);
                let Some((remaining, failed)) = pending.get_mut(&service) else {
                    return;
                };
                *remaining = remaining.saturating_sub(1);
                *failed |= outcome != Outcome::Done;
                if *remaining == 0 {
                    line(&service, if *failed { "error" } else { "done" });
                }
            }
            Event::Warning { message, .. } => print_warning(&message),
            _ => {}
        })
    }
}
