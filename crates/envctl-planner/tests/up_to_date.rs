//! What 1.29.2 reads to decide "up to date", as the planner applies it to containers
//! either tool made: the service-wide convergence decision, the dependency
//! cascade's link check, duplicate numbers, container numbers, and the container ids
//! that go into the hash of `ipc: service:x` and `net: container:x`.

mod common;

use common::{container, images, project};
use envctl_parser::{ModeRef, ServiceName};
use envctl_planner::{
    ContainerState, Observed, Op, UpOptions, config_hash, config_hash_observed, plan_up,
};

fn recreated(plan: &envctl_planner::Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter_map(|step| match &step.op {
            Op::Recreate { old, .. } => Some(old.name.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn one_diverged_container_recreates_every_container_of_the_service() {
    let project = project(&[("web", &[])]);
    let mut observed = images();
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    let mut diverged = container(&project, "web", 2, ContainerState::Running);
    diverged.config_hash = Some("old".into());
    observed.containers.push(diverged);
    let mut options = UpOptions::default();
    options.scale.insert(ServiceName::new("web"), 2);
    let plan = plan_up(&project, &observed, &options).expect("plan");
    assert_eq!(recreated(&plan), ["demo_web_1", "demo_web_2"], "{plan}");
}

#[test]
fn a_running_dependent_with_matching_links_is_not_recreated_with_its_dependency() {
    let project = project(&[("web", &["db"]), ("db", &[])]);
    let mut observed = images();
    let mut db = container(&project, "db", 1, ContainerState::Running);
    db.config_hash = Some("old".into());
    observed.containers.push(db);
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    assert_eq!(recreated(&plan), ["demo_db_1"], "{plan}");
}

#[test]
fn a_dependent_whose_containers_lack_its_links_is_recreated_with_its_dependency() {
    let project = project(&[("web", &["db"]), ("db", &[])]);
    let mut observed = images();
    let mut db = container(&project, "db", 1, ContainerState::Running);
    db.config_hash = Some("old".into());
    observed.containers.push(db);
    let mut web = container(&project, "web", 1, ContainerState::Running);
    web.has_links = false;
    observed.containers.push(web);
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    assert_eq!(recreated(&plan), ["demo_db_1", "demo_web_1"], "{plan}");
}

#[test]
fn a_dependent_with_a_stopped_container_is_recreated_whole_with_its_dependency() {
    let project = project(&[("web", &["db"]), ("db", &[])]);
    let mut observed = images();
    let mut db = container(&project, "db", 1, ContainerState::Running);
    db.config_hash = Some("old".into());
    observed.containers.push(db);
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    observed
        .containers
        .push(container(&project, "web", 2, ContainerState::Exited));
    let mut options = UpOptions::default();
    options.scale.insert(ServiceName::new("web"), 2);
    let plan = plan_up(&project, &observed, &options).expect("plan");
    assert_eq!(
        recreated(&plan),
        ["demo_db_1", "demo_web_1", "demo_web_2"],
        "{plan}"
    );
}

#[test]
fn duplicates_keep_the_oldest_and_numbers_count_every_container() {
    let project = project(&[("web", &[])]);
    let mut observed = images();
    let mut oldest = container(&project, "web", 3, ContainerState::Running);
    oldest.created = 10;
    let mut newer = container(&project, "web", 3, ContainerState::Running);
    newer.id = "newer".into();
    newer.name = "demo_web_3_copy".into();
    newer.created = 20;
    let mut stopped = container(&project, "web", 7, ContainerState::Exited);
    stopped.created = 5;
    observed.containers.extend([newer, oldest, stopped]);
    let mut options = UpOptions::default();
    options.scale.insert(ServiceName::new("web"), 3);
    let plan = plan_up(&project, &observed, &options).expect("plan");
    let removed: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|step| match &step.op {
            Op::Remove { container, .. } => Some(container.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(removed, ["newer"], "{plan}");
    let created: Vec<u32> = plan
        .steps
        .iter()
        .filter_map(|step| match &step.op {
            Op::Create { number, .. } => Some(*number),
            _ => None,
        })
        .collect();
    assert_eq!(created, [8], "{plan}");
}

/// The old container of an interrupted recreate: renamed `<short id>_<name>`.
fn renamed_leftover(
    project: &envctl_parser::Project,
    hash: Option<&str>,
) -> envctl_planner::ObservedContainer {
    let mut leftover = container(project, "web", 1, ContainerState::Exited);
    leftover.id = "0123456789abcdef".into();
    leftover.name = "0123456789ab_demo_web_1".into();
    if let Some(hash) = hash {
        leftover.config_hash = Some(hash.into());
    }
    leftover.created = 0;
    leftover
}

// See: #9.
#[test]
fn a_renamed_leftover_gives_way_to_its_replacement_before_anything_else() {
    let project = project(&[("web", &[])]);
    let mut observed = images();
    let replacement = container(&project, "web", 1, ContainerState::Created);
    observed
        .containers
        .extend([renamed_leftover(&project, Some("old")), replacement]);
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    let [remove, start] = plan.steps.as_slice() else {
        panic!("two steps: {plan}");
    };
    assert!(
        matches!(&remove.op, Op::Remove { container, volumes: false, .. } if container.name == "0123456789ab_demo_web_1"),
        "{plan}"
    );
    assert!(
        matches!(&start.op, Op::Start { container } if container.name == "demo_web_1"),
        "{plan}"
    );
    assert_eq!(start.deps, [remove.id], "{plan}");
}

#[test]
fn a_renamed_leftover_alone_is_recreated_under_its_own_name_unless_no_recreate() {
    let project = project(&[("web", &[])]);
    let mut observed = images();
    observed.containers.push(renamed_leftover(&project, None));
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    assert_eq!(recreated(&plan), ["0123456789ab_demo_web_1"], "{plan}");
    assert!(
        matches!(&plan.steps[0].op, Op::Recreate { name, .. } if name == "demo_web_1"),
        "{plan}"
    );
    let options = UpOptions {
        strategy: envctl_planner::RecreateStrategy::Never,
        ..UpOptions::default()
    };
    let plan = plan_up(&project, &observed, &options).expect("plan");
    assert!(
        matches!(&plan.steps[..], [step] if matches!(step.op, Op::Start { .. })),
        "{plan}"
    );
}

#[test]
fn ipc_of_a_service_hashes_its_newest_running_container_id() {
    let mut project = project(&[("web", &[]), ("db", &[])]);
    project.services.get_mut("web").expect("web").ipc =
        Some(ModeRef::Service(ServiceName::new("db")));
    let web = &project.services["web"];
    let mut observed = images();
    let without = config_hash_observed(&project, web, &observed);
    let mut old = container(&project, "db", 1, ContainerState::Running);
    old.id = "aaaa".into();
    old.created = 1;
    let mut new = container(&project, "db", 2, ContainerState::Running);
    new.id = "bbbb".into();
    new.created = 2;
    let mut stopped = container(&project, "db", 3, ContainerState::Exited);
    stopped.id = "cccc".into();
    stopped.created = 3;
    observed.containers.extend([old, new, stopped]);
    let with = config_hash_observed(&project, web, &observed);
    assert_ne!(with, without);
    // Only the chosen container's id matters.
    observed
        .containers
        .retain(|container| container.id != "aaaa");
    assert_eq!(config_hash_observed(&project, web, &observed), with);
    observed
        .containers
        .retain(|container| container.id != "bbbb");
    assert_eq!(config_hash_observed(&project, web, &observed), without);
}

#[test]
fn net_of_a_container_hashes_its_id() {
    let mut project = project(&[("web", &[])]);
    project.services.get_mut("web").expect("web").network_mode =
        Some(ModeRef::Container("other".into()));
    let web = &project.services["web"];
    let mut observed: Observed = images();
    observed
        .container_ids
        .insert("other".into(), "0123abcd".into());
    let first = config_hash_observed(&project, web, &observed);
    observed
        .container_ids
        .insert("other".into(), "4567ef01".into());
    let second = config_hash_observed(&project, web, &observed);
    assert_ne!(first, second);
    assert_ne!(first, config_hash(web, Some("sha256:1")));
}
