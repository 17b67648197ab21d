//! From the command line and the process environment to what the library crates
//! take: `LoadOptions`, the engine address, the parallel limit.

use std::path::PathBuf;

use envctl_executor::{Endpoint, Engine, TlsFlags, endpoint};
use envctl_parser::{LoadOptions, Project, load};
use indexmap::IndexMap;

use crate::args::GlobalArgs;
use crate::report::{Failure, print_warning};

/// One run of `envctl`: its global options and environment.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub global: GlobalArgs,
    pub environment: IndexMap<String, String>,
}

impl Invocation {
    pub fn from_process(global: GlobalArgs) -> Self {
        Self {
            global,
            environment: std::env::vars().collect(),
        }
    }

    pub fn load_options(&self, interpolate: bool) -> Result<LoadOptions, Failure> {
        let cwd = std::env::current_dir().map_err(|error| {
            Failure::usage(format!("cannot read the current directory: {error}"))
        })?;
        // `-f -`: the compose file is standard input, read here (the parser reads
        // no stream).
        let stdin = if self.global.files.iter().any(|file| file.as_os_str() == "-") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|error| {
                Failure::usage(format!("cannot read the compose file from stdin: {error}"))
            })?;
            Some(text)
        } else {
            None
        };
        Ok(LoadOptions {
            stdin,
            files: self.global.files.clone(),
            project_name: self.global.project_name.clone(),
            project_directory: self.global.project_directory.clone(),
            env_file: self.global.env_file.clone(),
            environment: self.environment.clone(),
            cwd,
            interpolate,
        })
    }

    /// Loads the project and prints the parser's warnings.
    pub fn load_project(&self, interpolate: bool) -> Result<Project, Failure> {
        let project = load(&self.load_options(interpolate)?)?;
        for warning in &project.warnings {
            print_warning(&warning.to_string());
        }
        Ok(project)
    }

    /// The engine to talk to and how: `-H` and the TLS flags over `DOCKER_HOST`,
    /// `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH` and `DOCKER_MACHINE_NAME` (the rules
    /// are in `envctl_executor::endpoint`).
    pub fn endpoint(&self) -> Result<Endpoint, Failure> {
        let global = &self.global;
        let flags = TlsFlags {
            tls: global.tls,
            verify: global.tlsverify,
            ca_cert: global.tlscacert.clone(),
            cert: global.tlscert.clone(),
            key: global.tlskey.clone(),
            skip_hostname_check: global.skip_hostname_check,
        };
        let home = self
            .environment
            .get("HOME")
            .filter(|home| !home.is_empty())
            .map(PathBuf::from);
        Ok(endpoint::resolve(
            global.host.as_deref(),
            &flags,
            &|name| self.environment.get(name).cloned(),
            home.as_deref(),
        )?)
    }

    /// Connects once for the whole run: every request of the command goes through
    /// this engine (and its kept-alive connection).
    pub async fn connect(&self) -> Result<Engine, Failure> {
        let engine = Engine::connect_to(&self.endpoint()?).await?;
        tracing::debug!(engine = %engine.endpoint(), api = %engine.api_version(), "connected");
        Ok(engine)
    }

    /// `COMPOSE_PARALLEL_LIMIT`.
    /// The active profiles: `--profile`, else `COMPOSE_PROFILES` (comma-separated),
    /// as 1.29.2's `get_profiles_from_options`.
    pub fn profiles(&self) -> Vec<String> {
        if !self.global.profiles.is_empty() {
            return self.global.profiles.clone();
        }
        self.environment
            .get("COMPOSE_PROFILES")
            .map(|profiles| {
                profiles
                    .split(',')
                    .filter(|profile| !profile.is_empty())
                    .map(ToOwned::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn parallel_limit(&self) -> usize {
        envctl_executor::parallel_limit(
            self.environment
                .get("COMPOSE_PARALLEL_LIMIT")
                .map(String::as_str),
        )
    }
}
