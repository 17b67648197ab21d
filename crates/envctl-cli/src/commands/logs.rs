//! `envctl logs [-f] [--tail N] [-t] [--no-color] [SERVICE...]`: the output of the
//! services' containers (stopped ones too, not one-off), each line prefixed
//! `<service>_<N> |` in the container's colour, aligned, as 1.29.2's
//! `log_printer.py` prints it; with `-f`, containers that start later are followed
//! too, and each container's exit is reported.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, PoisonError};

use envctl_ops::Events;
use envctl_ops::types::{LogSource, LogsOptions, StreamEvent, StreamSink};
use envctl_parser::Project;

use crate::args::LogsArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line, terminal_events};

/// 1.29.2 `colors.rainbow()`: cyan, yellow, green, magenta, blue, then their
/// intense forms, in turn.
const RAINBOW: [&str; 10] = [
    "36", "33", "32", "35", "34", "1;36", "1;33", "1;32", "1;35", "1;34",
];

pub async fn run(invocation: &Invocation, args: LogsArgs) -> Result<(), Failure> {
    let tail = match args.tail.as_deref() {
        None | Some("all") => None,
        Some(text) if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) => {
            Some(text.parse::<u64>().map_err(|_| tail_error())?)
        }
        Some(_) => return Err(tail_error()),
    };
    let target = invocation.target()?;
    let colour = !args.no_color
        && !invocation.global.no_ansi
        && !invocation.environment.contains_key("NO_COLOR")
        && std::io::stdout().is_terminal();
    let events = Logs {
        terminal: Terminal::new(),
        colour,
    };
    let options = LogsOptions {
        follow: args.follow,
        tail,
        timestamps: args.timestamps,
    };
    let token = crate::interrupt::token();
    envctl_ops::logs(&target, &args.services, options, &events, &token).await?;
    Ok(())
}

/// The terminal, with the containers' lines on stdout.
struct Logs {
    terminal: Terminal,
    colour: bool,
}

impl Events for Logs {
    terminal_events!();

    fn logs(&self, project: &Project, sources: &[LogSource]) -> StreamSink {
        let width = project
            .services
            .keys()
            .map(|name| name.as_str().len())
            .max()
            .unwrap_or(0)
            + 3;
        let printer = Arc::new(Mutex::new(Printer {
            project: project.name.clone(),
            width,
            colour: self.colour,
            prefixes: HashMap::new(),
        }));
        for source in sources {
            printer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .attach(source);
        }
        if !sources.is_empty() {
            let names: Vec<&str> = sources.iter().map(|s| s.container.name.as_str()).collect();
            let _ = print_line(&format!("Attaching to {}", names.join(", ")));
        }
        Arc::new(move |event| {
            let mut printer = printer.lock().unwrap_or_else(PoisonError::into_inner);
            let line = match event {
                StreamEvent::Attached(source) => {
                    printer.attach(&source);
                    return;
                }
                StreamEvent::Line { container, text } => printer.line(&container, &text),
                StreamEvent::Exited {
                    container,
                    exit_code,
                } => printer.exited(&container, exit_code),
                _ => return,
            };
            // A closed stdout ends nothing here; the next write fails the same way.
            let _ = print_line(&line);
        })
    }
}

fn tail_error() -> Failure {
    Failure::usage("`--tail` must be `all` or a number")
}

/// Prefixes and colours, one per container, given in the order containers come.
struct Printer {
    project: String,
    width: usize,
    colour: bool,
    /// Container name → (prefix, colour code).
    prefixes: HashMap<String, (String, &'static str)>,
}

impl Printer {
    fn attach(&mut self, source: &LogSource) {
        if self.prefixes.contains_key(&source.container.name) {
            return;
        }
        // `name_without_project`: `web_1` for `demo_web_1`, else the whole name.
        let short = source
            .container
            .name
            .strip_prefix(&format!("{}_", self.project))
            .unwrap_or(&source.container.name)
            .to_owned();
        let colour = RAINBOW[self.prefixes.len() % RAINBOW.len()];
        self.prefixes
            .insert(source.container.name.clone(), (short, colour));
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    }

    fn line(&self, container: &str, text: &str) -> String {
        let (short, code) = self
            .prefixes
            .get(container)
            .map_or((container, "0"), |(short, code)| (short.as_str(), *code));
        let width = self.width;
        let prefix = format!("{short:<width$} |");
        format!("{} {text}", self.paint(code, &prefix))
    }

    fn exited(&self, container: &str, exit_code: i64) -> String {
        let code = self.prefixes.get(container).map_or("0", |(_, code)| *code);
        self.paint(code, &format!("{container} exited with code {exit_code}"))
    }
}
