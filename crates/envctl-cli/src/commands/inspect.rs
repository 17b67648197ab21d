//! `envctl port`, `envctl top` and `envctl images`: read-only looks at the
//! project's containers, found by label, printed as 1.29.2 prints them.

use envctl_executor::{ContainerDetails, Engine, labels, project_containers};
use envctl_parser::Project;

use super::table::table;
use crate::args::{ImagesArgs, PortArgs, ServicesArgs};
use crate::invocation::Invocation;
use crate::report::{Failure, print_line};

/// `port SERVICE PRIVATE_PORT`: the `host_ip:host_port` of the first binding of
/// `PRIVATE_PORT/PROTOCOL` on the service's running container number `--index`,
/// or an empty line when that port is not published.
pub async fn port(invocation: &Invocation, args: PortArgs) -> Result<(), Failure> {
    let project = invocation.load_project(true)?;
    check_services(&project, std::slice::from_ref(&args.service))?;
    let engine = invocation.connect().await?;
    let index = args.index.to_string();
    let container = project_containers(&engine, &project.name)
        .await?
        .into_iter()
        .filter(|container| container.state.is_running() && !is_oneoff(container))
        .find(|container| {
            label(container, labels::SERVICE) == args.service
                && label(container, labels::CONTAINER_NUMBER) == index
        })
        .ok_or_else(|| {
            Failure::usage(format!(
                "no container found for `{}_{}`",
                args.service, args.index
            ))
        })?;
    let key = format!("{}/{}", args.private_port, args.protocol);
    let binding = container
        .ports
        .iter()
        .find(|(private, _)| *private == key)
        .and_then(|(_, bindings)| bindings.first())
        .map(|(ip, port)| format!("{ip}:{port}"))
        .unwrap_or_default();
    print_line(&binding)
}

/// `top [SERVICE...]`: for each running container (one-off ones included), by
/// name, its name and the table of its processes; a blank line between two.
pub async fn top(invocation: &Invocation, args: ServicesArgs) -> Result<(), Failure> {
    let project = invocation.load_project(true)?;
    check_services(&project, &args.services)?;
    let engine = invocation.connect().await?;
    let containers = selected(&engine, &project, &args.services, |container| {
        container.state.is_running()
    })
    .await?;
    for (position, container) in containers.iter().enumerate() {
        let processes = engine.top(&container.id).await?;
        if position > 0 {
            print_line("")?;
        }
        print_line(&container.name)?;
        print_line(&table(&processes.titles, &processes.processes))?;
    }
    Ok(())
}

/// `images [-q] [SERVICE...]`: the image of each of the project's containers
/// (stopped ones included; one-off ones while they run), by container name.
pub async fn images(invocation: &Invocation, args: ImagesArgs) -> Result<(), Failure> {
    let project = invocation.load_project(true)?;
    check_services(&project, &args.services)?;
    let engine = invocation.connect().await?;
    let containers = selected(&engine, &project, &args.services, |container| {
        !is_oneoff(container) || container.state.is_running()
    })
    .await?;
    if args.quiet {
        let mut seen = std::collections::HashSet::new();
        for container in &containers {
            let id = container.image.trim_start_matches("sha256:");
            if seen.insert(id.to_owned()) {
                print_line(id)?;
            }
        }
        return Ok(());
    }
    let mut rows = Vec::with_capacity(containers.len());
    for container in &containers {
        let details = engine.image_details(&container.image).await?;
        let details = details.unwrap_or_default();
        let service_image = project
            .service(label(container, labels::SERVICE))
            .map(|service| with_default_tag(&image_name(&project, service)))
            .unwrap_or_default();
        let reference = details
            .repo_tags
            .iter()
            .find(|tag| **tag == service_image)
            .or_else(|| details.repo_tags.first());
        let (repository, tag) = reference
            .and_then(|reference| reference.rsplit_once(':'))
            .unwrap_or(("<none>", "<none>"));
        let id = details.id.trim_start_matches("sha256:");
        rows.push(vec![
            container.name.clone(),
            repository.to_owned(),
            tag.to_owned(),
            id.chars().take(12).collect(),
            human_size(details.size),
        ]);
    }
    print_line(&table(
        &["Container", "Repository", "Tag", "Image Id", "Size"],
        &rows,
    ))
}

/// The project's containers of the named services (all when none is named) that
/// `keep` accepts, sorted by name.
async fn selected(
    engine: &Engine,
    project: &Project,
    services: &[String],
    keep: impl Fn(&ContainerDetails) -> bool,
) -> Result<Vec<ContainerDetails>, Failure> {
    let mut containers: Vec<ContainerDetails> = project_containers(engine, &project.name)
        .await?
        .into_iter()
        .filter(|container| {
            services.is_empty()
                || services
                    .iter()
                    .any(|name| name == label(container, labels::SERVICE))
        })
        .filter(|container| keep(container))
        .collect();
    containers.sort_by(|left, right| left.name.cmp(&right.name));
    Ok(containers)
}

fn check_services(project: &Project, names: &[String]) -> Result<(), Failure> {
    match names
        .iter()
        .find(|name| !project.services.contains_key(name.as_str()))
    {
        Some(unknown) => Err(Failure::usage(format!("no such service: `{unknown}`"))),
        None => Ok(()),
    }
}

fn label<'a>(container: &'a ContainerDetails, key: &str) -> &'a str {
    container.labels.get(key).map_or("", String::as_str)
}

fn is_oneoff(container: &ContainerDetails) -> bool {
    labels::is_oneoff(container.labels.get(labels::ONEOFF).map(String::as_str))
}

/// The image a service runs: its `image`, else the one its `build` makes,
/// `<project>_<service>` (1.29.2 `Service.image_name`).
fn image_name(project: &Project, service: &envctl_parser::Service) -> String {
    service
        .image
        .clone()
        .unwrap_or_else(|| format!("{}_{}", project.name, service.name))
}

/// `busybox` → `busybox:latest`; a registry port is not a tag.
fn with_default_tag(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        name.to_owned()
    } else {
        format!("{name}:latest")
    }
}

/// Python's `'{:.4g} {}'` of the size in powers of 1000 (1.29.2
/// `human_readable_file_size`): `1.24 MB`, `512 B`.
fn human_size(bytes: i64) -> String {
    const SUFFIXES: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    #[allow(clippy::cast_precision_loss)]
    let size = bytes as f64;
    // `int(math.log(size, 1000))`, computed as Python does: `ln(size) / ln(1000)`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let order = if bytes > 0 {
        ((size.ln() / 1000_f64.ln()) as usize).min(SUFFIXES.len() - 1)
    } else {
        0
    };
    let scaled = size / 1000_f64.powi(i32::try_from(order).unwrap_or(0));
    format!("{} {}", format_g4(scaled), SUFFIXES[order])
}

/// Python's `{:.4g}` for the values `human_size` produces (0 ≤ x < 1000): four
/// significant digits, trailing zeros and a trailing point dropped.
fn format_g4(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    #[allow(clippy::cast_possible_truncation)]
    let exponent = value.abs().log10().floor() as i32;
    let decimals = usize::try_from((3 - exponent).max(0)).unwrap_or(0);
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_python_formats_them() {
        for (bytes, expected) in [
            (0, "0 B"),
            (512, "512 B"),
            (999, "999 B"),
            (1000, "1 kB"),
            (1_234_567, "1.235 MB"),
            (2_136_064, "2.136 MB"),
            (1_500_000_000, "1.5 GB"),
            (1_000_000, "1 MB"),
            (123_456, "123.5 kB"),
        ] {
            assert_eq!(human_size(bytes), expected, "{bytes}");
        }
    }

    #[test]
    fn a_tag_is_added_only_where_there_is_none() {
        assert_eq!(with_default_tag("busybox"), "busybox:latest");
        assert_eq!(with_default_tag("busybox:1"), "busybox:1");
        assert_eq!(
            with_default_tag("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
    }
}
