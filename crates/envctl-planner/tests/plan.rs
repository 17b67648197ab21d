//! The planner's decisions, as snapshots of `Plan`'s one-line-per-step form.

mod common;

use common::{container, images, project};
use envctl_parser::{FileId, SecretSource, ServiceName, ServiceSecret, Span};
use envctl_planner::{
    ContainerState, DownOptions, Observed, ObservedMount, PlanError, RecreateStrategy, UpOptions,
    plan_down, plan_stop, plan_up,
};

#[test]
fn up_from_nothing_creates_dependencies_first() {
    let project = project(&[
        ("web", &["db"]),
        ("db", &["data"]),
        ("data", &[]),
        ("cache", &[]),
    ]);
    let plan = plan_up(&project, &images(), &UpOptions::default()).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 data, create `demo_data_1`, no container
    [#0] -> #1 db, create `demo_db_1`, no container
    [#1] -> #2 web, create `demo_web_1`, no container
    [] -> #3 cache, create `demo_cache_1`, no container
    ");
}

#[test]
fn up_twice_plans_nothing() {
    let project = project(&[("web", &["db"]), ("db", &[])]);
    let mut observed = images();
    observed
        .containers
        .push(container(&project, "db", 1, ContainerState::Running));
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    assert!(plan.is_noop(), "{plan}");
}

#[test]
fn a_changed_service_is_recreated_keeping_its_anonymous_volumes() {
    let project = project(&[("db", &[])]);
    let mut observed = images();
    let mut old = container(&project, "db", 1, ContainerState::Running);
    old.config_hash = Some("old".into());
    old.mounts.push(ObservedMount {
        kind: "volume".into(),
        name: Some("abc123".into()),
        destination: "/data".into(),
    });
    observed.containers.push(old);
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @"[] -> #0 db, recreate `demo_db_1` as `demo_db_1` keeping 1 volume(s), configuration changed
");
}

#[test]
fn stopped_containers_are_started_and_no_recreate_never_recreates() {
    let project = project(&[("db", &[])]);
    let mut observed = images();
    let mut old = container(&project, "db", 1, ContainerState::Exited);
    old.config_hash = Some("old".into());
    observed.containers.push(old);
    let options = UpOptions {
        strategy: RecreateStrategy::Never,
        ..UpOptions::default()
    };
    let plan = plan_up(&project, &observed, &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @"[] -> #0 db, start `demo_db_1`, stopped
");
}

#[test]
fn selection_brings_dependencies_unless_no_deps() {
    let project = project(&[("web", &["db"]), ("db", &[]), ("other", &[])]);
    let options = UpOptions {
        services: vec!["web".into()],
        ..UpOptions::default()
    };
    let plan = plan_up(&project, &images(), &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 db, create `demo_db_1`, no container
    [#0] -> #1 web, create `demo_web_1`, no container
    ");
    let options = UpOptions {
        no_deps: true,
        ..options
    };
    let plan = plan_up(&project, &images(), &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @"[] -> #0 web, create `demo_web_1`, no container
");
}

#[test]
fn scale_creates_next_numbers_and_removes_highest() {
    let project = project(&[("web", &[])]);
    let mut options = UpOptions::default();
    options.scale.insert("web".into(), 3);
    let mut observed = images();
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    let plan = plan_up(&project, &observed, &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 web, keep `demo_web_1`, up to date
    [] -> #1 web, create `demo_web_2`, scale up
    [] -> #2 web, create `demo_web_3`, scale up
    ");
    observed
        .containers
        .push(container(&project, "web", 2, ContainerState::Running));
    options.scale.insert("web".into(), 1);
    let plan = plan_up(&project, &observed, &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 web, stop `demo_web_2` (10s), scale down
    [#0] -> #1 web, remove `demo_web_2`, scale down
    [] -> #2 web, keep `demo_web_1`, up to date
    ");
}

#[test]
fn missing_images_are_refused_before_anything_is_planned() {
    let project = project(&[("web", &[])]);
    let error = plan_up(&project, &Observed::default(), &UpOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "1 image(s) not found on the engine: `envctl-test/busybox:latest` for `web`"
    );
}

#[test]
fn a_missing_secret_file_refuses_only_a_plan_that_creates_its_container() {
    let mut project = project(&[("web", &[]), ("db", &[])]);
    let web = project.services.get_mut("web").expect("web");
    web.secrets.push(ServiceSecret {
        source: "token".into(),
        target: None,
        uid: None,
        gid: None,
        mode: None,
        definition: SecretSource::File {
            path: "/srv/demo/token.txt".into(),
            present: false,
        },
        span: Span::new(FileId(0), 0, 0),
    });
    let error = plan_up(&project, &images(), &UpOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot mount 1 secret(s): `token` of service `web` reads `/srv/demo/token.txt`, which does not exist"
    );
    // Nothing of `web` created: `db` alone is fine.
    let only_db = UpOptions {
        services: vec![ServiceName::new("db")],
        ..UpOptions::default()
    };
    assert!(plan_up(&project, &images(), &only_db).is_ok());
    // A container that is kept mounts nothing anew (1.29.2 leaves it too).
    let mut observed = images();
    for service in ["web", "db"] {
        observed
            .containers
            .push(container(&project, service, 1, ContainerState::Running));
    }
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    assert!(plan.is_noop(), "{plan}");
}

#[test]
fn down_stops_dependents_first_and_removes_after_stopping() {
    let project = project(&[("web", &["db"]), ("db", &[])]);
    let mut observed = images();
    observed
        .containers
        .push(container(&project, "db", 1, ContainerState::Running));
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    let mut orphan = container(&project, "db", 1, ContainerState::Exited);
    orphan.service = "gone".into();
    orphan.name = "demo_gone_1".into();
    observed.containers.push(orphan);
    let plan = plan_down(
        &project,
        &observed,
        &DownOptions {
            remove_volumes: true,
            ..DownOptions::default()
        },
    )
    .expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 web, stop `demo_web_1` (10s), down
    [#0] -> #1 web, remove `demo_web_1` with its anonymous volumes, down
    [#0] -> #2 db, stop `demo_db_1` (10s), down
    [#2] -> #3 db, remove `demo_db_1` with its anonymous volumes, down
    ");
    assert_eq!(plan.warnings.len(), 1, "the orphan is reported");
}

#[test]
fn cycles_name_the_whole_loop() {
    let project = project(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]);
    let PlanError::Cycle { path, edges } =
        plan_up(&project, &images(), &UpOptions::default()).unwrap_err()
    else {
        panic!("expected a cycle");
    };
    let path: Vec<_> = path.iter().map(ServiceName::as_str).collect();
    assert_eq!(path, ["a", "b", "c", "a"]);
    assert_eq!(edges.len(), 3);
    assert!(
        edges.iter().all(|edge| edge.span.is_some()),
        "every edge points at its line"
    );
}

#[test]
fn a_self_link_is_a_cycle_of_one() {
    let project = project(&[("a", &["a"])]);
    let error = plan_up(&project, &images(), &UpOptions::default()).unwrap_err();
    assert_eq!(error.to_string(), "dependency cycle: `a` -> `a`");
}

#[test]
fn unknown_selected_service_suggests_a_close_name() {
    let project = project(&[("web", &[])]);
    let options = UpOptions {
        services: vec!["wbe".into()],
        ..UpOptions::default()
    };
    let PlanError::NoSuchService { help, .. } = plan_up(&project, &images(), &options).unwrap_err()
    else {
        panic!("expected no such service");
    };
    assert_eq!(help.as_deref(), Some("did you mean `web`?"));
}

#[test]
fn unrelated_services_keep_file_order() {
    let names = ["zeta", "alpha", "mid", "beta"];
    let services: Vec<(&str, &[&str])> = names.iter().map(|name| (*name, &[][..])).collect();
    let order = envctl_planner::DependencyGraph::new(&project(&services))
        .expect("graph")
        .order();
    let order: Vec<_> = order.iter().map(ServiceName::as_str).collect();
    assert_eq!(order, names);
}

#[test]
fn stop_stops_dependents_first_and_only_running_containers() {
    let project = project(&[("web", &["db"]), ("db", &[]), ("idle", &[])]);
    let mut observed = images();
    for (service, state) in [
        ("db", ContainerState::Running),
        ("web", ContainerState::Running),
        ("idle", ContainerState::Exited),
    ] {
        observed
            .containers
            .push(container(&project, service, 1, state));
    }
    let plan = plan_stop(&project, &observed, &[], Some(3)).expect("plan");
    assert_eq!(
        plan.to_string(),
        "[] -> #0 web, stop `demo_web_1` (3s), stop\n\
         [#0] -> #1 db, stop `demo_db_1` (3s), stop\n"
    );
    let only_db = plan_stop(&project, &observed, &[ServiceName::new("db")], None).expect("plan");
    assert_eq!(
        only_db.to_string(),
        "[] -> #0 db, stop `demo_db_1` (10s), stop\n"
    );
}

/// `web` links to `db`; both running and up to date, then `db`'s environment changes.
fn changed_db() -> (envctl_parser::Project, Observed) {
    let mut project = project(&[("web", &["db"]), ("db", &[])]);
    let mut observed = images();
    observed
        .containers
        .push(container(&project, "db", 1, ContainerState::Running));
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    let db = project.services.get_mut("db").expect("db");
    db.environment.insert("FOO".into(), Some("changed".into()));
    db.options
        .insert("environment".into(), serde_json::json!({"FOO": "changed"}));
    (project, observed)
}

// See: #4
#[test]
fn a_changed_environment_recreates_only_that_service() {
    let (project, observed) = changed_db();
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 db, recreate `demo_db_1` as `demo_db_1`, configuration changed
    [#0] -> #1 web, keep `demo_web_1`, up to date
    ");
}

// See: #4
#[test]
fn always_recreate_deps_recreates_the_dependents_too() {
    let (project, observed) = changed_db();
    let options = UpOptions {
        always_recreate_deps: true,
        ..UpOptions::default()
    };
    let plan = plan_up(&project, &observed, &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 db, recreate `demo_db_1` as `demo_db_1`, configuration changed
    [#0] -> #1 web, recreate `demo_web_1` as `demo_web_1`, a dependency was recreated (--always-recreate-deps)
    ");
}

// See: #4
#[test]
fn force_recreate_recreates_everything_in_order() {
    let project = project(&[("web", &["db"]), ("db", &[])]);
    let mut observed = images();
    observed
        .containers
        .push(container(&project, "db", 1, ContainerState::Running));
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    let options = UpOptions {
        strategy: RecreateStrategy::Always,
        ..UpOptions::default()
    };
    let plan = plan_up(&project, &observed, &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 db, recreate `demo_db_1` as `demo_db_1`, --force-recreate
    [#0] -> #1 web, recreate `demo_web_1` as `demo_web_1`, --force-recreate
    ");
}

// See: #4
#[test]
fn orphans_are_reported_or_removed_with_remove_orphans() {
    let project = project(&[("web", &[])]);
    let mut observed = images();
    observed
        .containers
        .push(container(&project, "web", 1, ContainerState::Running));
    let mut orphan = container(&project, "web", 1, ContainerState::Running);
    orphan.service = "old".into();
    orphan.name = "demo_old_1".into();
    orphan.id = "oldid".into();
    observed.containers.push(orphan);
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    assert!(plan.is_noop(), "{plan}");
    insta::assert_snapshot!(plan.warnings.join("\n"), @"found orphan containers (demo_old_1) for this project; if you removed or renamed this service in your compose file, you can run this command with `--remove-orphans` to clean it up");
    let options = UpOptions {
        remove_orphans: true,
        ..UpOptions::default()
    };
    let plan = plan_up(&project, &observed, &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 old, stop `demo_old_1` (10s), orphan
    [#0] -> #1 old, remove `demo_old_1` (forced), orphan
    [] -> #2 web, keep `demo_web_1`, up to date
    ");
    assert!(plan.warnings.is_empty());
    // `COMPOSE_IGNORE_ORPHANS`: left alone, and not a word about them.
    let options = UpOptions {
        ignore_orphans: true,
        ..UpOptions::default()
    };
    let plan = plan_up(&project, &observed, &options).expect("plan");
    assert!(plan.is_noop(), "{plan}");
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    let options = DownOptions {
        ignore_orphans: true,
        ..DownOptions::default()
    };
    let plan = plan_down(&project, &observed, &options).expect("plan");
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

// See: #4
#[test]
fn no_start_creates_without_starting() {
    let project = project(&[("web", &[])]);
    let options = UpOptions {
        no_start: true,
        ..UpOptions::default()
    };
    let plan = plan_up(&project, &images(), &options).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @"[] -> #0 web, create `demo_web_1` (not started), no container
");
}

// See: #4
#[test]
fn a_recreate_says_which_keys_changed_when_the_old_container_has_envctl_s_digest() {
    let mut project = project(&[("db", &[])]);
    let mut old = container(&project, "db", 1, ContainerState::Running);
    old.config_digest = Some(envctl_planner::config_digest(
        &project.services["db"],
        Some("sha256:1"),
    ));
    let db = project.services.get_mut("db").expect("db");
    db.environment.insert("FOO".into(), Some("changed".into()));
    db.options
        .insert("environment".into(), serde_json::json!({"FOO": "changed"}));
    db.options
        .insert("command".into(), serde_json::json!("sleep 1"));
    let mut observed = images();
    observed.containers.push(old);
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @"[] -> #0 db, recreate `demo_db_1` as `demo_db_1`, configuration changed: command, environment.FOO
");
}

#[test]
fn digests_hold_no_values() {
    let (project, _) = changed_db();
    let digest = envctl_planner::config_digest(&project.services["db"], Some("sha256:1"));
    assert!(!digest.contains("changed"), "{digest}");
    assert!(digest.contains("\"environment.FOO\":"), "{digest}");
}

/// A recreate interrupted after it renamed the old container (`<short id>_<name>`):
/// alone, it is recreated even though its configuration is current (the recreate is
/// finished); beside the replacement the recreate had made, it is removed and the
/// replacement kept, however old the two are. See: #9
#[test]
fn a_recreate_interrupted_after_the_rename_is_finished_by_the_next_up() {
    let project = project(&[("db", &[])]);
    let mut leftover = container(&project, "db", 1, ContainerState::Exited);
    leftover.id = "0123456789abcdef".into();
    leftover.name = "0123456789ab_demo_db_1".into();

    let mut observed = images();
    observed.containers.push(leftover.clone());
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @"[] -> #0 db, recreate `0123456789ab_demo_db_1` as `demo_db_1`, renamed by an interrupted recreate
");

    let mut replacement = container(&project, "db", 1, ContainerState::Created);
    replacement.created = leftover.created + 10;
    observed.containers.push(replacement);
    let plan = plan_up(&project, &observed, &UpOptions::default()).expect("plan");
    insta::assert_snapshot!(plan.to_string(), @r"
    [] -> #0 db, remove `0123456789ab_demo_db_1`, left by an interrupted recreate
    [#0] -> #1 db, start `demo_db_1`, stopped
    ");
}
