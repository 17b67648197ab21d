//! `cargo run -p envctl-parser --example config -- [-f file]... [--no-interpolate]`: print what
//! `envctl config` would, for trying the loader by hand.
#![allow(clippy::print_stdout, clippy::print_stderr)]

fn main() -> std::process::ExitCode {
    let mut options = envctl_parser::LoadOptions::new(std::env::current_dir().unwrap_or_default());
    options.environment = std::env::vars().collect();
    let mut show_options = false;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "-f" => options.files.extend(arguments.next().map(Into::into)),
            "-p" => options.project_name = arguments.next(),
            "--env-file" => options.env_file = arguments.next().map(Into::into),
            "--project-directory" => options.project_directory = arguments.next().map(Into::into),
            "--no-interpolate" => options.interpolate = false,
            "--options" => show_options = true,
            _ => {}
        }
    }
    match envctl_parser::load_with_sections(&options) {
        Ok((project, sections)) => {
            let handler = miette::GraphicalReportHandler::new_themed(
                miette::GraphicalTheme::unicode_nocolor(),
            );
            for warning in &project.warnings {
                let mut out = String::new();
                let _ = handler.render_report(&mut out, warning);
                eprint!("{out}");
            }
            if show_options {
                for (name, service) in &project.services {
                    println!(
                        "{name} {}",
                        serde_json::Value::Object(service.options.clone())
                    );
                }
                return std::process::ExitCode::SUCCESS;
            }
            let render = envctl_parser::RenderOptions {
                escape_dollars: options.interpolate,
                sections,
            };
            print!("{}", envctl_parser::to_compose_yaml_with(&project, &render));
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            let handler = miette::GraphicalReportHandler::new_themed(
                miette::GraphicalTheme::unicode_nocolor(),
            )
            .with_width(80);
            let mut out = String::new();
            let _ = handler.render_report(&mut out, &error);
            eprint!("{out}");
            std::process::ExitCode::FAILURE
        }
    }
}
