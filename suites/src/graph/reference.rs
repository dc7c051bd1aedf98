//! The graph model of the differential cases (see [`crate::differential`]).

use std::collections::HashMap;

use prism_suite::proto::graph::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::Status;

use crate::differential::Model;

/// Node ids: two, so that edges often find both endpoints (the empty id's INVALID_ARGUMENT is
/// pinned by the suite's own cases).
const NODES: &[&str] = &["a", "b"];
/// Edge ids, in their own id space.
const EDGES: &[&str] = &["e1", "e2", "e3"];
/// Labels, so that a second AddNode of an id (ALREADY_EXISTS) would show an overwrite.
const LABELS: &[&str] = &["L", "M"];
const DIRECTIONS: &[Direction] = &[Direction::Out, Direction::In, Direction::Both];

/// `graph_basic`: nodes and edges added, read, listed per direction and deleted (with their edges).
pub(crate) struct Basic;

/// An operation of [`Basic`].
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    AddNode(&'static str, &'static str),
    AddEdge(&'static str, &'static str, &'static str, &'static str),
    GetNode(&'static str),
    GetEdge(&'static str),
    GetEdges(&'static str, Direction),
    DeleteNode(&'static str),
    DeleteEdge(&'static str),
}

/// What an operation of [`Basic`] answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BasicAnswer {
    Done,
    Node(Option<Node>),
    Edge(Option<Edge>),
    Edges(Vec<Edge>),
    DeletedNode { found: bool, edges_removed: u32 },
    DeletedEdge(bool),
}

fn props(label: &str) -> HashMap<String, String> {
    HashMap::from([("p".to_owned(), format!("{label}-ü"))])
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let node = proptest::sample::select(NODES);
        let edge = proptest::sample::select(EDGES);
        let label = proptest::sample::select(LABELS);
        // Adds weigh more: an edge needs both endpoints before anything about it can be read.
        let op = prop_oneof![
            3 => (node.clone(), label.clone()).prop_map(|(n, l)| BasicOp::AddNode(n, l)),
            3 => (edge.clone(), node.clone(), node.clone(), label)
                .prop_map(|(e, f, t, l)| BasicOp::AddEdge(e, f, t, l)),
            1 => node.clone().prop_map(BasicOp::GetNode),
            1 => edge.clone().prop_map(BasicOp::GetEdge),
            1 => (node.clone(), proptest::sample::select(DIRECTIONS))
                .prop_map(|(n, d)| BasicOp::GetEdges(n, d)),
            2 => node.prop_map(BasicOp::DeleteNode),
            1 => edge.prop_map(BasicOp::DeleteEdge),
        ];
        // Longer than the other models': a difference about an edge needs two nodes and the edge first.
        proptest::collection::vec(op, 1..24)
    }

    async fn apply<S: InterfaceClients<Channel = CaseChannel> + Sync>(
        &self,
        cx: &Case,
        side: &S,
        ns: &str,
        _state: &mut (),
        op: &BasicOp,
    ) -> Result<BasicAnswer, Status> {
        let mut graph = side.graph_basic();
        let answer = match op {
            BasicOp::AddNode(id, label) => {
                let node = Node {
                    id: (*id).to_owned(),
                    label: (*label).to_owned(),
                    properties: props(label),
                };
                graph
                    .add_node(cx.req_in(
                        ns,
                        AddNodeRequest {
                            node: Some(node),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| BasicAnswer::Done)
            }
            BasicOp::AddEdge(id, from, to, label) => {
                let edge = Edge {
                    id: (*id).to_owned(),
                    from: (*from).to_owned(),
                    to: (*to).to_owned(),
                    label: (*label).to_owned(),
                    properties: props(label),
                };
                graph
                    .add_edge(cx.req_in(
                        ns,
                        AddEdgeRequest {
                            edge: Some(edge),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| BasicAnswer::Done)
            }
            BasicOp::GetNode(id) => graph
                .get_node(cx.req_in(
                    ns,
                    GetNodeRequest {
                        id: (*id).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Node(r.into_inner().node)),
            BasicOp::GetEdge(id) => graph
                .get_edge(cx.req_in(
                    ns,
                    GetEdgeRequest {
                        id: (*id).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Edge(r.into_inner().edge)),
            BasicOp::GetEdges(node, direction) => graph
                .get_edges(cx.req_in(
                    ns,
                    GetEdgesRequest {
                        node_id: (*node).to_owned(),
                        direction: (*direction).into(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Edges(r.into_inner().edges)),
            BasicOp::DeleteNode(id) => graph
                .delete_node(cx.req_in(
                    ns,
                    DeleteNodeRequest {
                        id: (*id).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| {
                    let r = r.into_inner();
                    BasicAnswer::DeletedNode {
                        found: r.found,
                        edges_removed: r.edges_removed,
                    }
                }),
            BasicOp::DeleteEdge(id) => graph
                .delete_edge(cx.req_in(
                    ns,
                    DeleteEdgeRequest {
                        id: (*id).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::DeletedEdge(r.into_inner().found)),
        };
        answer
    }
}
