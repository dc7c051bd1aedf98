//! The graph interfaces' probes for [`crate::isolation::check`]: in every namespace of the family the
//! nodes `a`, `b`, `:a` and `n-<tag>` (labelled with the tag) and the edges `:a -> a`, `a -> b` and
//! `a -> n-<tag>`; the last step deletes `a` (and so its edges).

use prism_suite::prelude::*;
use prism_suite::proto::graph::*;

use crate::graph::{edge, node};
use crate::isolation::{tagged, Probe, SUFFIXES};

/// Which interface a [`Graphs`] probe reads with.
#[derive(Clone, Copy)]
pub(crate) enum Reads {
    /// graph_basic GetNode, GetEdge and GetEdges.
    Basic,
    /// graph_traversal breadth and depth first from `:a`.
    Traversal,
    /// graph_query Gremlin.
    Query,
    /// graph_analytics ShortestPath and ConnectedComponents.
    Analytics,
}

/// A probe over the graphs of the family, reading with one interface.
pub(crate) struct Graphs(pub(crate) Reads);

fn own(tag: usize) -> String {
    tagged("n", tag)
}

/// Every node id a namespace of the family may hold.
fn all_nodes() -> Vec<String> {
    let mut ids: Vec<String> = ["a", "b", ":a"].iter().map(|s| (*s).to_owned()).collect();
    ids.extend((0..=SUFFIXES.len()).map(own));
    ids
}

/// The nodes (id, label) of the namespace of `tag`; without `a` once it was deleted.
fn nodes(tag: usize, deleted: bool) -> Vec<(String, String)> {
    let mut ids = vec![":a".to_owned(), "b".to_owned(), own(tag)];
    if !deleted {
        ids.push("a".to_owned());
    }
    ids.sort();
    ids.into_iter()
        .map(|id| (id, tagged("label", tag)))
        .collect()
}

/// The edges (id, from, to) of the namespace of `tag`.
fn edges(tag: usize, deleted: bool) -> Vec<(String, String, String)> {
    if deleted {
        return Vec::new();
    }
    vec![
        ("e1".to_owned(), ":a".to_owned(), "a".to_owned()),
        ("e2".to_owned(), "a".to_owned(), "b".to_owned()),
        ("e3".to_owned(), "a".to_owned(), own(tag)),
    ]
}

impl Graphs {
    /// What the probe reads of a namespace holding the graph of `tag` (deleted: without `a`).
    fn shows(&self, tag: Option<usize>, deleted: bool) -> Vec<String> {
        let Some(t) = tag else {
            return match self.0 {
                Reads::Basic => {
                    let mut v: Vec<String> = all_nodes()
                        .iter()
                        .map(|id| format!("{id}: missing"))
                        .collect();
                    v.extend(["e1", "e2", "e3"].iter().map(|e| format!("{e}: missing")));
                    v.push("edges of a: NOT_FOUND".to_owned());
                    v
                }
                Reads::Traversal => vec!["bfs: NOT_FOUND".to_owned(), "dfs: NOT_FOUND".to_owned()],
                Reads::Query => vec![
                    "V: []".to_owned(),
                    "count: [\"0\"]".to_owned(),
                    "out of a: []".to_owned(),
                ],
                Reads::Analytics => vec!["path: NOT_FOUND".to_owned(), "components: []".to_owned()],
            };
        };
        let held = nodes(t, deleted);
        let links = edges(t, deleted);
        match self.0 {
            Reads::Basic => {
                let mut v: Vec<String> = all_nodes()
                    .iter()
                    .map(|id| match held.iter().find(|(n, _)| n == id) {
                        Some((_, label)) => format!("{id}: {label}"),
                        None => format!("{id}: missing"),
                    })
                    .collect();
                for e in ["e1", "e2", "e3"] {
                    v.push(match links.iter().find(|(id, _, _)| id == e) {
                        Some((id, from, to)) => format!("{id}: {from}->{to}"),
                        None => format!("{e}: missing"),
                    });
                }
                v.push(if deleted {
                    "edges of a: NOT_FOUND".to_owned()
                } else {
                    "edges of a: [\"e1\", \"e2\", \"e3\"]".to_owned()
                });
                v
            }
            Reads::Traversal => {
                let visits = if deleted {
                    "[\":a@0\"]".to_owned()
                } else {
                    format!("[\":a@0\", \"a@1\", \"b@2\", \"{}@2\"]", own(t))
                };
                vec![format!("bfs: {visits}"), format!("dfs: {visits}")]
            }
            Reads::Query => {
                let ids: Vec<String> = held.iter().map(|(id, _)| id.clone()).collect();
                let out = if deleted {
                    Vec::new()
                } else {
                    vec!["b".to_owned(), own(t)]
                };
                vec![
                    format!("V: {ids:?}"),
                    format!("count: [\"{}\"]", ids.len()),
                    format!("out of a: {out:?}"),
                ]
            }
            Reads::Analytics => {
                let path = if deleted {
                    "path: found false []".to_owned()
                } else {
                    format!("path: found true {:?}", [":a", "a", "b"])
                };
                let mut components: Vec<Vec<String>> = if deleted {
                    held.iter().map(|(id, _)| vec![id.clone()]).collect()
                } else {
                    vec![held.iter().map(|(id, _)| id.clone()).collect()]
                };
                components.sort();
                vec![path, format!("components: {components:?}")]
            }
        }
    }
}

impl Probe for Graphs {
    type View = Vec<String>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut g = cx.graph_basic();
        for (id, label) in nodes(tag, false) {
            g.add_node(cx.req_in(
                ns,
                AddNodeRequest {
                    node: Some(node(&id, &label, &[])),
                    ..Default::default()
                },
            ))
            .await?;
        }
        for (id, from, to) in edges(tag, false) {
            g.add_edge(cx.req_in(
                ns,
                AddEdgeRequest {
                    edge: Some(edge(&id, &from, &to, "link")),
                    ..Default::default()
                },
            ))
            .await?;
        }
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut v = Vec::new();
        match self.0 {
            Reads::Basic => {
                let mut g = cx.graph_basic();
                for id in all_nodes() {
                    let req = cx.req_in(
                        ns,
                        GetNodeRequest {
                            id: id.clone(),
                            ..Default::default()
                        },
                    );
                    v.push(match g.get_node(req).await {
                        Ok(r) => format!("{id}: {}", r.into_inner().node.unwrap_or_default().label),
                        Err(s) if s.code() == Code::NotFound => format!("{id}: missing"),
                        Err(s) => return Err(s.into()),
                    });
                }
                for id in ["e1", "e2", "e3"] {
                    let req = cx.req_in(
                        ns,
                        GetEdgeRequest {
                            id: id.into(),
                            ..Default::default()
                        },
                    );
                    v.push(match g.get_edge(req).await {
                        Ok(r) => {
                            let e = r.into_inner().edge.unwrap_or_default();
                            format!("{id}: {}->{}", e.from, e.to)
                        }
                        Err(s) if s.code() == Code::NotFound => format!("{id}: missing"),
                        Err(s) => return Err(s.into()),
                    });
                }
                let req = cx.req_in(
                    ns,
                    GetEdgesRequest {
                        node_id: "a".into(),
                        direction: Direction::Both as i32,
                        ..Default::default()
                    },
                );
                v.push(match g.get_edges(req).await {
                    Ok(r) => {
                        let ids: Vec<String> =
                            r.into_inner().edges.into_iter().map(|e| e.id).collect();
                        format!("edges of a: {ids:?}")
                    }
                    Err(s) if s.code() == Code::NotFound => "edges of a: NOT_FOUND".to_owned(),
                    Err(s) => return Err(s.into()),
                });
            }
            Reads::Traversal => {
                let mut t = cx.graph_traversal();
                for bfs in [true, false] {
                    let req = cx.req_in(
                        ns,
                        TraverseRequest {
                            start: ":a".into(),
                            direction: Direction::Out as i32,
                            ..Default::default()
                        },
                    );
                    let got = if bfs {
                        t.traverse_breadth_first(req).await
                    } else {
                        t.traverse_depth_first(req).await
                    };
                    let name = if bfs { "bfs" } else { "dfs" };
                    v.push(match got {
                        Ok(r) => {
                            let visits: Vec<String> = r
                                .into_inner()
                                .visits
                                .into_iter()
                                .map(|v| format!("{}@{}", v.node_id, v.depth))
                                .collect();
                            format!("{name}: {visits:?}")
                        }
                        Err(s) if s.code() == Code::NotFound => format!("{name}: NOT_FOUND"),
                        Err(s) => return Err(s.into()),
                    });
                }
            }
            Reads::Query => {
                let mut q = cx.graph_query();
                for (name, query) in [
                    ("V", "g.V()"),
                    ("count", "g.V().count()"),
                    ("out of a", "g.V('a').out()"),
                ] {
                    let req = cx.req_in(
                        ns,
                        GraphQueryRequest {
                            query: query.into(),
                            ..Default::default()
                        },
                    );
                    let results = q.gremlin_query(req).await?.into_inner().results;
                    v.push(format!("{name}: {results:?}"));
                }
            }
            Reads::Analytics => {
                let mut a = cx.graph_analytics();
                let req = cx.req_in(
                    ns,
                    ShortestPathRequest {
                        from: ":a".into(),
                        to: "b".into(),
                        ..Default::default()
                    },
                );
                // `b` exists in every namespace that was written, so a missing `:a` is NOT_FOUND.
                v.push(match a.shortest_path(req).await {
                    Ok(r) => {
                        let r = r.into_inner();
                        format!("path: found {} {:?}", r.found, r.path)
                    }
                    Err(s) if s.code() == Code::NotFound => "path: NOT_FOUND".to_owned(),
                    Err(s) => return Err(s.into()),
                });
                let req = cx.req_in(ns, ConnectedComponentsRequest::default());
                let mut components: Vec<Vec<String>> = a
                    .connected_components(req)
                    .await?
                    .into_inner()
                    .components
                    .into_iter()
                    .map(|c| c.node_ids)
                    .collect();
                components.sort();
                v.push(format!("components: {components:?}"));
            }
        }
        Ok(v)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        self.shows(tag, false)
    }

    async fn change(&self, cx: &Case, ns: &str, _tag: usize) -> CaseResult {
        let req = cx.req_in(
            ns,
            DeleteNodeRequest {
                id: "a".into(),
                ..Default::default()
            },
        );
        let got = cx.graph_basic().delete_node(req).await?.into_inner();
        check_eq!(
            (got.found, got.edges_removed),
            (true, 3),
            "DeleteNode of `a` (3 edges) in this namespace: found and edges removed"
        );
        Ok(())
    }

    fn changed(&self, tag: usize) -> Self::View {
        self.shows(Some(tag), true)
    }
}
