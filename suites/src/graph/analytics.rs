use prism_suite::interface_suite;

/// `graph_analytics`: ShortestPath, PageRank, ConnectedComponents.
///
/// Rules, on small graphs with known answers: shortest paths are unweighted, directed, the fewest
/// hops, ties to the smallest id sequence, `hops` = edges on the path, no path is found = false and
/// a missing endpoint NOT_FOUND; PageRank matches the fixed point of the proto's iteration (damping
/// 0.85 by default, dangling rank spread evenly) within 1e-6; connected components are weak, sorted.
/// Graphs are built with graph_basic (this interface cannot write).
#[interface_suite("graph_analytics")]
pub mod graph_analytics {
    use prism_suite::prelude::*;
    use prism_suite::proto::graph::*;

    use std::future::Future;

    use crate::graph::seed;
    use crate::keyvalue::at_caller;

    /// How far a rank may be from the exact fixed point.
    const TOLERANCE: f64 = 1e-6;

    /// ShortestPath as `(found, path, hops)`.
    #[track_caller]
    fn path(
        cx: &Case,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Result<(bool, Vec<String>, u32), CaseError>> + Send {
        let mut a = cx.graph_analytics();
        let req = cx.req(ShortestPathRequest {
            from: from.into(),
            to: to.into(),
            ..Default::default()
        });
        at_caller(async move {
            let r = a.shortest_path(req).await?.into_inner();
            Ok((r.found, r.path, r.hops))
        })
    }

    fn found(path: &[&str]) -> (bool, Vec<String>, u32) {
        let hops = u32::try_from(path.len() - 1).unwrap_or(u32::MAX);
        (true, path.iter().map(|s| (*s).to_owned()).collect(), hops)
    }

    /// PageRank as `(node id, rank)` sorted by id.
    #[track_caller]
    fn ranks(
        cx: &Case,
        damping: f64,
    ) -> impl Future<Output = Result<Vec<(String, f64)>, CaseError>> + Send {
        let mut a = cx.graph_analytics();
        let req = cx.req(PageRankRequest {
            damping,
            ..Default::default()
        });
        at_caller(async move {
            let r = a.page_rank(req).await?.into_inner();
            Ok(r.ranks.into_iter().map(|n| (n.node_id, n.rank)).collect())
        })
    }

    /// Whether `got` has exactly the ids of `want`, in order, each rank within TOLERANCE.
    fn close(got: &[(String, f64)], want: &[(&str, f64)]) -> bool {
        got.len() == want.len()
            && got
                .iter()
                .zip(want)
                .all(|((id, r), (wid, wr))| id == wid && (r - wr).abs() <= TOLERANCE)
    }

    /// The shortest path along a chain is the chain, with hops = its number of edges.
    pub async fn shortest_path_along_a_chain(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["a", "b", "c", "d"],
            &[("a", "b"), ("b", "c"), ("c", "d")],
        )
        .await?;
        check_eq!(
            path(cx, "a", "d").await?,
            found(&["a", "b", "c", "d"]),
            "ShortestPath(a, d)"
        );
        check_eq!(
            path(cx, "b", "c").await?,
            found(&["b", "c"]),
            "ShortestPath(b, c)"
        );
        Ok(())
    }

    /// Of two routes the one with fewer hops wins, whatever the order the edges were added in.
    pub async fn shortest_path_takes_fewest_hops(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["a", "b", "c", "d", "z", "t"],
            &[
                ("a", "b"),
                ("b", "c"),
                ("c", "d"),
                ("d", "t"),
                ("a", "z"),
                ("z", "t"),
            ],
        )
        .await?;
        check_eq!(
            path(cx, "a", "t").await?,
            found(&["a", "z", "t"]),
            "ShortestPath(a, t)"
        );
        Ok(())
    }

    /// Paths follow edge direction: against every edge there is no path (found = false, empty, 0 hops).
    pub async fn shortest_path_follows_edge_direction(cx: &mut Case) -> CaseResult {
        seed(cx, &["a", "b", "c", "island"], &[("a", "b"), ("b", "c")]).await?;
        check_eq!(
            path(cx, "c", "a").await?,
            (false, Vec::new(), 0),
            "ShortestPath(c, a)"
        );
        check_eq!(
            path(cx, "a", "island").await?,
            (false, Vec::new(), 0),
            "ShortestPath(a, island)"
        );
        Ok(())
    }

    /// The path from a node to itself is that node alone, 0 hops, even on a cycle.
    pub async fn shortest_path_to_itself_is_zero_hops(cx: &mut Case) -> CaseResult {
        seed(cx, &["a", "b"], &[("a", "b"), ("b", "a"), ("a", "a")]).await?;
        check_eq!(
            path(cx, "a", "a").await?,
            found(&["a"]),
            "ShortestPath(a, a)"
        );
        Ok(())
    }

    /// Among equally short paths the one with the smallest id sequence is returned.
    pub async fn shortest_path_ties_take_smallest_ids(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["s", "y", "x", "q", "p", "t"],
            &[
                ("s", "y"),
                ("y", "p"),
                ("p", "t"),
                ("s", "x"),
                ("x", "q"),
                ("q", "t"),
            ],
        )
        .await?;
        check_eq!(
            path(cx, "s", "t").await?,
            found(&["s", "x", "q", "t"]),
            "ShortestPath(s, t)"
        );
        Ok(())
    }

    /// ShortestPath from or to a missing node is NOT_FOUND.
    pub async fn shortest_path_missing_node_not_found(cx: &mut Case) -> CaseResult {
        seed(cx, &["a"], &[]).await?;
        let mut a = cx.graph_analytics();
        for (from, to) in [("a", "nowhere"), ("nowhere", "a")] {
            let got = a
                .shortest_path(cx.req(ShortestPathRequest {
                    from: from.into(),
                    to: to.into(),
                    ..Default::default()
                }))
                .await;
            check_code!(got, Code::NotFound);
        }
        Ok(())
    }

    /// On a directed cycle every node has rank 1/N.
    pub async fn page_rank_of_a_cycle_is_uniform(cx: &mut Case) -> CaseResult {
        seed(cx, &["a", "b", "c"], &[("a", "b"), ("b", "c"), ("c", "a")]).await?;
        let got = ranks(cx, 0.0).await?;
        let third = 1.0 / 3.0;
        check!(
            close(&got, &[("a", third), ("b", third), ("c", third)]),
            "PageRank: {got:?}"
        );
        Ok(())
    }

    /// PageRank of the classic a -> {b, c}, b -> c, c -> a graph matches its known values.
    pub async fn page_rank_known_values(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["a", "b", "c"],
            &[("a", "b"), ("a", "c"), ("b", "c"), ("c", "a")],
        )
        .await?;
        // a = .05 + .85c, b = .05 + .425a, c = .05 + .425a + .85b, solved exactly.
        let a = 0.128625 / 0.3316875;
        let b = 0.05 + 0.425 * a;
        let c = (a - 0.05) / 0.85;
        let got = ranks(cx, 0.0).await?;
        check!(
            close(&got, &[("a", a), ("b", b), ("c", c)]),
            "PageRank: {got:?}, expected a {a}, b {b}, c {c}"
        );
        Ok(())
    }

    /// Nodes nobody links to keep only the teleport share (1 - d) / N; the rest follows the links.
    pub async fn page_rank_of_a_star(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["a", "b", "c", "d"],
            &[("a", "c"), ("b", "c"), ("d", "c"), ("c", "a")],
        )
        .await?;
        // b = d = .15 / 4; c = .0375 + .85 (a + b + d); a = .0375 + .85c, solved exactly.
        let a = 0.1235625 / 0.2775;
        let c = 0.10125 + 0.85 * a;
        let got = ranks(cx, 0.0).await?;
        check!(
            close(&got, &[("a", a), ("b", 0.0375), ("c", c), ("d", 0.0375)]),
            "PageRank: {got:?}, expected a {a}, b 0.0375, c {c}, d 0.0375"
        );
        Ok(())
    }

    /// A node without outgoing edges spreads its rank over every node; ranks sum to 1.
    pub async fn page_rank_spreads_dangling_rank(cx: &mut Case) -> CaseResult {
        seed(cx, &["x", "y"], &[("x", "y")]).await?;
        // x = .075 + .425y and x + y = 1 (y is dangling).
        let x = 0.5 / 1.425;
        let got = ranks(cx, 0.0).await?;
        check!(
            close(&got, &[("x", x), ("y", 1.0 - x)]),
            "PageRank (y dangling): {got:?}"
        );
        Ok(())
    }

    /// An explicit damping factor is used instead of the default 0.85.
    pub async fn page_rank_uses_given_damping(cx: &mut Case) -> CaseResult {
        seed(cx, &["a", "b"], &[("a", "b")]).await?;
        // a = .25 + .25b, a + b = 1.
        let got = ranks(cx, 0.5).await?;
        check!(
            close(&got, &[("a", 0.4), ("b", 0.6)]),
            "PageRank(damping 0.5): {got:?}"
        );
        Ok(())
    }

    /// Components are weakly connected, each sorted, sorted by first id; isolated nodes stand alone.
    pub async fn connected_components_are_weak(cx: &mut Case) -> CaseResult {
        seed(
            cx,
            &["g", "f", "e", "d", "c", "b", "a"],
            &[("b", "a"), ("c", "b"), ("e", "d"), ("g", "g")],
        )
        .await?;
        let mut a = cx.graph_analytics();
        let got: Vec<Vec<String>> = a
            .connected_components(cx.req(ConnectedComponentsRequest::default()))
            .await?
            .into_inner()
            .components
            .into_iter()
            .map(|c| c.node_ids)
            .collect();
        let want: Vec<Vec<String>> = [vec!["a", "b", "c"], vec!["d", "e"], vec!["f"], vec!["g"]]
            .into_iter()
            .map(|c| c.into_iter().map(str::to_owned).collect())
            .collect();
        check_eq!(got, want, "ConnectedComponents");
        Ok(())
    }

    /// An empty graph has no ranks and no components.
    pub async fn empty_graph_has_no_results(cx: &mut Case) -> CaseResult {
        let mut a = cx.graph_analytics();
        let pr = a
            .page_rank(cx.req(PageRankRequest::default()))
            .await?
            .into_inner();
        check_eq!(
            pr.ranks,
            Vec::<NodeRank>::new(),
            "PageRank of an empty graph"
        );
        let cc = a
            .connected_components(cx.req(ConnectedComponentsRequest::default()))
            .await?
            .into_inner();
        check_eq!(
            cc.components,
            Vec::<Component>::new(),
            "ConnectedComponents of an empty graph"
        );
        Ok(())
    }

    /// Shortest paths and components in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::graph::isolated::Graphs(crate::graph::isolated::Reads::Analytics),
        )
        .await
    }

    /// A damping factor outside [0, 1) is INVALID_ARGUMENT (0 means the default 0.85).
    pub async fn damping_out_of_range_rejected(cx: &mut Case) -> CaseResult {
        seed(cx, &["a", "b"], &[("a", "b")]).await?;
        let mut g = cx.graph_analytics();
        for damping in [1.0, 1.5, -0.1, f64::NAN] {
            let got = g
                .page_rank(cx.req(PageRankRequest {
                    damping,
                    ..Default::default()
                }))
                .await;
            check_code!(got, Code::InvalidArgument);
        }
        Ok(())
    }
}
