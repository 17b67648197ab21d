//! From the command line and the process environment to what the operations layer
//! takes: its `Target` (`LoadOptions`, the engine, the parallel limit, the lock
//! directory).

use std::path::PathBuf;
use std::sync::OnceLock;

use envctl_ops::types::{Endpoint, TlsFlags};
use envctl_ops::{EngineTarget, Target};
use envctl_parser::LoadOptions;
use indexmap::IndexMap;

use crate::args::GlobalArgs;
use crate::failure::Failure;

/// One run of `envctl`: its global options and environment.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub global: GlobalArgs,
    /// The process environment.
    pub environment: IndexMap<String, String>,
    /// [`Invocation::settings`], read once.
    settings: OnceLock<IndexMap<String, String>>,
}

impl Invocation {
    pub fn from_process(global: GlobalArgs) -> Self {
        Self::new(global, std::env::vars().collect())
    }

    pub fn new(global: GlobalArgs, environment: IndexMap<String, String>) -> Self {
        Self {
            global,
            environment,
            settings: OnceLock::new(),
        }
    }

    pub fn load_options(&self, interpolate: bool) -> Result<LoadOptions, Failure> {
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
            interpolate,
            ..self.options_without_stdin()?
        })
    }

    fn options_without_stdin(&self) -> Result<LoadOptions, Failure> {
        let cwd = std::env::current_dir().map_err(|error| {
            Failure::usage(format!("cannot read the current directory: {error}"))
        })?;
        Ok(LoadOptions {
            stdin: None,
            files: self.global.files.clone(),
            project_name: self.global.project_name.clone(),
            project_directory: self.global.project_directory.clone(),
            env_file: self.global.env_file.clone(),
            environment: self.environment.clone(),
            cwd,
            interpolate: true,
            check_build_paths: true,
        })
    }

    /// Where the `COMPOSE_*` and `DOCKER_*` settings are read: `.env` (or
    /// `--env-file`) with the process environment over it, as 1.29.2's
    /// `Environment.from_env_file`. When `.env` cannot be read, the process
    /// environment alone: loading the project reports that problem.
    pub fn settings(&self) -> &IndexMap<String, String> {
        self.settings.get_or_init(|| {
            self.options_without_stdin()
                .ok()
                .and_then(|options| envctl_parser::environment(&options).ok())
                .unwrap_or_else(|| self.environment.clone())
        })
    }

    /// A setting (see [`Invocation::settings`]); unset when empty.
    fn setting(&self, name: &str) -> Option<&str> {
        self.settings()
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// A boolean setting as 1.29.2's `get_boolean`: unset, empty, `0` and `false`
    /// (any case) are false, anything else true.
    pub fn flag(&self, name: &str) -> bool {
        self.setting(name)
            .is_some_and(|value| !matches!(value.to_ascii_lowercase().as_str(), "0" | "false"))
    }

    /// What every operation of this run is about, the compose file from stdin
    /// read (`-f -`). As 1.29.2's `project_from_options`, `COMPOSE_PARALLEL_LIMIT`
    /// is checked first.
    pub fn target(&self) -> Result<Target, Failure> {
        let parallel_limit = self.parallel_limit()?;
        Ok(Target {
            load: self.load_options(true)?,
            engine: self.engine_target(),
            parallel_limit,
            lock_directory: Some(self.lock_directory()),
        })
    }

    /// [`Invocation::target`] for `config`, which reads no parallel limit and may
    /// leave variables uninterpolated.
    pub fn config_target(&self, interpolate: bool) -> Result<Target, Failure> {
        Ok(Target {
            load: self.load_options(interpolate)?,
            engine: self.engine_target(),
            parallel_limit: envctl_ops::types::parallel_limit(None),
            lock_directory: None,
        })
    }

    /// Where project locks are kept: this user's `$XDG_RUNTIME_DIR/envctl`, else the
    /// temporary directory's `envctl-<uid>` (`ProjectLock::directory`, #19).
    fn lock_directory(&self) -> PathBuf {
        let runtime_dir = self
            .environment
            .get("XDG_RUNTIME_DIR")
            .filter(|directory| !directory.is_empty())
            .map(PathBuf::from);
        envctl_ops::types::ProjectLock::directory(runtime_dir.as_deref(), &std::env::temp_dir())
    }

    /// The engine to talk to and how: `-H` and the TLS flags over `DOCKER_HOST`,
    /// `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH` and `DOCKER_MACHINE_NAME` (the rules
    /// are in `envctl_executor::endpoint`).
    pub fn engine_target(&self) -> EngineTarget {
        let global = &self.global;
        EngineTarget {
            host: global.host.clone(),
            context: global.context.clone(),
            tls: TlsFlags {
                tls: global.tls,
                verify: global.tlsverify,
                ca_cert: global.tlscacert.clone(),
                cert: global.tlscert.clone(),
                key: global.tlskey.clone(),
                skip_hostname_check: global.skip_hostname_check,
            },
            settings: self.settings().clone(),
            home: self
                .environment
                .get("HOME")
                .filter(|home| !home.is_empty())
                .map(PathBuf::from),
        }
    }

    /// [`Invocation::engine_target`]'s endpoint.
    pub fn endpoint(&self) -> Result<Endpoint, Failure> {
        Ok(self.engine_target().endpoint()?)
    }

    /// The active profiles: `--profile`, else `COMPOSE_PROFILES` (comma-separated),
    /// as 1.29.2's `get_profiles_from_options`.
    pub fn profiles(&self) -> Vec<String> {
        if !self.global.profiles.is_empty() {
            return self.global.profiles.clone();
        }
        self.setting("COMPOSE_PROFILES")
            .map(|profiles| {
                profiles
                    .split(',')
                    .filter(|profile| !profile.is_empty())
                    .map(ToOwned::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `COMPOSE_PARALLEL_LIMIT`: how many engine requests at once (64 when unset).
    ///
    /// # Errors
    ///
    /// It is not a whole number, or it is less than 1. (1.29.2 refuses 1 too; envctl
    /// takes it as "one request at a time".)
    pub fn parallel_limit(&self) -> Result<usize, Failure> {
        let Some(value) = self.setting("COMPOSE_PARALLEL_LIMIT") else {
            return Ok(envctl_ops::types::parallel_limit(None));
        };
        match value.trim().parse::<i64>() {
            Ok(limit) if limit >= 1 => Ok(envctl_ops::types::parallel_limit(Some(value))),
            Ok(_) => Err(Failure::usage(format!(
                "`COMPOSE_PARALLEL_LIMIT` cannot be less than 1 (found `{value}`)"
            ))),
            Err(_) => Err(Failure::usage(format!(
                "`COMPOSE_PARALLEL_LIMIT` must be a whole number (found `{value}`)"
            ))),
        }
    }

    /// `COMPOSE_IGNORE_ORPHANS`: no warning about orphan containers; an error beside
    /// `--remove-orphans`, as 1.29.2.
    pub fn ignore_orphans(&self, remove_orphans: bool) -> Result<bool, Failure> {
        let ignore = self.flag("COMPOSE_IGNORE_ORPHANS");
        if ignore && remove_orphans {
            return Err(Failure::usage(
                "COMPOSE_IGNORE_ORPHANS and --remove-orphans cannot be combined.",
            ));
        }
        Ok(ignore)
    }
}
