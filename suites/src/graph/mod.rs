//! Graph suites: one file per interface, each holding the inline suite module.
//!
//! Only `graph_basic` can write nodes and edges, so the traversal, query and analytics suites build
//! their graphs through it (every backend that implements a richer graph interface also implements
//! `graph_basic`). The helpers they share live here.

use std::collections::HashMap;
use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::graph::*;

use crate::keyvalue::at_caller;

mod analytics;
mod basic;
mod isolated;
mod query;
pub(crate) mod reference;
mod traversal;

pub use analytics::graph_analytics;
pub use basic::graph_basic;
pub use query::graph_query;
pub use traversal::graph_traversal;

/// String properties from `(key, value)` pairs.
pub(crate) fn props(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A node with a label and properties.
pub(crate) fn node(id: &str, label: &str, properties: &[(&str, &str)]) -> Node {
    Node {
        id: id.into(),
        label: label.into(),
        properties: props(properties),
    }
}

/// An edge with a label and no properties.
pub(crate) fn edge(id: &str, from: &str, to: &str, label: &str) -> Edge {
    Edge {
        id: id.into(),
        from: from.into(),
        to: to.into(),
        label: label.into(),
        properties: HashMap::new(),
    }
}

/// graph_basic: adds `nodes`, then `edges`, in the case's namespace, in the order given.
#[track_caller]
pub(crate) fn build(
    cx: &Case,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
) -> impl Future<Output = CaseResult> + Send {
    let mut g = cx.graph_basic();
    let adds: Vec<_> = nodes
        .into_iter()
        .map(|n| {
            cx.req(AddNodeRequest {
                node: Some(n),
                ..Default::default()
            })
        })
        .collect();
    let links: Vec<_> = edges
        .into_iter()
        .map(|e| {
            cx.req(AddEdgeRequest {
                edge: Some(e),
                ..Default::default()
            })
        })
        .collect();
    at_caller(async move {
        for add in adds {
            g.add_node(add).await?;
        }
        for link in links {
            g.add_edge(link).await?;
        }
        Ok(())
    })
}

/// graph_basic: plain nodes labelled `n`, and edges `from -> to` labelled `link` with id
/// `from->to`, added in the order given.
#[track_caller]
pub(crate) fn seed(
    cx: &Case,
    nodes: &[&str],
    edges: &[(&str, &str)],
) -> impl Future<Output = CaseResult> + Send {
    build(
        cx,
        nodes.iter().map(|id| node(id, "n", &[])).collect(),
        edges
            .iter()
            .map(|(from, to)| edge(&format!("{from}->{to}"), from, to, "link"))
            .collect(),
    )
}
