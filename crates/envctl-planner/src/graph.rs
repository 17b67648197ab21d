//! The dependency DAG between services.
//!
//! Nodes are services in file order; an edge `a -> b` means `a` needs `b` (a link,
//! `volumes_from`, `net`/`pid`/`ipc` of `b`, or `depends_on`). Every order this module
//! returns puts dependencies first and breaks ties by file order, so the same files
//! always give the same order (1.29.2 breaks them by Python's hash order).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use envctl_parser::{DependencyKind, Project, ServiceName, Span};
use indexmap::IndexSet;
pub(crate) use petgraph::Direction;
use petgraph::graph::DiGraph;
pub(crate) use petgraph::graph::NodeIndex;

use crate::error::{CycleEdge, PlanError};

#[derive(Debug, Clone)]
pub struct DependencyGraph {
    pub(crate) graph: DiGraph<ServiceName, (DependencyKind, Span)>,
    /// Service name to node; nodes are numbered in file order. `foldhash`, not
    /// the standard `SipHash`: the keys come from the user's own file (no flooding
    /// to defend against), and this is the planner's hottest map.
    index: HashMap<ServiceName, NodeIndex, foldhash::fast::FixedState>,
}

impl DependencyGraph {
    /// Builds the graph of `project` and refuses cycles, naming the whole loop.
    pub fn new(project: &Project) -> Result<Self, PlanError> {
        let edge_count = project
            .services
            .values()
            .map(|service| service.dependencies.len())
            .sum();
        let mut graph = DiGraph::with_capacity(project.services.len(), edge_count);
        let mut index = HashMap::with_capacity_and_hasher(
            project.services.len(),
            foldhash::fast::FixedState::default(),
        );
        for name in project.services.keys() {
            index.insert(name.clone(), graph.add_node(name.clone()));
        }
        for (source, service) in project.services.values().enumerate() {
            for dependency in &service.dependencies {
                let Some(&target) = index.get(dependency.target.as_str()) else {
                    return Err(PlanError::NoSuchService {
                        name: dependency.target.to_string(),
                        help: Some(format!(
                            "`{}` refers to it through `{}`",
                            service.name,
                            dependency.kind.key()
                        )),
                    });
                };
                graph.add_edge(
                    NodeIndex::new(source),
                    target,
                    (dependency.kind, dependency.span),
                );
            }
        }
        let this = Self { graph, index };
        if let Some(cycle) = this.find_cycle() {
            return Err(this.cycle_error(project, &cycle));
        }
        Ok(this)
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    fn index_of(&self, name: &str) -> Option<NodeIndex> {
        self.index.get(name).copied()
    }

    /// All services, dependencies before dependents, ties in file order.
    pub fn order(&self) -> Vec<ServiceName> {
        self.names(self.sorted(self.graph.node_indices()))
    }

    /// [`order`](Self::order) as node indices (a node's index is its service's index
    /// in `Project::services`).
    pub(crate) fn order_indices(&self) -> Vec<NodeIndex> {
        self.sorted(self.graph.node_indices())
    }

    fn names(&self, nodes: Vec<NodeIndex>) -> Vec<ServiceName> {
        nodes
            .into_iter()
            .map(|node| self.graph[node].clone())
            .collect()
    }

    /// `names` and everything they need, transitively; unknown names are an error.
    pub fn with_dependencies(&self, names: &[ServiceName]) -> Result<Vec<ServiceName>, PlanError> {
        self.with_dependencies_indices(names)
            .map(|nodes| self.names(nodes))
    }

    /// [`with_dependencies`](Self::with_dependencies) as node indices.
    pub(crate) fn with_dependencies_indices(
        &self,
        names: &[ServiceName],
    ) -> Result<Vec<NodeIndex>, PlanError> {
        let mut seen = IndexSet::new();
        let mut stack = Vec::new();
        for name in names {
            stack.push(self.require(name)?);
        }
        while let Some(index) = stack.pop() {
            if seen.insert(index) {
                stack.extend(self.graph.neighbors_directed(index, Direction::Outgoing));
            }
        }
        Ok(self.sorted(seen.into_iter()))
    }

    /// `names` only, in dependency order; unknown names are an error.
    pub fn only(&self, names: &[ServiceName]) -> Result<Vec<ServiceName>, PlanError> {
        self.only_indices(names).map(|nodes| self.names(nodes))
    }

    /// [`only`](Self::only) as node indices.
    pub(crate) fn only_indices(&self, names: &[ServiceName]) -> Result<Vec<NodeIndex>, PlanError> {
        let indices = names
            .iter()
            .map(|name| self.require(name))
            .collect::<Result<IndexSet<_>, _>>()?;
        Ok(self.sorted(indices.into_iter()))
    }

    /// The services `name` needs directly, in file order.
    pub fn dependencies_of(&self, name: &str) -> Vec<ServiceName> {
        self.neighbours(name, Direction::Outgoing)
    }

    /// The services that need `name` directly, in file order.
    pub fn dependents_of(&self, name: &str) -> Vec<ServiceName> {
        self.neighbours(name, Direction::Incoming)
    }

    fn neighbours(&self, name: &str, direction: Direction) -> Vec<ServiceName> {
        let Some(index) = self.index_of(name) else {
            return Vec::new();
        };
        let mut indices = Vec::new();
        self.neighbour_indices(index, direction, &mut indices);
        self.names(indices)
    }

    /// The nodes `node` needs directly (`Outgoing`) or that need it (`Incoming`), in
    /// file order, without repeats, into `out` (cleared first).
    pub(crate) fn neighbour_indices(
        &self,
        node: NodeIndex,
        direction: Direction,
        out: &mut Vec<NodeIndex>,
    ) {
        out.clear();
        out.extend(self.graph.neighbors_directed(node, direction));
        out.sort_unstable();
        out.dedup();
    }

    fn require(&self, name: &ServiceName) -> Result<NodeIndex, PlanError> {
        self.index_of(name.as_str())
            .ok_or_else(|| PlanError::NoSuchService {
                name: name.to_string(),
                help: self
                    .closest(name.as_str())
                    .map(|close| format!("did you mean `{close}`?")),
            })
    }

    fn closest(&self, name: &str) -> Option<&ServiceName> {
        self.graph
            .node_weights()
            .map(|candidate| (edit_distance(name, candidate.as_str()), candidate))
            .filter(|(distance, _)| *distance <= 2)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, candidate)| candidate)
    }

    /// Kahn's algorithm on the sub-graph of `nodes`, smallest file index first.
    fn sorted(&self, nodes: impl Iterator<Item = NodeIndex>) -> Vec<NodeIndex> {
        let count = self.graph.node_count();
        let mut member = vec![false; count];
        let mut members = Vec::new();
        for node in nodes {
            if !std::mem::replace(&mut member[node.index()], true) {
                members.push(node);
            }
        }
        let mut waiting_on: Vec<usize> = vec![0; count];
        let mut ready = BinaryHeap::new();
        let mut neighbours = Vec::new();
        for &node in &members {
            self.neighbour_indices(node, Direction::Outgoing, &mut neighbours);
            neighbours.retain(|target| member[target.index()]);
            waiting_on[node.index()] = neighbours.len();
            if neighbours.is_empty() {
                ready.push(Reverse(node));
            }
        }
        let mut order = Vec::with_capacity(members.len());
        while let Some(Reverse(node)) = ready.pop() {
            order.push(node);
            self.neighbour_indices(node, Direction::Incoming, &mut neighbours);
            for &dependent in &neighbours {
                if !member[dependent.index()] {
                    continue;
                }
                waiting_on[dependent.index()] -= 1;
                if waiting_on[dependent.index()] == 0 {
                    ready.push(Reverse(dependent));
                }
            }
        }
        order
    }

    /// The first cycle met walking services in file order, as a closed path of nodes.
    fn find_cycle(&self) -> Option<Vec<NodeIndex>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut marks = vec![Mark::New; self.graph.node_count()];
        for start in self.graph.node_indices() {
            if marks[start.index()] != Mark::New {
                continue;
            }
            // Iterative depth-first search; `path` is the current chain of nodes.
            let mut path = vec![start];
            let mut pending = vec![self.sorted_targets(start)];
            marks[start.index()] = Mark::OnPath;
            while let Some(targets) = pending.last_mut() {
                if let Some(next) = targets.pop() {
                    match marks[next.index()] {
                        Mark::OnPath => {
                            let from = path.iter().position(|&node| node == next)?;
                            let mut cycle = path[from..].to_vec();
                            cycle.push(next);
                            return Some(cycle);
                        }
                        Mark::New => {
                            marks[next.index()] = Mark::OnPath;
                            path.push(next);
                            pending.push(self.sorted_targets(next));
                        }
                        Mark::Done => {}
                    }
                } else {
                    pending.pop();
                    if let Some(done) = path.pop() {
                        marks[done.index()] = Mark::Done;
                    }
                }
            }
        }
        None
    }

    /// Outgoing targets, reversed so that popping visits them in file order.
    fn sorted_targets(&self, node: NodeIndex) -> Vec<NodeIndex> {
        let mut targets: Vec<_> = self
            .graph
            .neighbors_directed(node, Direction::Outgoing)
            .collect();
        targets.sort_unstable_by(|a, b| b.cmp(a));
        targets
    }

    fn cycle_error(&self, project: &Project, cycle: &[NodeIndex]) -> PlanError {
        let path = cycle.iter().map(|&node| self.graph[node].clone()).collect();
        let edges = cycle
            .windows(2)
            .take(crate::error::MAX_CYCLE_SHOWN)
            .filter_map(|pair| {
                let edge = self.graph.find_edge(pair[0], pair[1])?;
                let (kind, span) = self.graph[edge];
                Some(CycleEdge::new(
                    project,
                    self.graph[pair[0]].clone(),
                    self.graph[pair[1]].clone(),
                    kind,
                    span,
                ))
            })
            .collect();
        PlanError::Cycle { path, edges }
    }
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, &b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
