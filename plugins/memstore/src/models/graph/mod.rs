//! The graph interfaces (basic, traversal, query, analytics) over one directed property graph per
//! namespace. Adjacency is recomputed from the edge table on every step: plain and obviously right
//! beats fast here, and the suites' graphs have a handful of nodes.

mod gremlin;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prism_plugin::{check, Reply};
use prism_proto::graph::graph_analytics_interface_server::GraphAnalyticsInterface;
use prism_proto::graph::graph_basic_interface_server::GraphBasicInterface;
use prism_proto::graph::graph_query_interface_server::GraphQueryInterface;
use prism_proto::graph::graph_traversal_interface_server::GraphTraversalInterface;
use prism_proto::graph::*;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Deliberately broken graph behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "delete_node_keeps_edges",
        "DeleteNode removes the node but leaves its edges behind",
    ),
    (
        "traversal_revisits_nodes",
        "traversals visit a node again whenever an edge reaches it (cut off at the node count)",
    ),
    (
        "gremlin_ignores_edge_labels",
        "GremlinQuery's out(l), in(l) and both(l) follow edges of every label",
    ),
    (
        "shortest_path_off_by_one",
        "ShortestPath reports hops as the number of nodes on the path",
    ),
    (
        "graph_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their graph data",
    ),
];

/// Most visits a faulty traversal makes, so that even the broken variant answers.
const FAULTY_VISIT_CAP: usize = 10_000;

/// The service behind every graph interface.
pub(crate) fn service(faults: &Faults) -> GraphService {
    GraphService {
        graphs: Arc::new(Mutex::new(Spaces::new(
            faults,
            "graph_namespace_prefix_leak",
        ))),
        faults: faults.clone(),
    }
}

/// One namespace's graph: nodes and edges by id, in byte order of id.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub(crate) nodes: BTreeMap<String, Node>,
    pub(crate) edges: BTreeMap<String, Edge>,
}

impl Graph {
    /// The distinct neighbours of `id` in `direction`, in byte order of id.
    fn neighbours(&self, id: &str, direction: Direction) -> Vec<String> {
        let mut out = BTreeSet::new();
        for edge in self.edges.values() {
            let follows_out = direction != Direction::In && edge.from == id;
            let follows_in = direction != Direction::Out && edge.to == id;
            if follows_out {
                out.insert(edge.to.clone());
            }
            if follows_in {
                out.insert(edge.from.clone());
            }
        }
        out.into_iter().collect()
    }

    /// The edges touching `id` in `direction`, sorted by edge id (a self-loop once).
    fn edges_of(&self, id: &str, direction: Direction) -> Vec<Edge> {
        self.edges
            .values()
            .filter(|e| {
                (direction != Direction::In && e.from == id)
                    || (direction != Direction::Out && e.to == id)
            })
            .cloned()
            .collect()
    }

    fn has_node(&self, ns: &str, id: &str) -> Result<(), Status> {
        if self.nodes.contains_key(id) {
            Ok(())
        } else {
            Err(Status::not_found(format!(
                "node {id:?} not found in namespace {ns:?}"
            )))
        }
    }
}

/// Serves every graph interface from one lock-guarded map of namespaces.
#[derive(Debug, Clone)]
pub(crate) struct GraphService {
    graphs: Arc<Mutex<Spaces<Graph>>>,
    faults: Faults,
}

impl GraphService {
    fn lock(&self) -> MutexGuard<'_, Spaces<Graph>> {
        // Every operation validates before it mutates, so a poisoned lock still guards whole data.
        self.graphs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the graph of `ns`, creating it empty if needed.
    fn write<R>(&self, ns: &str, f: impl FnOnce(&mut Graph) -> R) -> R {
        f(self.lock().entry(ns.to_owned()).or_default())
    }

    /// Runs `f` on the graph of `ns` (an empty one when the namespace was never written).
    fn read<R>(&self, ns: &str, f: impl FnOnce(&Graph) -> R) -> R {
        let graphs = self.lock();
        match graphs.get(ns) {
            Some(graph) => f(graph),
            None => f(&Graph::default()),
        }
    }
}

use prism_plugin::graph::direction;

#[prism_plugin::service]
impl GraphBasicInterface for GraphService {
    async fn add_node(&self, req: AddNodeRequest) -> Reply<AddNodeResponse> {
        let AddNodeRequest { namespace, node } = req;
        let node = node.ok_or_else(|| Status::invalid_argument("node is required"))?;
        check::non_empty("node id", &node.id)?;
        self.write(&namespace, |g| {
            if g.nodes.contains_key(&node.id) {
                return Err(Status::already_exists(format!(
                    "node {:?} already exists",
                    node.id
                )));
            }
            g.nodes.insert(node.id.clone(), node);
            Ok(())
        })?;
        Ok(AddNodeResponse {})
    }

    async fn add_edge(&self, req: AddEdgeRequest) -> Reply<AddEdgeResponse> {
        let AddEdgeRequest { namespace, edge } = req;
        let edge = edge.ok_or_else(|| Status::invalid_argument("edge is required"))?;
        check::non_empty("edge id", &edge.id)?;
        check::non_empty("edge from", &edge.from)?;
        check::non_empty("edge to", &edge.to)?;
        self.write(&namespace, |g| {
            if g.edges.contains_key(&edge.id) {
                return Err(Status::already_exists(format!(
                    "edge {:?} already exists",
                    edge.id
                )));
            }
            for end in [&edge.from, &edge.to] {
                if !g.nodes.contains_key(end) {
                    return Err(Status::failed_precondition(format!(
                        "edge {:?}: endpoint node {end:?} does not exist",
                        edge.id
                    )));
                }
            }
            g.edges.insert(edge.id.clone(), edge);
            Ok(())
        })?;
        Ok(AddEdgeResponse {})
    }

    async fn get_node(&self, req: GetNodeRequest) -> Reply<GetNodeResponse> {
        check::non_empty("node id", &req.id)?;
        let node = self.read(&req.namespace, |g| g.nodes.get(&req.id).cloned());
        let node = node.ok_or_else(|| Status::not_found(format!("node {:?} not found", req.id)))?;
        Ok(GetNodeResponse { node: Some(node) })
    }

    async fn get_edge(&self, req: GetEdgeRequest) -> Reply<GetEdgeResponse> {
        check::non_empty("edge id", &req.id)?;
        let edge = self.read(&req.namespace, |g| g.edges.get(&req.id).cloned());
        let edge = edge.ok_or_else(|| Status::not_found(format!("edge {:?} not found", req.id)))?;
        Ok(GetEdgeResponse { edge: Some(edge) })
    }

    async fn get_edges(&self, req: GetEdgesRequest) -> Reply<GetEdgesResponse> {
        check::non_empty("node id", &req.node_id)?;
        let direction = direction(req.direction)?;
        let edges = self.read(&req.namespace, |g| {
            g.has_node(&req.namespace, &req.node_id)?;
            Ok::<_, Status>(g.edges_of(&req.node_id, direction))
        })?;
        Ok(GetEdgesResponse { edges })
    }

    async fn delete_node(&self, req: DeleteNodeRequest) -> Reply<DeleteNodeResponse> {
        check::non_empty("node id", &req.id)?;
        let keep_edges = self.faults.has("delete_node_keeps_edges");
        let (found, edges_removed) = self.write(&req.namespace, |g| {
            if g.nodes.remove(&req.id).is_none() {
                return (false, 0);
            }
            let before = g.edges.len();
            if !keep_edges {
                g.edges.retain(|_, e| e.from != req.id && e.to != req.id);
            }
            (true, before - g.edges.len())
        });
        // An edge count beyond u32 cannot arrive through messages of bounded size.
        let edges_removed = u32::try_from(edges_removed).unwrap_or(u32::MAX);
        Ok(DeleteNodeResponse {
            found,
            edges_removed,
        })
    }

    async fn delete_edge(&self, req: DeleteEdgeRequest) -> Reply<DeleteEdgeResponse> {
        check::non_empty("edge id", &req.id)?;
        let found = self.write(&req.namespace, |g| g.edges.remove(&req.id).is_some());
        Ok(DeleteEdgeResponse { found })
    }
}

/// How a traversal walks: the graph, its direction and limits.
struct Walk<'g> {
    graph: &'g Graph,
    direction: Direction,
    /// 0 = no limit.
    max_depth: u32,
    /// The `traversal_revisits_nodes` fault: no visited set, cut off at the node count instead.
    revisit: bool,
}

impl Walk<'_> {
    /// Whether the walk may step from a node at `depth` to its neighbours.
    fn may_descend(&self, depth: u32) -> bool {
        let within_limit = self.max_depth == 0 || depth < self.max_depth;
        let within_cut = !self.revisit || (depth as usize) < self.graph.nodes.len();
        within_limit && within_cut
    }

    fn breadth_first(&self, start: &str) -> Vec<Visit> {
        let mut visits = Vec::new();
        let mut seen = BTreeSet::from([start.to_owned()]);
        let mut queue = VecDeque::from([(start.to_owned(), 0u32)]);
        while let Some((id, depth)) = queue.pop_front() {
            if self.revisit && visits.len() >= FAULTY_VISIT_CAP {
                break;
            }
            if self.may_descend(depth) {
                for next in self.graph.neighbours(&id, self.direction) {
                    if self.revisit || seen.insert(next.clone()) {
                        queue.push_back((next, depth + 1));
                    }
                }
            }
            visits.push(Visit { node_id: id, depth });
        }
        visits
    }

    /// Preorder, iteratively: a node is marked when popped, which visits exactly what the recursive
    /// preorder visits, at the same depths, without recursion on long chains.
    fn depth_first(&self, start: &str) -> Vec<Visit> {
        let mut visits = Vec::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![(start.to_owned(), 0u32)];
        while let Some((id, depth)) = stack.pop() {
            if self.revisit && visits.len() >= FAULTY_VISIT_CAP {
                break;
            }
            if !self.revisit && !seen.insert(id.clone()) {
                continue;
            }
            if self.may_descend(depth) {
                // Reversed, so that the smallest id is popped first.
                for next in self.graph.neighbours(&id, self.direction).into_iter().rev() {
                    if self.revisit || !seen.contains(&next) {
                        stack.push((next, depth + 1));
                    }
                }
            }
            visits.push(Visit { node_id: id, depth });
        }
        visits
    }
}

impl GraphService {
    fn traverse(&self, req: TraverseRequest, depth_first: bool) -> Reply<TraverseResponse> {
        check::non_empty("start", &req.start)?;
        let direction = direction(req.direction)?;
        let revisit = self.faults.has("traversal_revisits_nodes");
        let visits = self.read(&req.namespace, |graph| {
            graph.has_node(&req.namespace, &req.start)?;
            let walk = Walk {
                graph,
                direction,
                max_depth: req.max_depth,
                revisit,
            };
            Ok::<_, Status>(if depth_first {
                walk.depth_first(&req.start)
            } else {
                walk.breadth_first(&req.start)
            })
        })?;
        Ok(TraverseResponse { visits })
    }
}

#[prism_plugin::service]
impl GraphTraversalInterface for GraphService {
    async fn traverse_depth_first(&self, req: TraverseRequest) -> Reply<TraverseResponse> {
        self.traverse(req, true)
    }

    async fn traverse_breadth_first(&self, req: TraverseRequest) -> Reply<TraverseResponse> {
        self.traverse(req, false)
    }
}

#[prism_plugin::service]
impl GraphQueryInterface for GraphService {
    async fn get_query_languages(
        &self,
        _: GetQueryLanguagesRequest,
    ) -> Reply<GetQueryLanguagesResponse> {
        Ok(GetQueryLanguagesResponse {
            languages: vec!["gremlin".to_owned()],
        })
    }

    async fn gremlin_query(&self, req: GraphQueryRequest) -> Reply<GraphQueryResponse> {
        let query = gremlin::parse(&req.query)?;
        let any_label = self.faults.has("gremlin_ignores_edge_labels");
        let results = self.read(&req.namespace, |g| query.run(g, any_label));
        Ok(GraphQueryResponse { results })
    }

    async fn cypher_query(&self, _: GraphQueryRequest) -> Reply<GraphQueryResponse> {
        Err(Status::unimplemented(
            "memstore answers only the Gremlin subset",
        ))
    }

    async fn sparql_query(&self, _: GraphQueryRequest) -> Reply<GraphQueryResponse> {
        Err(Status::unimplemented(
            "memstore answers only the Gremlin subset",
        ))
    }
}

/// The unweighted directed shortest path with the smallest id sequence, or None.
fn shortest_path(graph: &Graph, from: &str, to: &str) -> Option<Vec<String>> {
    // Breadth first with neighbours in id order: the first parent to reach a node starts the
    // smallest shortest path to it.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    let mut seen = BTreeSet::from([from.to_owned()]);
    let mut queue = VecDeque::from([from.to_owned()]);
    while let Some(id) = queue.pop_front() {
        if id == to {
            let mut path = vec![id];
            while let Some(p) = path.last().and_then(|last| parent.get(last)) {
                path.push(p.clone());
            }
            path.reverse();
            return Some(path);
        }
        for next in graph.neighbours(&id, Direction::Out) {
            if seen.insert(next.clone()) {
                parent.insert(next.clone(), id.clone());
                queue.push_back(next);
            }
        }
    }
    None
}

/// The graph's node ids and edges, for [`prism_plugin::graph`]'s algorithms.
fn ids_and_links(graph: &Graph) -> (Vec<&str>, Vec<(&str, &str)>) {
    let nodes = graph.nodes.keys().map(String::as_str).collect();
    let edges = graph
        .edges
        .values()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    (nodes, edges)
}

fn page_rank(graph: &Graph, damping: f64, iterations: u32) -> Vec<NodeRank> {
    let (nodes, edges) = ids_and_links(graph);
    prism_plugin::graph::page_rank(&nodes, &edges, damping, iterations)
}

fn components(graph: &Graph) -> Vec<Component> {
    let (nodes, edges) = ids_and_links(graph);
    prism_plugin::graph::components(&nodes, &edges)
}

#[prism_plugin::service]
impl GraphAnalyticsInterface for GraphService {
    async fn shortest_path(&self, req: ShortestPathRequest) -> Reply<ShortestPathResponse> {
        check::non_empty("from", &req.from)?;
        check::non_empty("to", &req.to)?;
        let path = self.read(&req.namespace, |g| {
            g.has_node(&req.namespace, &req.from)?;
            g.has_node(&req.namespace, &req.to)?;
            Ok::<_, Status>(shortest_path(g, &req.from, &req.to))
        })?;
        let Some(path) = path else {
            return Ok(ShortestPathResponse::default());
        };
        let nodes = u32::try_from(path.len()).unwrap_or(u32::MAX);
        let hops = if self.faults.has("shortest_path_off_by_one") {
            nodes
        } else {
            nodes - 1
        };
        Ok(ShortestPathResponse {
            found: true,
            path,
            hops,
        })
    }

    async fn page_rank(&self, req: PageRankRequest) -> Reply<PageRankResponse> {
        let (damping, iterations) =
            prism_plugin::graph::page_rank_params(req.damping, req.iterations)?;
        let ranks = self.read(&req.namespace, |g| page_rank(g, damping, iterations));
        Ok(PageRankResponse { ranks })
    }

    async fn connected_components(
        &self,
        req: ConnectedComponentsRequest,
    ) -> Reply<ConnectedComponentsResponse> {
        let components = self.read(&req.namespace, components);
        Ok(ConnectedComponentsResponse { components })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(nodes: &[&str], edges: &[(&str, &str)]) -> Graph {
        let mut g = Graph::default();
        for id in nodes {
            g.nodes.insert(
                (*id).to_owned(),
                Node {
                    id: (*id).to_owned(),
                    ..Default::default()
                },
            );
        }
        for (i, (from, to)) in edges.iter().enumerate() {
            let id = format!("e{i:02}");
            g.edges.insert(
                id.clone(),
                Edge {
                    id,
                    from: (*from).to_owned(),
                    to: (*to).to_owned(),
                    ..Default::default()
                },
            );
        }
        g
    }

    fn ids(visits: &[Visit]) -> Vec<(&str, u32)> {
        visits
            .iter()
            .map(|v| (v.node_id.as_str(), v.depth))
            .collect()
    }

    #[test]
    fn depth_first_matches_recursive_preorder_on_a_cycle() {
        let g = graph(
            &["a", "b", "c", "d"],
            &[("a", "c"), ("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")],
        );
        let walk = Walk {
            graph: &g,
            direction: Direction::Out,
            max_depth: 0,
            revisit: false,
        };
        assert_eq!(
            ids(&walk.depth_first("a")),
            [("a", 0), ("b", 1), ("c", 2), ("d", 3)]
        );
        assert_eq!(
            ids(&walk.breadth_first("a")),
            [("a", 0), ("b", 1), ("c", 1), ("d", 2)]
        );
    }

    #[test]
    fn shortest_path_prefers_smallest_ids_among_equals() {
        let g = graph(
            &["s", "x", "y", "t"],
            &[("s", "y"), ("s", "x"), ("y", "t"), ("x", "t")],
        );
        assert_eq!(
            shortest_path(&g, "s", "t"),
            Some(vec!["s".into(), "x".into(), "t".into()])
        );
        assert_eq!(shortest_path(&g, "t", "s"), None);
    }

    #[test]
    fn page_rank_of_two_nodes_with_a_dangling_one() {
        let g = graph(&["a", "b"], &[("a", "b")]);
        let ranks = page_rank(&g, 0.85, 100);
        // Fixed point: a = 0.075 + 0.425 b, a + b = 1.
        assert!((ranks[0].rank - 0.5 / 1.425).abs() < 1e-9, "{ranks:?}");
        assert!((ranks[0].rank + ranks[1].rank - 1.0).abs() < 1e-9);
    }

    #[test]
    fn components_ignore_direction() {
        let g = graph(&["a", "b", "c", "d"], &[("b", "a"), ("d", "d")]);
        let got: Vec<Vec<String>> = components(&g).into_iter().map(|c| c.node_ids).collect();
        assert_eq!(
            got,
            [
                vec!["a".to_owned(), "b".to_owned()],
                vec!["c".to_owned()],
                vec!["d".to_owned()]
            ]
        );
    }
}
