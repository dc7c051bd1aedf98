use prism_suite::interface_suite;

/// `graph_basic`: AddNode, AddEdge, GetNode, GetEdge, GetEdges, DeleteNode, DeleteEdge.
///
/// Rules: ids are unique (ALREADY_EXISTS); an edge needs both endpoints (FAILED_PRECONDITION);
/// reads of missing ids are NOT_FOUND; DeleteNode takes the node's edges with it; DeleteEdge keeps
/// the nodes; GetEdges lists by direction in edge id order; namespaces are kept apart.
#[interface_suite("graph_basic")]
pub mod graph_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::graph::*;

    use crate::graph::{build, edge, node, props, seed};

    fn get_node(id: &str) -> GetNodeRequest {
        GetNodeRequest {
            id: id.into(),
            ..Default::default()
        }
    }

    fn get_edge(id: &str) -> GetEdgeRequest {
        GetEdgeRequest {
            id: id.into(),
            ..Default::default()
        }
    }

    fn edges_of(node_id: &str, direction: Direction) -> GetEdgesRequest {
        GetEdgesRequest {
            node_id: node_id.into(),
            direction: direction as i32,
            ..Default::default()
        }
    }

    fn ids(edges: &[Edge]) -> Vec<&str> {
        edges.iter().map(|e| e.id.as_str()).collect()
    }

    /// GetNode returns the label and properties AddNode wrote, unicode included.
    pub async fn add_and_get_node(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        let written = node(
            "person:ünïcødé 😀",
            "Person",
            &[
                ("name", "Zoë"),
                ("city", "東京"),
                ("empty", ""),
                ("sp ace", "a/b:c%"),
            ],
        );
        g.add_node(cx.req(AddNodeRequest {
            node: Some(written.clone()),
            ..Default::default()
        }))
        .await?;
        let got = g.get_node(cx.req(get_node("person:ünïcødé 😀"))).await?;
        check_eq!(got.into_inner().node, Some(written), "GetNode");
        Ok(())
    }

    /// GetEdge returns the endpoints, label and properties AddEdge wrote.
    pub async fn add_and_get_edge(cx: &mut Case) -> CaseResult {
        seed(cx, &["a", "b"], &[]).await?;
        let mut g = cx.graph_basic();
        let written = Edge {
            properties: props(&[("since", "2020"), ("weight", "0.5"), ("note", "→ ✓")]),
            ..edge("a-knows-b", "a", "b", "knows")
        };
        g.add_edge(cx.req(AddEdgeRequest {
            edge: Some(written.clone()),
            ..Default::default()
        }))
        .await?;
        let got = g.get_edge(cx.req(get_edge("a-knows-b"))).await?;
        check_eq!(got.into_inner().edge, Some(written), "GetEdge");
        Ok(())
    }

    /// AddNode with an id that exists is ALREADY_EXISTS and keeps the first node.
    pub async fn duplicate_node_id_already_exists(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        build(cx, vec![node("n1", "first", &[("v", "1")])], vec![]).await?;
        let again = g
            .add_node(cx.req(AddNodeRequest {
                node: Some(node("n1", "second", &[("v", "2")])),
                ..Default::default()
            }))
            .await;
        check_code!(again, Code::AlreadyExists);
        let got = g.get_node(cx.req(get_node("n1"))).await?.into_inner();
        check_eq!(
            got.node,
            Some(node("n1", "first", &[("v", "1")])),
            "GetNode after the rejected AddNode"
        );
        Ok(())
    }

    /// AddEdge with an edge id that exists is ALREADY_EXISTS and keeps the first edge.
    pub async fn duplicate_edge_id_already_exists(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        build(
            cx,
            vec![
                node("a", "n", &[]),
                node("b", "n", &[]),
                node("c", "n", &[]),
            ],
            vec![edge("e", "a", "b", "first")],
        )
        .await?;
        let again = g
            .add_edge(cx.req(AddEdgeRequest {
                edge: Some(edge("e", "b", "c", "second")),
                ..Default::default()
            }))
            .await;
        check_code!(again, Code::AlreadyExists);
        let got = g.get_edge(cx.req(get_edge("e"))).await?.into_inner();
        check_eq!(
            got.edge,
            Some(edge("e", "a", "b", "first")),
            "GetEdge after the rejected AddEdge"
        );
        Ok(())
    }

    /// AddEdge from or to a missing node is FAILED_PRECONDITION and adds no edge.
    pub async fn edge_with_missing_endpoint_fails(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        seed(cx, &["here"], &[]).await?;
        for (id, from, to) in [
            ("to-nowhere", "here", "nowhere"),
            ("from-nowhere", "nowhere", "here"),
            ("both-missing", "x", "y"),
        ] {
            let added = g
                .add_edge(cx.req(AddEdgeRequest {
                    edge: Some(edge(id, from, to, "link")),
                    ..Default::default()
                }))
                .await;
            check_code!(added, Code::FailedPrecondition);
            check_code!(g.get_edge(cx.req(get_edge(id))).await, Code::NotFound);
        }
        let edges = g
            .get_edges(cx.req(edges_of("here", Direction::Both)))
            .await?;
        check_eq!(
            edges.into_inner().edges,
            Vec::<Edge>::new(),
            "GetEdges(here, BOTH)"
        );
        check_code!(
            g.get_node(cx.req(get_node("nowhere"))).await,
            Code::NotFound
        );
        Ok(())
    }

    /// GetNode, GetEdge and GetEdges of a missing id are NOT_FOUND.
    pub async fn get_missing_is_not_found(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        seed(cx, &["a", "b"], &[("a", "b")]).await?;
        check_code!(g.get_node(cx.req(get_node("c"))).await, Code::NotFound);
        check_code!(g.get_edge(cx.req(get_edge("b->a"))).await, Code::NotFound);
        check_code!(g.get_edge(cx.req(get_edge("a"))).await, Code::NotFound);
        check_code!(
            g.get_edges(cx.req(edges_of("c", Direction::Out))).await,
            Code::NotFound
        );
        Ok(())
    }

    /// DeleteNode removes every edge into and out of the node and counts them; other nodes and edges stay.
    pub async fn delete_node_removes_its_edges(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        seed(
            cx,
            &["hub", "a", "b", "c"],
            &[
                ("hub", "a"),
                ("b", "hub"),
                ("hub", "hub"),
                ("a", "b"),
                ("c", "a"),
            ],
        )
        .await?;
        let deleted = g
            .delete_node(cx.req(DeleteNodeRequest {
                id: "hub".into(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        check_eq!(
            (deleted.found, deleted.edges_removed),
            (true, 3),
            "DeleteNode(hub): (found, edges_removed)"
        );
        for gone in ["hub->a", "b->hub", "hub->hub"] {
            check_code!(g.get_edge(cx.req(get_edge(gone))).await, Code::NotFound);
        }
        check_code!(g.get_node(cx.req(get_node("hub"))).await, Code::NotFound);
        for (id, want) in [
            ("a", vec!["a->b", "c->a"]),
            ("b", vec!["a->b"]),
            ("c", vec!["c->a"]),
        ] {
            let edges = g
                .get_edges(cx.req(edges_of(id, Direction::Both)))
                .await?
                .into_inner()
                .edges;
            check_eq!(
                ids(&edges),
                want,
                "GetEdges({id}, BOTH) after DeleteNode(hub)"
            );
        }
        Ok(())
    }

    /// DeleteNode reports found = true for a node that existed and false for a missing one.
    pub async fn delete_node_reports_found(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        seed(cx, &["only"], &[]).await?;
        let delete = |id: &str| {
            cx.req(DeleteNodeRequest {
                id: id.into(),
                ..Default::default()
            })
        };
        let first = g.delete_node(delete("only")).await?.into_inner();
        check_eq!(
            (first.found, first.edges_removed),
            (true, 0),
            "first DeleteNode(only)"
        );
        let second = g.delete_node(delete("only")).await?.into_inner();
        check_eq!(
            (second.found, second.edges_removed),
            (false, 0),
            "second DeleteNode(only)"
        );
        let never = g.delete_node(delete("never-added")).await?.into_inner();
        check_eq!(never.found, false, "DeleteNode(never-added)");
        Ok(())
    }

    /// DeleteEdge removes only the edge (both endpoints stay) and reports whether it existed.
    pub async fn delete_edge_keeps_nodes(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        seed(cx, &["a", "b"], &[("a", "b"), ("b", "a")]).await?;
        let delete = || {
            cx.req(DeleteEdgeRequest {
                id: "a->b".into(),
                ..Default::default()
            })
        };
        check_eq!(
            g.delete_edge(delete()).await?.into_inner().found,
            true,
            "first DeleteEdge"
        );
        check_eq!(
            g.delete_edge(delete()).await?.into_inner().found,
            false,
            "second DeleteEdge"
        );
        check_code!(g.get_edge(cx.req(get_edge("a->b"))).await, Code::NotFound);
        g.get_node(cx.req(get_node("a"))).await?;
        g.get_node(cx.req(get_node("b"))).await?;
        let left = g.get_edges(cx.req(edges_of("a", Direction::Both))).await?;
        check_eq!(
            ids(&left.into_inner().edges),
            vec!["b->a"],
            "GetEdges(a, BOTH)"
        );
        Ok(())
    }

    /// GetEdges lists OUT, IN or BOTH edges of a node, sorted by edge id, a self-loop once.
    pub async fn get_edges_by_direction(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        build(
            cx,
            ["m", "x", "y", "z"].map(|id| node(id, "n", &[])).to_vec(),
            vec![
                edge("e5", "m", "x", "l"),
                edge("e1", "y", "m", "l"),
                edge("e4", "m", "m", "l"),
                edge("e2", "m", "z", "l"),
                edge("e3", "z", "m", "l"),
                edge("e0", "x", "y", "l"),
            ],
        )
        .await?;
        for (direction, want) in [
            (Direction::Out, vec!["e2", "e4", "e5"]),
            (Direction::In, vec!["e1", "e3", "e4"]),
            (Direction::Both, vec!["e1", "e2", "e3", "e4", "e5"]),
        ] {
            let edges = g
                .get_edges(cx.req(edges_of("m", direction)))
                .await?
                .into_inner()
                .edges;
            check_eq!(ids(&edges), want, "GetEdges(m, {direction:?})");
        }
        Ok(())
    }

    /// Parallel edges with distinct ids are distinct edges; deleting one keeps the other.
    pub async fn parallel_edges_are_distinct(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        build(
            cx,
            vec![node("a", "n", &[]), node("b", "n", &[])],
            vec![edge("p1", "a", "b", "likes"), edge("p2", "a", "b", "likes")],
        )
        .await?;
        let out = g.get_edges(cx.req(edges_of("a", Direction::Out))).await?;
        check_eq!(
            ids(&out.into_inner().edges),
            vec!["p1", "p2"],
            "GetEdges(a, OUT)"
        );
        g.delete_edge(cx.req(DeleteEdgeRequest {
            id: "p1".into(),
            ..Default::default()
        }))
        .await?;
        let out = g.get_edges(cx.req(edges_of("a", Direction::Out))).await?;
        check_eq!(
            ids(&out.into_inner().edges),
            vec!["p2"],
            "GetEdges(a, OUT) after DeleteEdge(p1)"
        );
        Ok(())
    }

    /// An empty node or edge id is INVALID_ARGUMENT.
    pub async fn empty_id_rejected(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        seed(cx, &["a"], &[]).await?;
        let empty_node = g
            .add_node(cx.req(AddNodeRequest {
                node: Some(node("", "n", &[])),
                ..Default::default()
            }))
            .await;
        check_code!(empty_node, Code::InvalidArgument);
        let empty_edge = g
            .add_edge(cx.req(AddEdgeRequest {
                edge: Some(edge("", "a", "a", "l")),
                ..Default::default()
            }))
            .await;
        check_code!(empty_edge, Code::InvalidArgument);
        check_code!(
            g.get_node(cx.req(get_node(""))).await,
            Code::InvalidArgument
        );
        Ok(())
    }

    /// Nodes and edges of one namespace are invisible in another, which may reuse their ids.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let mut g = cx.graph_basic();
        let other = cx.other_namespace();
        seed(cx, &["a", "b"], &[("a", "b")]).await?;
        check_code!(
            g.get_node(cx.req_in(&other, get_node("a"))).await,
            Code::NotFound
        );
        check_code!(
            g.get_edge(cx.req_in(&other, get_edge("a->b"))).await,
            Code::NotFound
        );
        g.add_node(cx.req_in(
            &other,
            AddNodeRequest {
                node: Some(node("a", "theirs", &[])),
                ..Default::default()
            },
        ))
        .await?;
        let mine = g.get_node(cx.req(get_node("a"))).await?.into_inner();
        check_eq!(
            mine.node,
            Some(node("a", "n", &[])),
            "GetNode(a) in this namespace"
        );
        Ok(())
    }

    /// Nodes and edges added and deleted in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::graph::isolated::Graphs(crate::graph::isolated::Reads::Basic),
        )
        .await
    }

    /// Random sequences of AddNode, AddEdge, GetNode, GetEdge, GetEdges, DeleteNode and DeleteEdge get the answers memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::graph::reference::Basic).await
    }
}
