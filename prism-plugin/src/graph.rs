//! What the graph interfaces compute the same way over any store: request defaults, PageRank and
//! connected components on a snapshot of nodes and edges. A plugin whose backend computes these
//! itself does not need it.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use prism_proto::graph::{Component, Direction, NodeRank};
use tonic::Status;

/// Damping factor PageRank uses when the request leaves it 0.
pub const DEFAULT_DAMPING: f64 = 0.85;
/// PageRank rounds when the request leaves them 0.
pub const DEFAULT_ITERATIONS: u32 = 100;

/// A request's `direction` field, INVALID_ARGUMENT when it is no known [`Direction`].
pub fn direction(raw: i32) -> Result<Direction, Status> {
    Direction::try_from(raw)
        .map_err(|_| Status::invalid_argument(format!("unknown direction {raw}")))
}

/// A PageRank request's damping and iterations, defaults applied (0 means default); damping
/// outside `[0, 1)` is INVALID_ARGUMENT.
///
/// ```
/// assert_eq!(prism_plugin::graph::page_rank_params(0.0, 0).unwrap(), (0.85, 100));
/// assert!(prism_plugin::graph::page_rank_params(1.0, 10).is_err());
/// ```
pub fn page_rank_params(damping: f64, iterations: u32) -> Result<(f64, u32), Status> {
    let damping = if damping == 0.0 {
        DEFAULT_DAMPING
    } else {
        damping
    };
    if !(0.0..1.0).contains(&damping) {
        return Err(Status::invalid_argument(format!(
            "damping must be in [0, 1), got {damping}"
        )));
    }
    let iterations = if iterations == 0 {
        DEFAULT_ITERATIONS
    } else {
        iterations
    };
    Ok((damping, iterations))
}

/// PageRank by power iteration, the rank of dangling nodes spread evenly (as graph.proto says),
/// one rank per node in the order of `nodes`. Edges naming an unknown node are ignored.
pub fn page_rank(
    nodes: &[&str],
    edges: &[(&str, &str)],
    damping: f64,
    iterations: u32,
) -> Vec<NodeRank> {
    let n = nodes.len();
    if n == 0 {
        return Vec::new();
    }
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut out_degree = vec![0usize; n];
    let mut links = Vec::new();
    for (from, to) in edges {
        if let (Some(&u), Some(&v)) = (index.get(from), index.get(to)) {
            out_degree[u] += 1;
            links.push((u, v));
        }
    }
    let size = n as f64;
    let mut rank = vec![1.0 / size; n];
    for _ in 0..iterations {
        let dangling: f64 = (0..n)
            .filter(|&u| out_degree[u] == 0)
            .map(|u| rank[u])
            .sum();
        let base = (1.0 - damping) / size + damping * dangling / size;
        let mut next = vec![base; n];
        for &(u, v) in &links {
            next[v] += damping * rank[u] / out_degree[u] as f64;
        }
        rank = next;
    }
    nodes
        .iter()
        .zip(rank)
        .map(|(id, rank)| NodeRank {
            node_id: (*id).to_owned(),
            rank,
        })
        .collect()
}

/// Weakly connected components, each sorted, in order of their smallest id (edges in either
/// direction join their ends).
pub fn components(nodes: &[&str], edges: &[(&str, &str)]) -> Vec<Component> {
    let mut adjacent: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for &(from, to) in edges {
        adjacent.entry(from).or_default().insert(to);
        adjacent.entry(to).or_default().insert(from);
    }
    let mut ordered: Vec<&str> = nodes.to_vec();
    ordered.sort_unstable();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    for id in ordered {
        if seen.contains(id) {
            continue;
        }
        let mut members = BTreeSet::from([id]);
        let mut queue = VecDeque::from([id]);
        while let Some(current) = queue.pop_front() {
            for &next in adjacent.get(current).into_iter().flatten() {
                if members.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        seen.extend(members.iter().copied());
        out.push(Component {
            node_ids: members.into_iter().map(str::to_owned).collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_sum_to_one_and_a_sink_ranks_highest() {
        let ranks = page_rank(&["a", "b", "c"], &[("a", "c"), ("b", "c")], 0.85, 50);
        let total: f64 = ranks.iter().map(|r| r.rank).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert_eq!(ranks[2].node_id, "c");
        assert!(ranks[2].rank > ranks[0].rank && ranks[0].rank == ranks[1].rank);
    }

    #[test]
    fn components_are_sorted_and_ignore_direction() {
        let got: Vec<Vec<String>> = components(&["d", "b", "a", "c"], &[("b", "a"), ("c", "d")])
            .into_iter()
            .map(|c| c.node_ids)
            .collect();
        assert_eq!(got, [vec!["a", "b"], vec!["c", "d"]]);
    }

    #[test]
    fn damping_outside_the_unit_interval_is_invalid() {
        assert!(page_rank_params(-0.1, 1).is_err());
        assert_eq!(page_rank_params(0.5, 3).ok(), Some((0.5, 3)));
    }
}
