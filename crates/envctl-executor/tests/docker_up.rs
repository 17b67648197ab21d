//! `up` and `down` through the library, against a real engine.

#![cfg(feature = "docker-tests")]

mod support;

use envctl_executor::{Action, Event, Outcome, RunOptions, observe, project_containers, run};
use envctl_parser::{
    Command, Dependency, DependencyKind, FileId, Link, Project, ServiceName, Span, Volume,
    VolumesFrom, VolumesFromSource,
};
use envctl_planner::{ContainerState, DownOptions, UpOptions, plan_down, plan_up};
use support::{ProjectGuard, engine, project, recorder, service, unique_project};
use tokio_util::sync::CancellationToken;

/// `db` (anonymous volume `/data`) ← `web` (links `db`, `volumes_from` `db`) and a lone `other`.
fn demo(name: &str) -> Project {
    let mut db = service("db");
    db.volumes.push(Volume {
        source: None,
        target: "/data".to_owned(),
        mode: None,
    });
    db.environment
        .insert("DB_SECRET".to_owned(), Some("s3cret".to_owned()));
    let mut web = service("web");
    web.links.push(Link {
        target: ServiceName::new("db"),
        alias: None,
    });
    web.volumes_from.push(VolumesFrom {
        source: VolumesFromSource::Service(ServiceName::new("db")),
        mode: "ro".to_owned(),
    });
    // What the parser derives from `links` and `volumes_from`.
    for kind in [DependencyKind::Link, DependencyKind::VolumesFrom] {
        web.dependencies.push(Dependency {
            target: ServiceName::new("db"),
            kind,
            span: Span::new(FileId(0), 0, 0),
        });
    }
    web.command = Some(Command::Shell(
        "sh -c 'trap \"exit 0\" TERM; sleep 1000 & wait'".to_owned(),
    ));
    project(name, vec![web, db, service("other")])
}

async fn up(
    project: &Project,
    options: &UpOptions,
) -> (Result<(), envctl_executor::RunError>, Vec<Event>) {
    let engine = engine().await;
    let observed = observe(&engine, project).await.expect("observe");
    let plan = plan_up(project, &observed, options).expect("plan");
    let (progress, events) = recorder();
    let result = run(
        &engine,
        project,
        &observed,
        &plan,
        &RunOptions::default(),
        progress,
        CancellationToken::new(),
    )
    .await;
    let events = events.lock().expect("events").clone();
    (result, events)
}

async fn down(project: &Project, remove_volumes: bool) {
    let engine = engine().await;
    let observed = observe(&engine, project).await.expect("observe");
    let options = DownOptions {
        remove_volumes,
        ..DownOptions::default()
    };
    let plan = plan_down(project, &observed, &options).expect("plan");
    let (progress, _) = recorder();
    run(
        &engine,
        project,
        &observed,
        &plan,
        &RunOptions::default(),
        progress,
        CancellationToken::new(),
    )
    .await
    .expect("down runs");
}

fn ids(containers: &[envctl_executor::ContainerDetails]) -> Vec<(String, String)> {
    containers
        .iter()
        .map(|container| (container.name.clone(), container.id.clone()))
        .collect()
}

#[tokio::test]
async fn up_creates_labelled_linked_containers_and_is_idempotent() {
    let name = unique_project("up");
    let guard = ProjectGuard::new(&name);
    let project = demo(&name);

    let (result, events) = up(&project, &UpOptions::default()).await;
    result.expect("up succeeds");
    guard.remember_volumes();

    let engine = engine().await;
    let containers = project_containers(&engine, &name).await.expect("list");
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("{name}_db_1"),
            format!("{name}_other_1"),
            format!("{name}_web_1")
        ]
    );
    for container in &containers {
        assert_eq!(
            container.state,
            ContainerState::Running,
            "{}",
            container.name
        );
        let labels = &container.labels;
        assert_eq!(labels["com.docker.compose.project"], name);
        assert_eq!(labels["com.docker.compose.oneoff"], "False");
        assert_eq!(labels["com.docker.compose.container-number"], "1");
        assert_eq!(labels["com.docker.compose.version"], "1.29.2");
        assert_eq!(labels["com.docker.compose.config-hash"].len(), 64);
        assert_eq!(labels["com.docker.compose.project.working_dir"], "/tmp");
        assert_eq!(
            labels["com.docker.compose.project.config_files"],
            "/tmp/docker-compose.yml"
        );
    }
    let db = &containers[0];
    let web = &containers[2];
    assert_eq!(web.labels["com.docker.compose.service"], "web");
    let mut links = web.links.clone();
    links.sort();
    assert_eq!(
        links,
        [
            format!("/{name}_db_1:/{name}_web_1/db"),
            format!("/{name}_db_1:/{name}_web_1/db_1"),
            format!("/{name}_db_1:/{name}_web_1/{name}_db_1"),
        ]
    );
    assert_eq!(web.volumes_from, [format!("{}:ro", db.id)]);
    assert_eq!(
        web.command,
        ["sh", "-c", "trap \"exit 0\" TERM; sleep 1000 & wait"]
    );
    assert!(db.env.contains(&"DB_SECRET=s3cret".to_owned()));
    assert!(
        db.mounts
            .iter()
            .any(|mount| mount.destination == "/data" && mount.name.is_some())
    );

    // db is created before web starts being created.
    let position = |container: &str, outcome: &Outcome| {
        events.iter().position(|event| {
            matches!(event, Event::Step { container: c, action: Action::Creating, outcome: o, .. } if c == container && o == outcome)
        })
    };
    let db_done = position(&format!("{name}_db_1"), &Outcome::Done).expect("db created");
    let web_started = position(&format!("{name}_web_1"), &Outcome::Started).expect("web created");
    assert!(db_done < web_started, "{events:#?}");

    // Again: nothing changes.
    let (result, events) = up(&project, &UpOptions::default()).await;
    result.expect("second up succeeds");
    assert!(
        events.iter().all(|event| matches!(
            event,
            Event::Step {
                action: Action::UpToDate,
                ..
            }
        )),
        "{events:#?}"
    );
    let again = project_containers(&engine, &name).await.expect("list");
    assert_eq!(ids(&again), ids(&containers));

    // down keeps the anonymous volume; down -v would have removed it.
    let volume = db
        .mounts
        .iter()
        .find_map(|mount| mount.name.clone())
        .expect("db has a volume");
    down(&project, false).await;
    assert!(
        project_containers(&engine, &name)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(support::volume_exists(&volume));
}

#[tokio::test]
async fn changed_config_recreates_and_keeps_the_anonymous_volume() {
    let name = unique_project("recreate");
    let guard = ProjectGuard::new(&name);
    let mut project = demo(&name);
    up(&project, &UpOptions::default()).await.0.expect("up");
    guard.remember_volumes();
    let engine = engine().await;
    let before = project_containers(&engine, &name).await.expect("list");
    let old_db = before
        .iter()
        .find(|c| c.name.ends_with("_db_1"))
        .expect("db");
    let old_volume = old_db
        .mounts
        .iter()
        .find_map(|m| m.name.clone())
        .expect("volume");

    let db = project.services.get_mut("db").expect("db");
    db.environment
        .insert("DB_SECRET".to_owned(), Some("changed".to_owned()));
    // The hash is computed from the 1.29.2 options, which the parser fills in.
    db.options.insert(
        "environment".to_owned(),
        serde_json::json!({"DB_SECRET": "changed"}),
    );
    let (result, events) = up(&project, &UpOptions::default()).await;
    result.expect("recreate succeeds");
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Step {
            action: Action::Recreating,
            outcome: Outcome::Done,
            ..
        }
    )));

    let after = project_containers(&engine, &name).await.expect("list");
    assert_eq!(
        after.len(),
        3,
        "the old container is removed: {:?}",
        ids(&after)
    );
    let new_db = after
        .iter()
        .find(|c| c.name == format!("{name}_db_1"))
        .expect("db");
    assert_ne!(new_db.id, old_db.id);
    assert!(new_db.env.contains(&"DB_SECRET=changed".to_owned()));
    assert!(
        new_db
            .env
            .contains(&format!("affinity:container=={}", old_db.id))
    );
    let new_volume = new_db
        .mounts
        .iter()
        .find_map(|m| m.name.clone())
        .expect("volume");
    assert_eq!(new_volume, old_volume);

    down(&project, true).await;
    assert!(
        project_containers(&engine, &name)
            .await
            .expect("list")
            .is_empty()
    );
    // As with docker-compose 1.29.2 (checked on this engine): once carried over, the
    // volume is mounted by name, so `rm -v` no longer counts it as anonymous and
    // `down -v` leaves it (the guard removes it).
    assert!(support::volume_exists(&old_volume));
}

#[tokio::test]
async fn a_failed_step_skips_its_dependents_and_the_rest_carries_on() {
    let name = unique_project("failure");
    let _guard = ProjectGuard::new(&name);
    let mut project = demo(&name);
    project.services.get_mut("db").expect("db").command =
        Some(Command::Exec(vec!["/no/such/binary".to_owned()]));
    let (result, events) = up(&project, &UpOptions::default()).await;
    let error = result.expect_err("db cannot start");
    assert_eq!(error.errors.len(), 1, "{error:?}");
    assert_eq!(error.skipped, 1);
    assert!(
        error.errors[0].to_string().contains("`db`"),
        "{}",
        error.errors[0]
    );
    assert!(events.iter().any(|event| matches!(event, Event::Step { service, outcome: Outcome::Skipped, .. } if service == "web")));

    let engine = engine().await;
    let containers = project_containers(&engine, &name).await.expect("list");
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [format!("{name}_db_1"), format!("{name}_other_1")]);
    assert_eq!(containers[1].state, ContainerState::Running);
}

#[tokio::test]
async fn an_unreachable_engine_is_a_connect_error() {
    let address = envctl_executor::EngineAddress::parse("unix:///nonexistent/docker.sock")
        .expect("address parses");
    let error = envctl_executor::Engine::connect(&address)
        .await
        .expect_err("nothing listens there");
    assert!(error.is_engine_failure());
    assert_eq!(
        error.to_string(),
        "Couldn't connect to Docker daemon at `unix:///nonexistent/docker.sock` - is it running?"
    );
}
