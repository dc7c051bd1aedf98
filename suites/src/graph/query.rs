use prism_suite::interface_suite;

/// `graph_query`: GetQueryLanguages, GremlinQuery, CypherQuery, SparqlQuery.
///
/// Rules: a backend declares its languages and always answers the Gremlin subset of the proto; an
/// undeclared language is UNIMPLEMENTED; V / out / in / both / hasLabel / has / values / dedup /
/// limit / count mean what the proto says, in a defined order; anything outside the subset is
/// INVALID_ARGUMENT. The graph is built with graph_basic (this interface cannot write).
#[interface_suite("graph_query")]
pub mod graph_query {
    use prism_suite::prelude::*;
    use prism_suite::proto::graph::*;

    use std::future::Future;

    use crate::graph::{build, edge, node};
    use crate::keyvalue::at_caller;

    /// A small social graph:
    /// alice -knows-> bob, alice -knows-> carol, bob -knows-> carol, carol -knows-> dave,
    /// dave -knows-> alice, alice -works_at-> acme, bob -works_at-> acme.
    #[track_caller]
    fn social(cx: &Case) -> impl Future<Output = CaseResult> + Send {
        build(
            cx,
            vec![
                node("dave", "person", &[("name", "Dave")]),
                node("acme", "company", &[("name", "Acme")]),
                node("carol", "person", &[("name", "Carol")]),
                node("bob", "person", &[("name", "Bob")]),
                node("alice", "person", &[("name", "Alice"), ("age", "30")]),
            ],
            vec![
                edge("e7", "bob", "acme", "works_at"),
                edge("e6", "alice", "acme", "works_at"),
                edge("e5", "dave", "alice", "knows"),
                edge("e4", "carol", "dave", "knows"),
                edge("e3", "bob", "carol", "knows"),
                edge("e2", "alice", "carol", "knows"),
                edge("e1", "alice", "bob", "knows"),
            ],
        )
    }

    /// GremlinQuery's results.
    #[track_caller]
    fn gremlin(
        cx: &Case,
        query: &str,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut q = cx.graph_query();
        let req = cx.req(GraphQueryRequest {
            query: query.into(),
            ..Default::default()
        });
        at_caller(async move { Ok(q.gremlin_query(req).await?.into_inner().results) })
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    async fn languages(cx: &Case) -> Result<Vec<String>, CaseError> {
        let mut q = cx.graph_query();
        let req = cx.req(GetQueryLanguagesRequest::default());
        Ok(q.get_query_languages(req).await?.into_inner().languages)
    }

    /// GetQueryLanguages declares gremlin, in lowercase, among known language names only.
    pub async fn declares_gremlin(cx: &mut Case) -> CaseResult {
        let declared = languages(cx).await?;
        check!(
            declared.iter().any(|l| l == "gremlin"),
            "GetQueryLanguages answered {declared:?}"
        );
        for language in &declared {
            check!(
                ["gremlin", "cypher", "sparql"].contains(&language.as_str()),
                "GetQueryLanguages declared unknown language {language:?}"
            );
        }
        Ok(())
    }

    /// A language the backend does not declare answers UNIMPLEMENTED.
    pub async fn undeclared_language_unimplemented(cx: &mut Case) -> CaseResult {
        let declared = languages(cx).await?;
        let mut q = cx.graph_query();
        let req = |query: &str| {
            cx.req(GraphQueryRequest {
                query: query.into(),
                ..Default::default()
            })
        };
        if !declared.iter().any(|l| l == "cypher") {
            let got = q.cypher_query(req("MATCH (n) RETURN n.id")).await;
            check_code!(got, Code::Unimplemented);
        }
        if !declared.iter().any(|l| l == "sparql") {
            let got = q.sparql_query(req("SELECT ?s WHERE { ?s ?p ?o }")).await;
            check_code!(got, Code::Unimplemented);
        }
        Ok(())
    }

    /// V() starts from every node in id order; V(ids) from those ids in the given order, skipping missing ones.
    pub async fn v_starts_from_given_ids(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        check_eq!(
            gremlin(cx, "g.V()").await?,
            strings(&["acme", "alice", "bob", "carol", "dave"]),
            "g.V()"
        );
        check_eq!(
            gremlin(cx, "g.V('carol', 'nobody', \"alice\")").await?,
            strings(&["carol", "alice"]),
            "g.V('carol', 'nobody', \"alice\")"
        );
        check_eq!(
            gremlin(cx, "g.V('nobody')").await?,
            Vec::<String>::new(),
            "g.V('nobody')"
        );
        Ok(())
    }

    /// out(label) follows outgoing edges of that label (any label without one), by target id.
    pub async fn out_follows_outgoing_edges(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        check_eq!(
            gremlin(cx, "g.V('alice').out('knows')").await?,
            strings(&["bob", "carol"]),
            "g.V('alice').out('knows')"
        );
        check_eq!(
            gremlin(cx, "g.V('alice').out()").await?,
            strings(&["acme", "bob", "carol"]),
            "g.V('alice').out()"
        );
        check_eq!(
            gremlin(cx, "g.V('acme').out('knows')").await?,
            Vec::<String>::new(),
            "g.V('acme').out('knows')"
        );
        Ok(())
    }

    /// in(label) follows incoming edges; both(label) gives the out results, then the in results.
    pub async fn in_and_both_follow_incoming_edges(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        check_eq!(
            gremlin(cx, "g.V('carol').in('knows')").await?,
            strings(&["alice", "bob"]),
            "g.V('carol').in('knows')"
        );
        check_eq!(
            gremlin(cx, "g.V('acme').in()").await?,
            strings(&["alice", "bob"]),
            "g.V('acme').in()"
        );
        check_eq!(
            gremlin(cx, "g.V('bob').both('knows')").await?,
            strings(&["carol", "alice"]),
            "g.V('bob').both('knows')"
        );
        Ok(())
    }

    /// Chained steps keep one traverser per path, duplicates included, until dedup().
    pub async fn chained_steps_keep_duplicates_until_dedup(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        check_eq!(
            gremlin(cx, "g.V('alice').out('knows').out()").await?,
            strings(&["acme", "carol", "dave"]),
            "g.V('alice').out('knows').out()"
        );
        check_eq!(
            gremlin(cx, "g.V('alice', 'bob').out('works_at')").await?,
            strings(&["acme", "acme"]),
            "g.V('alice', 'bob').out('works_at')"
        );
        check_eq!(
            gremlin(cx, "g.V('alice', 'bob').out('works_at').dedup()").await?,
            strings(&["acme"]),
            "g.V('alice', 'bob').out('works_at').dedup()"
        );
        check_eq!(
            gremlin(cx, "g.V('alice', 'bob').out('knows')").await?,
            strings(&["bob", "carol", "carol"]),
            "g.V('alice', 'bob').out('knows')"
        );
        Ok(())
    }

    /// hasLabel(l) keeps nodes labelled l; has(k, v) keeps nodes whose property k is v.
    pub async fn has_label_and_has_filter_nodes(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        check_eq!(
            gremlin(cx, "g.V().hasLabel('person')").await?,
            strings(&["alice", "bob", "carol", "dave"]),
            "g.V().hasLabel('person')"
        );
        check_eq!(
            gremlin(cx, "g.V('alice').out().hasLabel('company')").await?,
            strings(&["acme"]),
            "g.V('alice').out().hasLabel('company')"
        );
        check_eq!(
            gremlin(cx, "g.V().has('name', 'Bob')").await?,
            strings(&["bob"]),
            "g.V().has('name', 'Bob')"
        );
        check_eq!(
            gremlin(cx, "g.V().has('name', 'bob')").await?,
            Vec::<String>::new(),
            "g.V().has('name', 'bob') (case-sensitive)"
        );
        Ok(())
    }

    /// values(k) maps nodes to their property k, dropping nodes without it.
    pub async fn values_maps_to_property(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        check_eq!(
            gremlin(cx, "g.V('alice').out('knows').values('name')").await?,
            strings(&["Bob", "Carol"]),
            "g.V('alice').out('knows').values('name')"
        );
        check_eq!(
            gremlin(cx, "g.V().values('age')").await?,
            strings(&["30"]),
            "g.V().values('age')"
        );
        Ok(())
    }

    /// limit(n) keeps the first n traversers; count() answers their number in decimal.
    pub async fn limit_and_count(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        check_eq!(
            gremlin(cx, "g.V().limit(2)").await?,
            strings(&["acme", "alice"]),
            "g.V().limit(2)"
        );
        check_eq!(
            gremlin(cx, "g.V().hasLabel('person').count()").await?,
            strings(&["4"]),
            "g.V().hasLabel('person').count()"
        );
        check_eq!(
            gremlin(
                cx,
                "g.V('alice', 'bob').out('works_at').values('name').dedup().count()"
            )
            .await?,
            strings(&["1"]),
            "...values('name').dedup().count()"
        );
        check_eq!(
            gremlin(cx, "g.V('nobody').count()").await?,
            strings(&["0"]),
            "g.V('nobody').count()"
        );
        Ok(())
    }

    /// A query outside the Gremlin subset is INVALID_ARGUMENT.
    pub async fn malformed_query_invalid_argument(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        let mut q = cx.graph_query();
        for bad in [
            "",
            "g",
            "g.V(",
            "g.V('alice'",
            "g.E()",
            "v.V()",
            "g.V().outE()",
            "g.V().out('knows'",
            "g.V('unterminated)",
            "g.V().limit('two')",
            "g.V().has('name')",
            "g.V().values('name').out()",
            "g.V().count().limit(1)",
            "g.V() .",
            "MATCH (n) RETURN n",
        ] {
            let got = q
                .gremlin_query(cx.req(GraphQueryRequest {
                    query: bad.into(),
                    ..Default::default()
                }))
                .await;
            check_code!(got, Code::InvalidArgument);
        }
        Ok(())
    }

    /// A query sees only the graph of its own namespace.
    pub async fn query_is_namespace_isolated(cx: &mut Case) -> CaseResult {
        social(cx).await?;
        let mut q = cx.graph_query();
        let other = cx.other_namespace();
        let got = q
            .gremlin_query(cx.req_in(
                &other,
                GraphQueryRequest {
                    query: "g.V()".into(),
                    ..Default::default()
                },
            ))
            .await?;
        check_eq!(
            got.into_inner().results,
            Vec::<String>::new(),
            "g.V() in another namespace"
        );
        Ok(())
    }

    /// Gremlin queries in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::graph::isolated::Graphs(crate::graph::isolated::Reads::Query),
        )
        .await
    }
}
