//! Properties of plans over random dependency graphs (issue #4).

mod common;

use std::collections::HashSet;

use common::{container, images, project_from};
use envctl_parser::{Project, ServiceName};
use envctl_planner::{
    ContainerState, DependencyGraph, DownOptions, Op, Plan, PlanError, StepId, UpOptions,
    plan_down, plan_up,
};
use proptest::prelude::*;

/// `n` services `s0..`, written in a random order, with random edges that all point
/// from a higher to a lower rank: always acyclic.
fn acyclic_project() -> impl Strategy<Value = Project> {
    (1_usize..24)
        .prop_flat_map(|n| {
            (
                Just(n),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                proptest::collection::vec((0..n, 0..n), 0..n * 2),
            )
        })
        .prop_map(|(n, file_order, edges)| {
            let mut links: Vec<Vec<String>> = vec![Vec::new(); n];
            for (from, to) in edges {
                let name = format!("s{to}");
                if from > to && !links[from].contains(&name) {
                    links[from].push(name);
                }
            }
            let services: Vec<(String, Vec<String>)> = file_order
                .into_iter()
                .map(|index| (format!("s{index}"), links[index].clone()))
                .collect();
            project_from(&services)
        })
}

fn edges(project: &Project) -> Vec<(String, String)> {
    project
        .services
        .values()
        .flat_map(|service| {
            service
                .dependencies
                .iter()
                .map(|dependency| (service.name.to_string(), dependency.target.to_string()))
        })
        .collect()
}

/// Every step id that `step` waits for, directly or not.
fn waits_for(plan: &Plan, step: StepId) -> Vec<StepId> {
    let mut seen = Vec::new();
    let mut stack = plan.steps[step.0].deps.clone();
    while let Some(next) = stack.pop() {
        if !seen.contains(&next) {
            seen.push(next);
            stack.extend(plan.steps[next.0].deps.iter().copied());
        }
    }
    seen
}

fn step_of(plan: &Plan, service: &str, matches: impl Fn(&Op) -> bool) -> Option<StepId> {
    plan.steps
        .iter()
        .find(|step| step.service.as_str() == service && matches(&step.op))
        .map(|step| step.id)
}

proptest! {
    #[test]
    fn up_runs_every_service_after_its_dependencies(project in acyclic_project()) {
        let plan = plan_up(&project, &images(), &UpOptions::default()).expect("acyclic");
        prop_assert_eq!(plan.steps.len(), project.services.len());
        for step in &plan.steps {
            prop_assert!(step.deps.iter().all(|dep| dep.0 < step.id.0), "deps come earlier");
        }
        for (from, to) in edges(&project) {
            let create = |op: &Op| matches!(op, Op::Create { .. });
            let from_step = step_of(&plan, &from, create).expect("planned");
            let to_step = step_of(&plan, &to, create).expect("planned");
            prop_assert!(waits_for(&plan, from_step).contains(&to_step), "{from} waits for {to}");
        }
    }

    #[test]
    fn a_selection_plans_exactly_its_dependency_closure(
        project in acyclic_project(),
        pick in any::<proptest::sample::Index>(),
    ) {
        let names: Vec<&ServiceName> = project.services.keys().collect();
        let selected = names[pick.index(names.len())].clone();
        let options = UpOptions { services: vec![selected.clone()], ..UpOptions::default() };
        let plan = plan_up(&project, &images(), &options).expect("acyclic");
        let mut closure = vec![selected.to_string()];
        let mut index = 0;
        while index < closure.len() {
            for (from, to) in edges(&project) {
                if from == closure[index] && !closure.contains(&to) {
                    closure.push(to);
                }
            }
            index += 1;
        }
        let mut planned: Vec<String> = plan.steps.iter().map(|step| step.service.to_string()).collect();
        planned.sort();
        closure.sort();
        prop_assert_eq!(planned, closure);
    }

    #[test]
    fn down_is_the_exact_reverse_of_up(project in acyclic_project()) {
        let mut observed = images();
        for name in project.services.keys() {
            observed.containers.push(container(&project, name.as_str(), 1, ContainerState::Running));
        }
        let plan = plan_down(&project, &observed, &DownOptions::default()).expect("acyclic");
        let stop = |op: &Op| matches!(op, Op::Stop { .. });
        for (from, to) in edges(&project) {
            let from_stop = step_of(&plan, &from, stop).expect("stopped");
            let to_stop = step_of(&plan, &to, stop).expect("stopped");
            prop_assert!(waits_for(&plan, to_stop).contains(&from_stop), "{to} stops after {from}");
        }
        let order = DependencyGraph::new(&project).expect("acyclic").order();
        let stops: Vec<&str> = plan.steps.iter().filter(|step| stop(&step.op)).map(|step| step.service.as_str()).collect();
        let reversed: Vec<&str> = order.iter().rev().map(ServiceName::as_str).collect();
        prop_assert_eq!(stops, reversed);
    }

    #[test]
    fn a_cycle_is_always_reported_as_a_real_cycle(
        project in acyclic_project(),
        back in any::<proptest::sample::Index>(),
    ) {
        // Close a loop: pick an edge a -> b, or a lone service, and add b -> a.
        let mut services: Vec<(String, Vec<String>)> = project
            .services
            .values()
            .map(|service| (service.name.to_string(), service.links.iter().map(|link| link.target.to_string()).collect()))
            .collect();
        let all_edges = edges(&project);
        let (from, to) = if all_edges.is_empty() {
            let name = services[back.index(services.len())].0.clone();
            (name.clone(), name)
        } else {
            all_edges[back.index(all_edges.len())].clone()
        };
        if let Some(entry) = services.iter_mut().find(|(name, _)| *name == to) {
            entry.1.push(from.clone());
        }
        let project = project_from(&services);
        let error = plan_up(&project, &images(), &UpOptions::default()).expect_err("cyclic");
        let PlanError::Cycle { path, edges: cycle_edges } = error else {
            panic!("expected a cycle error");
        };
        prop_assert!(path.len() >= 2);
        prop_assert_eq!(path.first(), path.last());
        let graph_edges: HashSet<(String, String)> = edges(&project).into_iter().collect();
        for pair in path.windows(2) {
            prop_assert!(graph_edges.contains(&(pair[0].to_string(), pair[1].to_string())));
        }
        prop_assert_eq!(cycle_edges.len(), path.len() - 1);
    }
}
