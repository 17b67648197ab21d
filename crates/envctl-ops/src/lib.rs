//! Every envctl operation as a library call.
//!
//! Each operation (`up`, `down`, `ps`, `run`, …) takes a [`Target`] (the project's
//! files, name and environment as the front end resolved them, and the engine to
//! reach), a typed request, an [`Events`] sink and a cancellation token, and
//! returns a typed result or an [`OpsError`]. It loads the project (parser), takes
//! the project's lock, observes and carries the planner's decisions out
//! (executor); it never prints, never reads the process environment, and never
//! picks an exit code. The `envctl` command line is one front end over it (flags →
//! request, events → terminal lines, result → exit code); a server is another.
//! Two callers on two projects share nothing: each operation makes its own engine
//! connection and takes its own project's lock.

mod config;
mod down;
mod engine;
mod error;
mod events;
mod exec;
mod images;
mod inspect;
mod labelled;
mod lifecycle;
mod logs;
mod pull;
mod resources;
mod session;
mod stack;
mod target;
mod up;
mod watch;

pub use config::{ConfigOutput, ConfigQuery, config};
pub use down::{DownOutcome, DownRequest, RemoveImages, down};
pub use engine::{EngineReport, engine};
pub use error::OpsError;
pub use events::{Events, Silent};
pub use exec::{ExecOperation, Io, RunOutcome, RunRequest, exec, run};
pub use images::BuildFlags;
pub use inspect::{
    ImageRow, Images, PortRequest, PsRequest, filtered_services, graph, images,
    labelled_containers, port, ps, services, top,
};
pub use labelled::{
    create_labelled_volume, labelled_events, labelled_volumes, remove_labelled_volumes,
};
pub use lifecycle::{
    Acted, Confirm, ContainerOperation, RmOutcome, RmRequest, StartOutcome, act, rm, start, stop,
};
pub use logs::logs;
pub use pull::{BuildRequest, PullRequest, build, pull};
pub use stack::{
    ResolveImage, StackDeployOutcome, StackDeployRequest, StackTaskRow, stack_deploy, stack_ls,
    stack_ps, stack_rm, stack_service_list,
};
pub use target::{EngineTarget, Target};
pub use up::{UpOutcome, UpRequest, up};
pub use watch::events;

/// The executor's plain data types that requests, events and results carry, so
/// that a front end names them from here and depends on no executor (and no
/// engine client) of its own.
pub mod types {
    pub use envctl_executor::endpoint::{ClientCertificate, Verification};
    pub use envctl_executor::image::{ImageEvent, ImageSink, parse_bytes};
    pub use envctl_executor::stack::{SwarmService, SwarmTask};
    pub use envctl_executor::{
        Action, ActionEvent, ActionProgress, ContainerAction, ContainerDetails, ContainerEvent,
        Endpoint, EngineAddress, EngineVersion, Event, ExecRequest, ExecutorError, ImageJob,
        ImageReporter, JobView, LabelledEvent, LabelledVolume, LogEvent, LogSink, LogSource,
        LogsOptions, OneOff, Outcome, ProcessList, Progress, ProjectLock, RunError, StreamEvent,
        StreamSink, TlsFlags, labels, parallel_limit,
    };
}
