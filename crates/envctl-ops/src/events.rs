//! Where an operation's progress goes. The operation never prints: a front end
//! implements [`Events`] and renders (terminal lines, JSON objects, server-sent
//! events). Every method has a default that shows nothing.

use std::sync::Arc;

use envctl_executor::{
    ActionProgress, ContainerAction, ContainerEvent, ImageJob, ImageReporter, LogSink, LogSource,
    Progress, StreamSink, silent_reporter,
};
use envctl_parser::{Project, ServiceName};
use envctl_planner::{ContainerRef, Plan, StartPlan};

/// A front end's view of one operation; called from several tasks at once.
pub trait Events: Send + Sync {
    /// A warning: the parser's, the planner's, the executor's.
    fn warning(&self, message: &str) {
        let _ = message;
    }

    /// A line of status: `Creating network …`, `would pull …`, `Removing image …`.
    fn status(&self, line: &str) {
        let _ = line;
    }

    /// A debug line: `Using configuration files: …` (1.29.2's `--log-level debug`).
    fn debug(&self, line: &str) {
        let _ = line;
    }

    /// Another envctl holds the project's lock; this operation waits for it.
    fn waiting_for_lock(&self, project: &str) {
        let _ = project;
    }

    /// From now on the operation honours its cancellation token: a front end that
    /// cancels it on a signal starts listening here (before, the signal may keep
    /// its default action). Called once the project lock is held, and before the
    /// first change to the engine.
    fn cancellable(&self) {}

    /// `run` and `exec`: the caller's input and output are about to be handed to
    /// the container (a terminal front end enters raw mode here for a TTY).
    fn attaching(&self) {}

    /// The sink of `plan`'s step events, about to be carried out.
    fn progress(&self, plan: &Plan) -> Progress {
        let _ = plan;
        Arc::new(|_| {})
    }

    /// `start`'s progress: by default the plan's.
    fn starting(&self, start: &StartPlan) -> Progress {
        self.progress(&start.plan)
    }

    /// The reporter of the pulls or builds about to start, with the labels (the
    /// services each image is for) of every one of them, for alignment.
    fn images(&self, job: ImageJob, labels: &[String]) -> ImageReporter {
        let _ = (job, labels);
        silent_reporter()
    }

    /// The sink of `action`'s progress on `targets`.
    fn actions(
        &self,
        action: &ContainerAction,
        targets: &[(ServiceName, ContainerRef)],
    ) -> ActionProgress {
        let _ = (action, targets);
        Arc::new(|_| {})
    }

    /// `logs`: the containers about to be read, and the sink of their lines.
    fn logs(&self, project: &Project, sources: &[LogSource]) -> StreamSink {
        let _ = (project, sources);
        Arc::new(|_| {})
    }

    /// `events`: one event of the project's containers.
    fn container_event(&self, event: &ContainerEvent) {
        let _ = event;
    }

    /// `up` without `-d`: the containers followed, each with its short name
    /// (`web_1`), and the sink of their lines.
    fn attached(&self, project: &Project, containers: &[(ContainerRef, String)]) -> LogSink {
        let _ = (project, containers);
        Arc::new(|_| {})
    }
}

/// Events that show nothing (tests, examples, a caller that only wants the result).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Events for Silent {}
