//! The planner decides everything and touches nothing.
//!
//! Given the resolved [`Project`](envctl_parser::Project), what the user asked for, and
//! a plain snapshot of what the engine holds ([`Observed`]), it returns a [`Plan`]:
//! single steps, each with the steps it waits for. The executor only carries a plan
//! out. This crate is pure, synchronous and deterministic: no I/O, no `async`, no
//! engine types, and every tie is broken by file order, never by hash order.

pub mod drift;
pub mod error;
pub mod graph;
pub mod hash;
pub mod images;
pub mod lifecycle;
pub mod observed;
pub mod plan;
pub mod profiles;
pub mod refusals;
pub mod render;
pub mod resources;
pub mod secrets;
pub mod stack;
pub mod wait;

pub use drift::{
    Change, Drift, ObservedNetwork, ObservedVolume, ResourceChanged, network_drift, volume_drift,
};
pub use error::{MissingSecret, PlanError, check_networks};
pub use graph::DependencyGraph;
pub use hash::{changed_keys, compose_order, config_digest, config_hash, config_hash_observed};
pub use images::{BuildImage, ImageOptions, ImagePlan, image_removals, plan_images};
pub use lifecycle::{
    ContainerCommand, StartPlan, oneoff_name, plan_rm, plan_rm_stop, plan_run_deps, plan_start,
    select_containers,
};
pub use observed::{ContainerState, Observed, ObservedContainer, ObservedMount};
pub use plan::{
    ContainerRef, DEFAULT_STOP_TIMEOUT, DownOptions, Op, Plan, RecreateStrategy, Step, StepId,
    UpOptions, image_reference, plan_down, plan_stop, plan_up,
};
pub use profiles::enabled_for_profiles;
pub use refusals::{RefusedSetting, check_refusals};
pub use render::GraphFormat;
pub use resources::{
    Attachment, NetworkResource, Resources, VolumeResource, network_name, project_resources,
    service_attachments, uses_networking, volume_name,
};
pub use secrets::{check_secret_files, missing_secret_files};
pub use stack::{
    Convergence, ObservedStackObject, ObservedStackService, StackAction, StackObserved,
    StackOptions, StackPlan, StackRefusal, StackServiceStatus, StackTaskState, convergence,
    plan_stack,
};
pub use wait::may_complete;
