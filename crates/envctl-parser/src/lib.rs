//! Compose files in, one resolved [`Project`] out.
//!
//! The loader runs in phases (see `docs/parsing.md`): read → YAML (1.1, with spans) →
//! interpolate → merge the `-f` files → resolve `extends` → normalise → validate.
//! Every problem in a user's file becomes a [`ParseError`] that points at the file,
//! line and column. This crate does no network or engine I/O and has no async code;
//! all file reads go through one function so tests can run from strings.

// Names such as PyYAML, docker-compose or yaml-rust2 are prose here, not code.
#![allow(clippy::doc_markdown)]

mod dockit;
mod dotenv;
mod emitter;
mod engine_values;
pub mod error;
pub mod excerpt;
mod extends;
mod interpolate;
pub mod load;
mod merge;
pub mod model;
mod normalize;
mod paths;
mod port;
mod references;
mod resources;
mod schema;
mod secrets;
mod sections;
pub mod serialize;
pub mod yaml;

pub use error::{ParseError, ParseWarning, Problem, ProblemKind};
pub use load::{
    LoadOptions, environment, load, load_with_sections, normalize_project_name, parse_str,
};
pub use model::*;
pub use schema::parse_duration_nanoseconds;
pub use secrets::check_secrets;
pub use serialize::{
    RenderOptions, to_compose_value, to_compose_yaml, to_compose_yaml_with, to_resolved_yaml,
};
