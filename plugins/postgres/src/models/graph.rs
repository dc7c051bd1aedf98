//! The graph interfaces over `prism.graph_nodes` and `prism.graph_edges` (a foreign key from each
//! endpoint to its node, so an edge to a missing node cannot exist, whoever writes).
//!
//! - Traversals are recursive CTEs that carry their visited set, so every node is visited once
//!   and cycles and self-loops end the walk:
//!   - breadth first keeps one row per level, the frontier in visiting order; the next level is
//!     the unvisited neighbours ordered by the position of the first frontier node reaching them,
//!     then by id (`COLLATE "C"`), which is exactly a queue-driven BFS;
//!   - depth first is a stack machine, one row per step: pop, skip if visited, else visit and push
//!     the unvisited neighbours largest id first, so the smallest is walked next (preorder).
//! - ShortestPath is the breadth-first CTE from `from`, stopping at the level that reaches `to`,
//!   with each node's parent (the first frontier node reaching it), which yields the shortest path
//!   with the smallest id sequence.
//! - PageRank and ConnectedComponents read the namespace's graph in one REPEATABLE READ snapshot
//!   and iterate in the plugin.

use std::collections::HashMap;

use prism_proto::graph::graph_analytics_interface_server::{
    GraphAnalyticsInterface, GraphAnalyticsInterfaceServer,
};
use prism_proto::graph::graph_basic_interface_server::{
    GraphBasicInterface, GraphBasicInterfaceServer,
};
use prism_proto::graph::graph_traversal_interface_server::{
    GraphTraversalInterface, GraphTraversalInterfaceServer,
};
use prism_proto::graph::*;
use serde_json::Value;
use tokio_postgres::{IsolationLevel, Row};
use tonic::Status;

use super::common::{non_empty, Reply};
use super::jsonb;
use crate::error::{is_foreign_key_violation, is_unique_violation, status, OrStatus};
use crate::Backend;
use prism_plugin::Services;

/// Adds the graph services to `router`.
pub fn add_services(services: Services, backend: &Backend) -> Services {
    let svc = GraphService {
        backend: backend.clone(),
    };
    services
        .add(GraphBasicInterfaceServer::new(svc.clone()))
        .add(GraphTraversalInterfaceServer::new(svc.clone()))
        .add(GraphAnalyticsInterfaceServer::new(svc))
}

/// Serves the graph interfaces.
#[derive(Clone)]
pub struct GraphService {
    backend: Backend,
}

use prism_plugin::graph::direction;

/// The distinct neighbours (`nb`) of the node in column `node`, following `direction`, in
/// namespace `$1`.
fn neighbours(direction: Direction, node: &str) -> String {
    let out = format!(
        "SELECT e.target AS nb FROM prism.graph_edges e WHERE e.namespace = $1 AND e.source = {node}"
    );
    let inward = format!(
        "SELECT e.source AS nb FROM prism.graph_edges e WHERE e.namespace = $1 AND e.target = {node}"
    );
    match direction {
        Direction::Out => format!("SELECT DISTINCT nb FROM ({out}) o"),
        Direction::In => format!("SELECT DISTINCT nb FROM ({inward}) i"),
        Direction::Both => format!("{out} UNION {inward}"),
    }
}

/// Breadth first from `$2` in namespace `$1`, at most `$3` levels deep (0 = no limit), stopping
/// after the level holding `$4` when it is not NULL: rows `(depth, node, parent)` in visiting order.
fn breadth_first_sql(direction: Direction) -> String {
    format!(
        "WITH RECURSIVE bfs(depth, frontier, parents, visited) AS ( \
           SELECT 0, ARRAY[$2::text COLLATE \"C\"], ARRAY[NULL::text COLLATE \"C\"], ARRAY[$2::text COLLATE \"C\"] \
           UNION ALL \
           SELECT b.depth + 1, nxt.nodes, nxt.parents, b.visited || nxt.nodes \
             FROM bfs b \
             CROSS JOIN LATERAL ( \
               SELECT array_agg(c.nb ORDER BY c.pos, c.nb COLLATE \"C\") AS nodes, \
                      array_agg(b.frontier[c.pos] ORDER BY c.pos, c.nb COLLATE \"C\") AS parents \
                 FROM (SELECT n.nb, min(f.pos) AS pos \
                         FROM unnest(b.frontier) WITH ORDINALITY AS f(node, pos) \
                         CROSS JOIN LATERAL ({nbs}) n \
                        WHERE NOT n.nb = ANY(b.visited) \
                        GROUP BY n.nb) c) nxt \
            WHERE nxt.nodes IS NOT NULL AND ($3 = 0 OR b.depth < $3) \
              AND ($4::text IS NULL OR NOT $4::text = ANY(b.frontier)) \
         ) \
         SELECT b.depth, f.node, b.parents[f.pos] \
           FROM bfs b CROSS JOIN LATERAL unnest(b.frontier) WITH ORDINALITY AS f(node, pos) \
          ORDER BY b.depth, f.pos",
        nbs = neighbours(direction, "f.node")
    )
}

/// Depth-first preorder from `$2` in namespace `$1`, at most `$3` deep (0 = no limit): rows
/// `(node, depth)` in visiting order.
fn depth_first_sql(direction: Direction) -> String {
    format!(
        "WITH RECURSIVE dfs(step, stack, depths, visited, node, depth) AS ( \
           SELECT 0, ARRAY[$2::text COLLATE \"C\"], ARRAY[0], ARRAY[]::text[] COLLATE \"C\", NULL::text COLLATE \"C\", NULL::int \
           UNION ALL \
           SELECT w.step + 1, \
                  s.rest || CASE WHEN s.seen THEN ARRAY[]::text[] ELSE COALESCE(k.kids, ARRAY[]::text[]) END, \
                  s.rest_depths || CASE WHEN s.seen THEN ARRAY[]::int[] \
                      ELSE array_fill(s.at + 1, ARRAY[COALESCE(cardinality(k.kids), 0)]) END, \
                  CASE WHEN s.seen THEN w.visited ELSE w.visited || s.top END, \
                  CASE WHEN s.seen THEN NULL ELSE s.top END, \
                  s.at \
             FROM dfs w \
             CROSS JOIN LATERAL ( \
               SELECT w.stack[cardinality(w.stack)] AS top, \
                      w.depths[cardinality(w.depths)] AS at, \
                      w.stack[1:cardinality(w.stack) - 1] AS rest, \
                      w.depths[1:cardinality(w.depths) - 1] AS rest_depths, \
                      w.stack[cardinality(w.stack)] = ANY(w.visited) AS seen) s \
             CROSS JOIN LATERAL ( \
               SELECT array_agg(n.nb ORDER BY n.nb COLLATE \"C\" DESC) AS kids \
                 FROM ({nbs}) n \
                WHERE NOT s.seen AND ($3 = 0 OR s.at < $3) AND NOT n.nb = ANY(w.visited || s.top)) k \
            WHERE cardinality(w.stack) > 0 \
         ) \
         SELECT node, depth FROM dfs WHERE node IS NOT NULL ORDER BY step",
        nbs = neighbours(direction, "s.top")
    )
}

fn properties_json(properties: HashMap<String, String>) -> Value {
    jsonb::escape(Value::Object(
        properties
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    ))
}

fn properties_map(stored: Value) -> HashMap<String, String> {
    match jsonb::unescape(stored) {
        Value::Object(fields) => fields
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect(),
        _ => HashMap::new(),
    }
}

/// An edge from the columns `id, source, target, label, properties`.
fn edge(row: &Row) -> Edge {
    Edge {
        id: row.get(0),
        from: row.get(1),
        to: row.get(2),
        label: row.get(3),
        properties: properties_map(row.get(4)),
    }
}

fn node_missing(ns: &str, id: &str) -> Status {
    Status::not_found(format!("node {id:?} not found in namespace {ns:?}"))
}

impl GraphService {
    /// NOT_FOUND unless node `id` exists.
    async fn require_node(&self, ns: &str, id: &str) -> Result<(), Status> {
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                "SELECT 1 FROM prism.graph_nodes WHERE namespace = $1 AND id = $2",
                &[&ns, &id],
            )
            .await
            .st()?;
        row.map(|_| ()).ok_or_else(|| node_missing(ns, id))
    }

    async fn traverse(&self, req: TraverseRequest, depth_first: bool) -> Reply<TraverseResponse> {
        non_empty("start", &req.start)?;
        let direction = direction(req.direction)?;
        self.require_node(&req.namespace, &req.start).await?;
        let max_depth = i32::try_from(req.max_depth).unwrap_or(i32::MAX);
        let client = self.backend.client().await?;
        let visits = if depth_first {
            client
                .query(
                    &depth_first_sql(direction),
                    &[&req.namespace, &req.start, &max_depth],
                )
                .await
                .st()?
                .into_iter()
                .map(|row| Visit {
                    node_id: row.get(0),
                    depth: u32::try_from(row.get::<_, i32>(1)).unwrap_or(0),
                })
                .collect()
        } else {
            client
                .query(
                    &breadth_first_sql(direction),
                    &[&req.namespace, &req.start, &max_depth, &None::<String>],
                )
                .await
                .st()?
                .into_iter()
                .map(|row| Visit {
                    node_id: row.get(1),
                    depth: u32::try_from(row.get::<_, i32>(0)).unwrap_or(0),
                })
                .collect()
        };
        Ok(TraverseResponse { visits })
    }

    /// Node ids (sorted) and edges `(from, to)` of namespace `ns`, from one snapshot.
    async fn snapshot(&self, ns: &str) -> Result<(Vec<String>, Vec<(String, String)>), Status> {
        let mut client = self.backend.client().await?;
        let txn = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .st()?;
        let nodes = txn
            .query(
                "SELECT id FROM prism.graph_nodes WHERE namespace = $1 ORDER BY id",
                &[&ns],
            )
            .await
            .st()?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        let edges = txn
            .query(
                "SELECT source, target FROM prism.graph_edges WHERE namespace = $1 ORDER BY id",
                &[&ns],
            )
            .await
            .st()?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        txn.commit().await.st()?;
        Ok((nodes, edges))
    }
}

#[prism_plugin::service]
impl GraphBasicInterface for GraphService {
    async fn add_node(&self, req: AddNodeRequest) -> Reply<AddNodeResponse> {
        let node = req
            .node
            .ok_or_else(|| Status::invalid_argument("node must be set"))?;
        non_empty("node id", &node.id)?;
        let client = self.backend.client().await?;
        match client
            .execute(
                "INSERT INTO prism.graph_nodes (namespace, id, label, properties) VALUES ($1, $2, $3, $4)",
                &[&req.namespace, &node.id, &node.label, &properties_json(node.properties)],
            )
            .await
        {
            Ok(_) => Ok(AddNodeResponse {}),
            Err(e) if is_unique_violation(&e) => Err(Status::already_exists(format!(
                "node {:?} exists",
                node.id
            ))),
            Err(e) => Err(status(e)),
        }
    }

    async fn add_edge(&self, req: AddEdgeRequest) -> Reply<AddEdgeResponse> {
        let e = req
            .edge
            .ok_or_else(|| Status::invalid_argument("edge must be set"))?;
        non_empty("edge id", &e.id)?;
        non_empty("edge from", &e.from)?;
        non_empty("edge to", &e.to)?;
        let client = self.backend.client().await?;
        match client
            .execute(
                "INSERT INTO prism.graph_edges (namespace, id, source, target, label, properties) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &req.namespace,
                    &e.id,
                    &e.from,
                    &e.to,
                    &e.label,
                    &properties_json(e.properties),
                ],
            )
            .await
        {
            Ok(_) => Ok(AddEdgeResponse {}),
            Err(err) if is_unique_violation(&err) => {
                Err(Status::already_exists(format!("edge {:?} exists", e.id)))
            }
            Err(err) if is_foreign_key_violation(&err) => {
                Err(Status::failed_precondition(format!(
                    "edge {:?}: node {:?} or {:?} does not exist",
                    e.id, e.from, e.to
                )))
            }
            Err(err) => Err(status(err)),
        }
    }

    async fn get_node(&self, req: GetNodeRequest) -> Reply<GetNodeResponse> {
        non_empty("node id", &req.id)?;
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                "SELECT id, label, properties FROM prism.graph_nodes WHERE namespace = $1 AND id = $2",
                &[&req.namespace, &req.id],
            )
            .await
            .st()?
            .ok_or_else(|| node_missing(&req.namespace, &req.id))?;
        Ok(GetNodeResponse {
            node: Some(Node {
                id: row.get(0),
                label: row.get(1),
                properties: properties_map(row.get(2)),
            }),
        })
    }

    async fn get_edge(&self, req: GetEdgeRequest) -> Reply<GetEdgeResponse> {
        non_empty("edge id", &req.id)?;
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                "SELECT id, source, target, label, properties FROM prism.graph_edges \
                  WHERE namespace = $1 AND id = $2",
                &[&req.namespace, &req.id],
            )
            .await
            .st()?
            .ok_or_else(|| {
                Status::not_found(format!(
                    "edge {:?} not found in namespace {:?}",
                    req.id, req.namespace
                ))
            })?;
        Ok(GetEdgeResponse {
            edge: Some(edge(&row)),
        })
    }

    async fn get_edges(&self, req: GetEdgesRequest) -> Reply<GetEdgesResponse> {
        non_empty("node id", &req.node_id)?;
        let which = match direction(req.direction)? {
            Direction::Out => "source = $2",
            Direction::In => "target = $2",
            Direction::Both => "(source = $2 OR target = $2)",
        };
        self.require_node(&req.namespace, &req.node_id).await?;
        let client = self.backend.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT id, source, target, label, properties FROM prism.graph_edges \
                      WHERE namespace = $1 AND {which} ORDER BY id"
                ),
                &[&req.namespace, &req.node_id],
            )
            .await
            .st()?;
        Ok(GetEdgesResponse {
            edges: rows.iter().map(edge).collect(),
        })
    }

    async fn delete_node(&self, req: DeleteNodeRequest) -> Reply<DeleteNodeResponse> {
        non_empty("node id", &req.id)?;
        let mut client = self.backend.client().await?;
        let txn = client.transaction().await.st()?;
        // Locking the node first keeps a concurrent AddEdge (whose foreign-key check needs a share
        // lock on it) from slipping an edge in between the two deletes.
        let node = txn
            .query_opt(
                "SELECT 1 FROM prism.graph_nodes WHERE namespace = $1 AND id = $2 FOR UPDATE",
                &[&req.namespace, &req.id],
            )
            .await
            .st()?;
        if node.is_none() {
            return Ok(DeleteNodeResponse::default());
        }
        let edges = txn
            .execute(
                "DELETE FROM prism.graph_edges WHERE namespace = $1 AND (source = $2 OR target = $2)",
                &[&req.namespace, &req.id],
            )
            .await
            .st()?;
        txn.execute(
            "DELETE FROM prism.graph_nodes WHERE namespace = $1 AND id = $2",
            &[&req.namespace, &req.id],
        )
        .await
        .st()?;
        txn.commit().await.st()?;
        Ok(DeleteNodeResponse {
            found: true,
            edges_removed: u32::try_from(edges).unwrap_or(u32::MAX),
        })
    }

    async fn delete_edge(&self, req: DeleteEdgeRequest) -> Reply<DeleteEdgeResponse> {
        non_empty("edge id", &req.id)?;
        let client = self.backend.client().await?;
        let n = client
            .execute(
                "DELETE FROM prism.graph_edges WHERE namespace = $1 AND id = $2",
                &[&req.namespace, &req.id],
            )
            .await
            .st()?;
        Ok(DeleteEdgeResponse { found: n > 0 })
    }
}

#[prism_plugin::service]
impl GraphTraversalInterface for GraphService {
    async fn traverse_depth_first(&self, req: TraverseRequest) -> Reply<TraverseResponse> {
        self.traverse(req, true).await
    }

    async fn traverse_breadth_first(&self, req: TraverseRequest) -> Reply<TraverseResponse> {
        self.traverse(req, false).await
    }
}

/// `&str` views of a snapshot, as [`prism_plugin::graph`] takes them.
fn borrowed<'a>(
    nodes: &'a [String],
    edges: &'a [(String, String)],
) -> (Vec<&'a str>, Vec<(&'a str, &'a str)>) {
    (
        nodes.iter().map(String::as_str).collect(),
        edges
            .iter()
            .map(|(f, t)| (f.as_str(), t.as_str()))
            .collect(),
    )
}

#[prism_plugin::service]
impl GraphAnalyticsInterface for GraphService {
    async fn shortest_path(&self, req: ShortestPathRequest) -> Reply<ShortestPathResponse> {
        non_empty("from", &req.from)?;
        non_empty("to", &req.to)?;
        self.require_node(&req.namespace, &req.from).await?;
        self.require_node(&req.namespace, &req.to).await?;
        let client = self.backend.client().await?;
        let rows = client
            .query(
                &breadth_first_sql(Direction::Out),
                &[&req.namespace, &req.from, &0i32, &Some(req.to.clone())],
            )
            .await
            .st()?;
        let parent: HashMap<String, Option<String>> = rows
            .into_iter()
            .map(|row| (row.get(1), row.get(2)))
            .collect();
        if !parent.contains_key(&req.to) {
            return Ok(ShortestPathResponse::default());
        }
        let mut path = vec![req.to.clone()];
        while let Some(Some(p)) = path.last().and_then(|last| parent.get(last)) {
            path.push(p.clone());
        }
        path.reverse();
        let hops = u32::try_from(path.len() - 1).unwrap_or(u32::MAX);
        Ok(ShortestPathResponse {
            found: true,
            path,
            hops,
        })
    }

    async fn page_rank(&self, req: PageRankRequest) -> Reply<PageRankResponse> {
        let (damping, iterations) =
            prism_plugin::graph::page_rank_params(req.damping, req.iterations)?;
        let (nodes, edges) = self.snapshot(&req.namespace).await?;
        let (nodes, edges) = borrowed(&nodes, &edges);
        Ok(PageRankResponse {
            ranks: prism_plugin::graph::page_rank(&nodes, &edges, damping, iterations),
        })
    }

    async fn connected_components(
        &self,
        req: ConnectedComponentsRequest,
    ) -> Reply<ConnectedComponentsResponse> {
        let (nodes, edges) = self.snapshot(&req.namespace).await?;
        let (nodes, edges) = borrowed(&nodes, &edges);
        Ok(ConnectedComponentsResponse {
            components: prism_plugin::graph::components(&nodes, &edges),
        })
    }
}
