//! The projects the bench runs: v1 compose files of N services in three shapes.
//!
//! Every service `extends` the `base` service of a `common.yml` (image
//! `envctl-test/busybox:latest`, whose default command sleeps and exits at once on
//! SIGTERM, so `down` measures the tools and not a stop timeout). From N = 10 on,
//! the first service is `data`, a data-only service (`envctl-test/busybox-volume`,
//! `VOLUME /data`), and every fifth other service takes its volumes with
//! `volumes_from`. The shapes differ only in their links:
//!
//! - `wide`: none, every service can start at once;
//! - `chain`: each service links to the one before, so everything is serial;
//! - `tree`: layers of about √N services, each linking to one or two services of
//!   the layer before.
//!
//! The same [`ProjectDef`] drives the compose files and the engine-floor client, so
//! the floor creates exactly the containers the tools create.

use std::fmt::{self, Write as _};
use std::io;
use std::path::Path;
use std::str::FromStr;

/// The image every service runs (through `common.yml`).
pub const IMAGE: &str = "envctl-test/busybox:latest";
/// The data-only service's image: the same, with `VOLUME /data`.
pub const DATA_IMAGE: &str = "envctl-test/busybox-volume:latest";
/// A label every generated container carries, so leftovers can be found.
pub const BENCH_LABEL: &str = "org.envctl.bench";
/// Projects of at least this many services have a data-only service.
const DATA_FROM: usize = 10;
/// Every this many application services, one uses `volumes_from: [data]`.
const VOLUMES_FROM_EVERY: usize = 5;

/// How the services of a generated project depend on each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    Wide,
    Chain,
    Tree,
}

impl Shape {
    pub const ALL: [Self; 3] = [Self::Wide, Self::Chain, Self::Tree];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wide => "wide",
            Self::Chain => "chain",
            Self::Tree => "tree",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Shape {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|shape| shape.as_str() == text)
            .ok_or_else(|| format!("unknown shape `{text}` (expected `wide`, `chain` or `tree`)"))
    }
}

/// One service of a generated project. Dependencies are indices of services that
/// come earlier, so the file order is a dependency order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDef {
    pub name: String,
    /// `Some` for the data-only service, which overrides the base image.
    pub image_override: Option<&'static str>,
    pub links: Vec<usize>,
    pub volumes_from: Option<usize>,
}

impl ServiceDef {
    pub fn image(&self) -> &'static str {
        self.image_override.unwrap_or(IMAGE)
    }

    /// Every service this one waits for: its links, then its `volumes_from`.
    pub fn dependencies(&self) -> impl Iterator<Item = usize> + '_ {
        self.links.iter().copied().chain(self.volumes_from)
    }
}

/// A generated project: its shape, its size and its services in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectDef {
    pub shape: Shape,
    pub services: Vec<ServiceDef>,
}

impl ProjectDef {
    /// `size` services (at least one) in the given shape.
    pub fn new(shape: Shape, size: usize) -> Self {
        let size = size.max(1);
        let mut services = Vec::with_capacity(size);
        let data = (size >= DATA_FROM).then(|| {
            services.push(ServiceDef {
                name: "data".to_owned(),
                image_override: Some(DATA_IMAGE),
                links: Vec::new(),
                volumes_from: None,
            });
            0
        });
        let first_app = services.len();
        let app_count = size - first_app;
        let width = layer_width(app_count);
        for position in 0..app_count {
            let index = first_app + position;
            let links = match shape {
                Shape::Chain if position > 0 => vec![index - 1],
                Shape::Wide | Shape::Chain => Vec::new(),
                Shape::Tree => tree_parents(position, width)
                    .into_iter()
                    .map(|parent| first_app + parent)
                    .collect(),
            };
            let volumes_from =
                data.filter(|_| position % VOLUMES_FROM_EVERY == VOLUMES_FROM_EVERY - 1);
            services.push(ServiceDef {
                name: format!("s{position}"),
                image_override: None,
                links,
                volumes_from,
            });
        }
        Self { shape, services }
    }

    pub fn size(&self) -> usize {
        self.services.len()
    }

    /// The `docker-compose.yml` (version 1: services at the top level).
    pub fn compose_file(&self) -> String {
        let mut text = String::new();
        for service in &self.services {
            let _ = write!(
                text,
                "{}:\n  extends:\n    file: common.yml\n    service: base\n",
                service.name
            );
            if let Some(image) = service.image_override {
                let _ = writeln!(text, "  image: {image}");
            }
            if !service.links.is_empty() {
                text.push_str("  links:\n");
                for &link in &service.links {
                    let _ = writeln!(text, "    - {}", self.services[link].name);
                }
            }
            if let Some(source) = service.volumes_from {
                let _ = write!(
                    text,
                    "  volumes_from:\n    - {}\n",
                    self.services[source].name
                );
            }
        }
        text
    }

    /// The `common.yml` every service extends.
    pub fn common_file() -> String {
        format!(
            "base:\n  image: {IMAGE}\n  labels:\n    {BENCH_LABEL}: \"1\"\n  environment:\n    - ENVCTL_BENCH=1\n"
        )
    }

    /// Writes both files into `directory` (created if missing).
    pub fn write(&self, directory: &Path) -> io::Result<()> {
        std::fs::create_dir_all(directory)?;
        std::fs::write(directory.join("common.yml"), Self::common_file())?;
        std::fs::write(directory.join("docker-compose.yml"), self.compose_file())
    }
}

/// About √count: the smallest width whose square holds `count`.
fn layer_width(count: usize) -> usize {
    (1..=count.max(1))
        .find(|width| width * width >= count)
        .unwrap_or(1)
}

/// The parents (positions among the application services) of the service at
/// `position` in a tree of layers `width` wide: the service below it in the layer
/// before and, for every other service, that one's neighbour too.
fn tree_parents(position: usize, width: usize) -> Vec<usize> {
    let layer = position / width;
    if layer == 0 {
        return Vec::new();
    }
    let previous_start = (layer - 1) * width;
    let column = position % width;
    let mut parents = vec![previous_start + column];
    let neighbour = previous_start + (column + 1) % width;
    if column.is_multiple_of(2) && !parents.contains(&neighbour) {
        parents.push(neighbour);
    }
    parents
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(project: &ProjectDef) -> Vec<(String, Vec<String>)> {
        project
            .services
            .iter()
            .map(|service| {
                let names = service
                    .links
                    .iter()
                    .map(|&link| project.services[link].name.clone())
                    .collect();
                (service.name.clone(), names)
            })
            .collect()
    }

    #[test]
    fn dependencies_always_come_earlier_in_the_file() {
        for shape in Shape::ALL {
            for size in [1, 2, 9, 10, 30, 60, 61] {
                let project = ProjectDef::new(shape, size);
                assert_eq!(project.size(), size, "{shape} {size}");
                for (index, service) in project.services.iter().enumerate() {
                    assert!(
                        service.dependencies().all(|dependency| dependency < index),
                        "{shape} {size}: {} depends on a later service",
                        service.name
                    );
                }
            }
        }
    }

    #[test]
    fn chain_links_each_service_to_the_one_before() {
        let project = ProjectDef::new(Shape::Chain, 4);
        assert_eq!(
            links(&project),
            [
                ("s0".to_owned(), vec![]),
                ("s1".to_owned(), vec!["s0".to_owned()]),
                ("s2".to_owned(), vec!["s1".to_owned()]),
                ("s3".to_owned(), vec!["s2".to_owned()]),
            ]
        );
    }

    #[test]
    fn tree_links_to_one_or_two_of_the_layer_before() {
        let project = ProjectDef::new(Shape::Tree, 9);
        // No data service under 10; 9 services in layers of 3.
        assert_eq!(
            links(&project),
            [
                ("s0".to_owned(), vec![]),
                ("s1".to_owned(), vec![]),
                ("s2".to_owned(), vec![]),
                ("s3".to_owned(), vec!["s0".to_owned(), "s1".to_owned()]),
                ("s4".to_owned(), vec!["s1".to_owned()]),
                ("s5".to_owned(), vec!["s2".to_owned(), "s0".to_owned()]),
                ("s6".to_owned(), vec!["s3".to_owned(), "s4".to_owned()]),
                ("s7".to_owned(), vec!["s4".to_owned()]),
                ("s8".to_owned(), vec!["s5".to_owned(), "s3".to_owned()]),
            ]
        );
    }

    #[test]
    fn wide_has_no_links_and_every_fifth_service_uses_the_data_volumes() {
        let project = ProjectDef::new(Shape::Wide, 11);
        assert_eq!(project.services[0].name, "data");
        assert_eq!(project.services[0].image(), DATA_IMAGE);
        let users: Vec<&str> = project
            .services
            .iter()
            .filter(|service| service.volumes_from == Some(0))
            .map(|service| service.name.as_str())
            .collect();
        assert_eq!(users, ["s4", "s9"]);
        assert!(
            project
                .services
                .iter()
                .all(|service| service.links.is_empty())
        );
    }

    #[test]
    fn compose_file_extends_common_and_names_its_references() {
        let project = ProjectDef::new(Shape::Chain, 10);
        let text = project.compose_file();
        assert!(text.starts_with(
            "data:\n  extends:\n    file: common.yml\n    service: base\n  image: envctl-test/busybox-volume:latest\n"
        ));
        assert!(text.contains(
            "s4:\n  extends:\n    file: common.yml\n    service: base\n  links:\n    - s3\n  volumes_from:\n    - data\n"
        ));
        assert!(ProjectDef::common_file().contains("image: envctl-test/busybox:latest"));
    }

    #[test]
    fn shapes_parse_from_their_names() {
        assert_eq!("tree".parse(), Ok(Shape::Tree));
        assert!("ring".parse::<Shape>().is_err());
    }
}
