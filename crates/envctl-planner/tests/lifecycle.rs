//! `start`, `rm`, `kill`, `pause`, `unpause`, `restart`: which containers, in which
//! order, as snapshots.

mod common;

use std::fmt::Write as _;

use common::{container, images, project};
use envctl_parser::ServiceName;
use envctl_planner::{
    ContainerCommand, ContainerState, Observed, PlanError, plan_rm, plan_rm_stop, plan_start,
    select_containers,
};

fn names(services: &[&str]) -> Vec<ServiceName> {
    services
        .iter()
        .map(|name| ServiceName::new(*name))
        .collect()
}

/// web → db → data, and cache on its own.
fn chain() -> envctl_parser::Project {
    project(&[
        ("web", &["db"]),
        ("db", &["data"]),
        ("data", &[]),
        ("cache", &[]),
    ])
}

#[test]
fn start_follows_dependency_order_and_skips_running_containers() {
    let project = chain();
    let mut observed = images();
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Exited));
    observed
        .containers
        .push(container(&project, "db", 1, ContainerState::Created));
    observed
        .containers
        .push(container(&project, "data", 1, ContainerState::Running));
    let start = plan_start(&project, &observed, &[]).expect("plan");
    insta::assert_snapshot!(start.plan.to_string(), @r"
    [] -> #0 db, start `demo_db_1`, start
    [#0] -> #1 web, start `demo_web_1`, start
    ");
    assert_eq!(
        start.services,
        vec![
            (ServiceName::new("data"), 1),
            (ServiceName::new("db"), 1),
            (ServiceName::new("web"), 1),
            (ServiceName::new("cache"), 0),
        ]
    );
    assert!(!start.nothing_to_start());
}

#[test]
fn start_without_containers_has_nothing_to_start() {
    let project = chain();
    let start = plan_start(&project, &images(), &names(&["web"])).expect("plan");
    assert!(start.plan.steps.is_empty());
    assert_eq!(start.services, vec![(ServiceName::new("web"), 0)]);
    assert!(start.nothing_to_start());
}

#[test]
fn start_of_an_unknown_service_is_an_error() {
    let project = chain();
    let error = plan_start(&project, &images(), &names(&["nope"])).expect_err("unknown");
    assert!(
        matches!(error, PlanError::NoSuchService { .. }),
        "{error:?}"
    );
}

fn observed_with_oneoff(project: &envctl_parser::Project) -> Observed {
    let mut observed = images();
    observed
        .containers
        .push(container(project, "web", 1, ContainerState::Running));
    observed
        .containers
        .push(container(project, "db", 1, ContainerState::Exited));
    observed
        .containers
        .push(container(project, "data", 1, ContainerState::Running));
    let mut oneoff = container(project, "db", 1, ContainerState::Running);
    oneoff.name = "demo_db_run_0123456789ab".into();
    oneoff.id = "dbrunid".into();
    oneoff.oneoff = true;
    oneoff.number = None;
    oneoff.created = 10;
    observed.containers.push(oneoff);
    observed
}

#[test]
fn rm_stop_includes_one_offs_and_stops_dependents_first() {
    let project = chain();
    let observed = observed_with_oneoff(&project);
    let plan = plan_rm_stop(&project, &observed, &[], Some(3)).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 web, stop `demo_web_1` (3s), rm --stop
    [#0] -> #1 db, stop `demo_db_run_0123456789ab` (3s), rm --stop
    [#1] -> #2 data, stop `demo_data_1` (3s), rm --stop
    ");
}

#[test]
fn rm_removes_stopped_containers_newest_first_one_offs_included() {
    let project = chain();
    let mut observed = observed_with_oneoff(&project);
    for container in &mut observed.containers {
        if container.service != "web" {
            container.state = ContainerState::Exited;
        }
    }
    let plan = plan_rm(&project, &observed, &[], true).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 db, remove `demo_db_run_0123456789ab` with its anonymous volumes, rm
    [] -> #1 data, remove `demo_data_1` with its anonymous volumes, rm
    [] -> #2 db, remove `demo_db_1` with its anonymous volumes, rm
    ");
    let only_data = plan_rm(&project, &observed, &names(&["data"]), false).expect("plan");
    insta::assert_snapshot!(only_data.to_string(), @"[] -> #0 data, remove `demo_data_1`, rm");
}

#[test]
fn container_commands_pick_the_states_they_act_on() {
    let project = chain();
    let mut observed = images();
    for (service, state) in [
        ("web", ContainerState::Running),
        ("db", ContainerState::Paused),
        ("data", ContainerState::Exited),
        ("cache", ContainerState::Created),
    ] {
        observed
            .containers
            .push(container(&project, service, 1, state));
    }
    let mut rendered = String::new();
    for command in [
        ContainerCommand::Kill,
        ContainerCommand::Pause,
        ContainerCommand::Unpause,
        ContainerCommand::Restart,
    ] {
        let selected = select_containers(&project, &observed, &[], command).expect("select");
        let names: Vec<&str> = selected.iter().map(|(_, c)| c.name.as_str()).collect();
        let _ = writeln!(rendered, "{command:?}: {}", names.join(", "));
    }
    insta::assert_snapshot!(rendered, @r"
    Kill: demo_db_1, demo_web_1
    Pause: demo_web_1
    Unpause: demo_db_1
    Restart: demo_data_1, demo_db_1, demo_web_1, demo_cache_1
    ");
}

#[test]
fn run_brings_dependencies_up_without_recreating_and_names_the_one_off() {
    let project = chain();
    let mut observed = images();
    let mut stale = container(&project, "db", 1, ContainerState::Exited);
    stale.config_hash = Some("old".into());
    observed.containers.push(stale);
    let plan =
        envctl_planner::plan_run_deps(&project, &observed, &ServiceName::new("web")).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 data, create `demo_data_1`, no container
    [#0] -> #1 db, start `demo_db_1`, stopped
    ");
    let none = envctl_planner::plan_run_deps(&project, &observed, &ServiceName::new("cache"))
        .expect("plan");
    assert!(none.steps.is_empty());
    assert!(envctl_planner::plan_run_deps(&project, &observed, &ServiceName::new("nope")).is_err());
    assert_eq!(
        envctl_planner::oneoff_name(&project, &ServiceName::new("web"), "0123456789abcdef"),
        "demo_web_run_0123456789ab"
    );
}
