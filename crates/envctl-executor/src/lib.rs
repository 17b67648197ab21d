//! Carries a [`Plan`](envctl_planner::Plan) out against a Docker Engine, and reads
//! the engine's state back as an [`Observed`](envctl_planner::Observed).
//!
//! The executor makes no decisions: which containers to create, replace, start, stop
//! or remove, with which names, numbers and hashes, was decided by the planner. It
//! turns each step into engine requests (`spec` builds the container from the
//! service, `docker` talks to the engine) and walks the plan as a DAG (`run`). It
//! never prints: progress goes out as [`Event`]s. Only `docker.rs`, which is
//! private, names bollard types; the engine's answer is [`EngineError`], which
//! wraps bollard's error without showing it.

pub mod apply;
pub mod build_context;
mod docker;
pub mod dockerignore;
pub mod endpoint;
pub mod error;
pub mod events;
pub mod exec;
pub mod health;
pub mod image;
pub mod images;
pub mod labels;
pub mod lock;
pub mod log_stream;
pub mod logs;
pub mod observe;
pub mod oneoff;
mod parallel;
pub mod resources;
pub mod run;
pub mod shlex;
pub mod spec;
pub mod stack;

pub use apply::{ActionEvent, ActionProgress, ContainerAction, apply};
pub use docker::{
    BuildFailure, ContainerChange, ContainerDetails, DEFAULT_HOST, Engine, EngineAddress,
    EngineError, EngineVersion, ImageDetails, LabelledVolume, ProcessList,
};
pub use endpoint::{Endpoint, TlsFlags};
pub use error::{ConnectionProblem, ExecutorError, Operation, RunError};
pub use events::{ContainerEvent, LabelledEvent, stream_events, stream_labelled_events};
pub use exec::{ExecInput, ExecRequest};
pub use health::wait_ready;
pub use images::{
    ImageJob, ImageReporter, JobView, RemovalEvent, build_images, pull_images, remove_images,
    silent_reporter,
};
pub use lock::ProjectLock;
pub use log_stream::{LogSource, LogsOptions, StreamEvent, StreamSink, stream_logs};
pub use logs::{LogEvent, LogSink, follow};
pub use observe::{observe, project_containers};
pub use oneoff::{OneOff, OneOffIo, oneoff_spec, run_oneoff, wait_oneoff_dependencies};
pub use resources::{ResourceEvent, ensure_resources, join_networks, remove_resources};
pub use run::{Action, Event, Outcome, Progress, RunOptions, parallel_limit, run};
pub use spec::{ContainerSpec, container_spec};
