use prism_suite::interface_suite;

/// `graph_traversal`: TraverseDepthFirst, TraverseBreadthFirst.
///
/// Rules: the start comes first at depth 0; each reachable node is visited exactly once, so cycles
/// terminate; neighbours are taken in byte order of id; breadth first goes level by level,
/// depth first in preorder; `max_depth` stops the walk; direction picks which edges lead on; a
/// missing start is NOT_FOUND. Graphs are built with graph_basic (this interface cannot write).
#[interface_suite("graph_traversal")]
pub mod graph_traversal {
    use prism_suite::prelude::*;
    use prism_suite::proto::graph::*;

    use std::future::Future;

    use crate::graph::seed;
    use crate::keyvalue::at_caller;

    /// `(node id, depth)` in visiting order.
    type Visits = Vec<(String, u32)>;

    /// Which traversal a helper runs.
    #[derive(Debug, Clone, Copy)]
    enum Order {
        DepthFirst,
        BreadthFirst,
    }

    #[track_caller]
    fn walk(
        cx: &Case,
        order: Order,
        start: &str,
        direction: Direction,
        max_depth: u32,
    ) -> impl Future<Output = Result<Visits, CaseError>> + Send {
        let mut t = cx.graph_traversal();
        let req = cx.req(TraverseRequest {
            start: start.into(),
            direction: direction as i32,
            max_depth,
            ..Default::default()
        });
        at_caller(async move {
            let visits = match order {
                Order::DepthFirst => t.traverse_depth_first(req).await?,
                Order::BreadthFirst => t.traverse_breadth_first(req).await?,
            };
            Ok(visits
                .into_inner()
                .visits
                .into_iter()
                .map(|v| (v.node_id, v.depth))
                .collect())
        })
    }

    fn visits(expected: &[(&str, u32)]) -> Visits {
        expected
            .iter()
            .map(|(id, d)| ((*id).to_owned(), *d))
            .collect()
    }

    /// A small tree whose edges are added out of id order: a -> {b, c}, b -> {d, e}, c -> f.
    #[track_caller]
    fn tree(cx: &Case) -> impl Future<Output = CaseResult> + Send {
        seed(
            cx,
            &["f", "e", "d", "c", "b", "a"],
            &[("c", "f"), ("b", "e"), ("a", "c"), ("b", "d"), ("a", "b")],
        )
    }

    /// Breadth first visits level by level, each level in id order, with depth = distance.
    pub async fn breadth_first_goes_level_by_level(cx: &mut Case) -> CaseResult {
        tree(cx).await?;
        check_eq!(
            walk(cx, Order::BreadthFirst, "a", Direction::Out, 0).await?,
            visits(&[("a", 0), ("b", 1), ("c", 1), ("d", 2), ("e", 2), ("f", 2)]),
            "TraverseBreadthFirst(a, OUT)"
        );
        Ok(())
    }

    /// Depth first visits in preorder, children in id order.
    pub async fn depth_first_goes_in_preorder(cx: &mut Case) -> CaseResult {
        tree(cx).await?;
        check_eq!(
            walk(cx, Order::DepthFirst, "a", Direction::Out, 0).await?,
            visits(&[("a", 0), ("b", 1), ("d", 2), ("e", 2), ("c", 1), ("f", 2)]),
            "TraverseDepthFirst(a, OUT)"
        );
        Ok(())
    }

    /// Neighbours are taken in byte order of their id, not insertion or case-folded order.
    pub async fn neighbours_in_id_byte_order(cx: &mut Case) -> CaseResult {
        let leaves = ["b", "é", "B", "a", "10", "_", "9", "A"];
        let mut nodes = vec!["s"];
        nodes.extend(leaves);
        let edges: Vec<(&str, &str)> = leaves.iter().map(|l| ("s", *l)).collect();
        seed(cx, &nodes, &edges).await?;
        let mut sorted = leaves.to_vec();
        sorted.sort_unstable();
        let mut want = vec![("s", 0)];
        want.extend(sorted.iter().map(|l| (*l, 1)));
        for order in [Order::BreadthFirst, Order::DepthFirst] {
            check_eq!(
                walk(cx, order, "s", Direction::Out, 0).await?,
                visits(&want),
                "{order:?}(s, OUT)"
            );
        }
        Ok(())
    }

    /// On a graph with cycles and a self-loop each node is visited exactly once and the walk ends.
    pub async fn cycles_terminate_each_node_once(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["a", "b", "c"],
            &[("a", "b"), ("b", "c"), ("c", "a"), ("b", "a"), ("c", "c")],
        )
        .await?;
        let once = visits(&[("a", 0), ("b", 1), ("c", 2)]);
        for order in [Order::BreadthFirst, Order::DepthFirst] {
            check_eq!(
                walk(cx, order, "a", Direction::Out, 0).await?,
                once,
                "{order:?}(a, OUT)"
            );
        }
        check_eq!(
            walk(cx, Order::BreadthFirst, "a", Direction::Both, 0).await?,
            visits(&[("a", 0), ("b", 1), ("c", 1)]),
            "BreadthFirst(a, BOTH)"
        );
        check_eq!(
            walk(cx, Order::DepthFirst, "a", Direction::Both, 0).await?,
            once,
            "DepthFirst(a, BOTH)"
        );
        Ok(())
    }

    /// A node reachable along two paths (a diamond) is visited once, where it is first reached.
    pub async fn diamond_node_visited_once(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["a", "b", "c", "d", "e"],
            &[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e")],
        )
        .await?;
        check_eq!(
            walk(cx, Order::BreadthFirst, "a", Direction::Out, 0).await?,
            visits(&[("a", 0), ("b", 1), ("c", 1), ("d", 2), ("e", 3)]),
            "TraverseBreadthFirst(a, OUT)"
        );
        check_eq!(
            walk(cx, Order::DepthFirst, "a", Direction::Out, 0).await?,
            visits(&[("a", 0), ("b", 1), ("d", 2), ("e", 3), ("c", 1)]),
            "TraverseDepthFirst(a, OUT)"
        );
        Ok(())
    }

    /// Depth first gives a node the depth of the path that first reached it, not its distance.
    pub async fn depth_first_depth_is_that_of_the_reaching_path(cx: &mut Case) -> CaseResult {
        seed(cx, &["a", "b", "c"], &[("a", "c"), ("a", "b"), ("b", "c")]).await?;
        check_eq!(
            walk(cx, Order::DepthFirst, "a", Direction::Out, 0).await?,
            visits(&[("a", 0), ("b", 1), ("c", 2)]),
            "TraverseDepthFirst(a, OUT)"
        );
        check_eq!(
            walk(cx, Order::BreadthFirst, "a", Direction::Out, 0).await?,
            visits(&[("a", 0), ("b", 1), ("c", 1)]),
            "TraverseBreadthFirst(a, OUT)"
        );
        Ok(())
    }

    /// `max_depth` n visits nothing deeper than n edges from the start; 0 means no limit.
    pub async fn max_depth_limits_the_walk(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["a", "b", "c", "d", "e"],
            &[("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")],
        )
        .await?;
        for order in [Order::BreadthFirst, Order::DepthFirst] {
            check_eq!(
                walk(cx, order, "a", Direction::Out, 2).await?,
                visits(&[("a", 0), ("b", 1), ("c", 2)]),
                "{order:?}(a, OUT, max_depth 2)"
            );
            check_eq!(
                walk(cx, order, "a", Direction::Out, 1).await?,
                visits(&[("a", 0), ("b", 1)]),
                "{order:?}(a, OUT, max_depth 1)"
            );
            check_eq!(
                walk(cx, order, "a", Direction::Out, 0).await?,
                visits(&[("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4)]),
                "{order:?}(a, OUT, max_depth 0)"
            );
        }
        Ok(())
    }

    /// IN follows edges backwards, OUT forwards, BOTH either way; the rest stays unvisited.
    pub async fn direction_picks_the_edges_followed(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["a", "b", "c", "d", "e"],
            &[("a", "b"), ("c", "b"), ("b", "d"), ("e", "a")],
        )
        .await?;
        for (direction, want) in [
            (Direction::Out, visits(&[("b", 0), ("d", 1)])),
            (
                Direction::In,
                visits(&[("b", 0), ("a", 1), ("c", 1), ("e", 2)]),
            ),
            (
                Direction::Both,
                visits(&[("b", 0), ("a", 1), ("c", 1), ("d", 1), ("e", 2)]),
            ),
        ] {
            check_eq!(
                walk(cx, Order::BreadthFirst, "b", direction, 0).await?,
                want,
                "TraverseBreadthFirst(b, {direction:?})"
            );
        }
        Ok(())
    }

    /// A traversal from a missing node is NOT_FOUND.
    pub async fn missing_start_not_found(cx: &mut Case) -> CaseResult {
        seed(cx, &["a"], &[]).await?;
        let mut t = cx.graph_traversal();
        let req = || {
            cx.req(TraverseRequest {
                start: "nowhere".into(),
                ..Default::default()
            })
        };
        check_code!(t.traverse_depth_first(req()).await, Code::NotFound);
        check_code!(t.traverse_breadth_first(req()).await, Code::NotFound);
        Ok(())
    }

    /// A node without edges is a walk of itself alone.
    pub async fn isolated_start_visits_itself(cx: &mut Case) -> CaseResult {
        seed(cx, &["alone", "other"], &[("other", "other")]).await?;
        for order in [Order::BreadthFirst, Order::DepthFirst] {
            check_eq!(
                walk(cx, order, "alone", Direction::Both, 0).await?,
                visits(&[("alone", 0)]),
                "{order:?}(alone, BOTH)"
            );
        }
        Ok(())
    }

    /// Traversals in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::graph::isolated::Graphs(crate::graph::isolated::Reads::Traversal),
        )
        .await
    }

    /// An empty `start` is INVALID_ARGUMENT for both traversals.
    pub async fn empty_start_rejected(cx: &mut Case) -> CaseResult {
        let mut t = cx.graph_traversal();
        let req = || {
            cx.req(TraverseRequest {
                start: String::new(),
                ..Default::default()
            })
        };
        let bfs = t.traverse_breadth_first(req()).await;
        check_code!(bfs, Code::InvalidArgument);
        let dfs = t.traverse_depth_first(req()).await;
        check_code!(dfs, Code::InvalidArgument);
        Ok(())
    }
}
