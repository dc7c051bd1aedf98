use prism_suite::interface_suite;

/// `document_indexing`: CreateIndex, DropIndex, ListIndexes.
///
/// Rules: one index per field (ALREADY_EXISTS); a unique index rejects an Insert or Update that
/// duplicates its field's value with ALREADY_EXISTS and the write changes nothing; documents without
/// the field never collide; a unique index over existing duplicates is FAILED_PRECONDITION; a
/// non-unique or dropped index allows duplicates; ListIndexes is sorted and per collection. The
/// writes an index guards go through document_basic (this interface cannot write documents).
#[interface_suite("document_indexing")]
pub mod document_indexing {
    use prism_suite::prelude::*;
    use prism_suite::proto::document::*;
    use serde_json::{json, Value};

    use std::future::Future;

    use crate::document::{body_of, insert_all, insert_req};
    use crate::keyvalue::at_caller;

    const COLL: &str = "users";

    /// CreateIndex on `field` of COLL in the case's namespace.
    #[track_caller]
    fn index(cx: &Case, field: &str, unique: bool) -> impl Future<Output = CaseResult> + Send {
        let mut ix = cx.document_indexing();
        let req = cx.req(create_req(COLL, field, unique));
        at_caller(async move {
            ix.create_index(req).await?;
            Ok(())
        })
    }

    fn create_req(collection: &str, field: &str, unique: bool) -> CreateIndexRequest {
        CreateIndexRequest {
            collection: collection.into(),
            field: field.into(),
            unique,
            ..Default::default()
        }
    }

    fn drop_req(field: &str) -> DropIndexRequest {
        DropIndexRequest {
            collection: COLL.into(),
            field: field.into(),
            ..Default::default()
        }
    }

    /// ListIndexes of `collection` in namespace `ns` as `(field, unique)`.
    #[track_caller]
    fn listed_in(
        cx: &Case,
        ns: &str,
        collection: &str,
    ) -> impl Future<Output = Result<Vec<(String, bool)>, CaseError>> + Send {
        let mut ix = cx.document_indexing();
        let req = cx.req_in(
            ns,
            ListIndexesRequest {
                collection: collection.into(),
                ..Default::default()
            },
        );
        at_caller(async move {
            let indexes = ix.list_indexes(req).await?.into_inner().indexes;
            Ok(indexes.into_iter().map(|i| (i.field, i.unique)).collect())
        })
    }

    #[track_caller]
    fn listed(cx: &Case) -> impl Future<Output = Result<Vec<(String, bool)>, CaseError>> + Send {
        listed_in(cx, cx.namespace(), COLL)
    }

    fn indexes(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter().map(|(f, u)| ((*f).to_owned(), *u)).collect()
    }

    /// Inserts `body` as `id` and expects ALREADY_EXISTS, with nothing stored.
    async fn insert_rejected(cx: &Case, id: &str, body: Value) -> CaseResult {
        let mut d = cx.document_basic();
        let got = d.insert(cx.req(insert_req(COLL, id, &body))).await;
        check_code!(got, Code::AlreadyExists);
        check_eq!(
            body_of(cx, COLL, id).await?,
            None,
            "Get({id}) after the rejected Insert"
        );
        Ok(())
    }

    /// ListIndexes lists every index with its uniqueness, sorted by field.
    pub async fn create_and_list_indexes(cx: &mut Case) -> CaseResult {
        check_eq!(
            listed(cx).await?,
            indexes(&[]),
            "ListIndexes before any CreateIndex"
        );
        index(cx, "email", true).await?;
        index(cx, "age", false).await?;
        index(cx, "address.city", false).await?;
        check_eq!(
            listed(cx).await?,
            indexes(&[("address.city", false), ("age", false), ("email", true)]),
            "ListIndexes"
        );
        Ok(())
    }

    /// CreateIndex on a field that has an index is ALREADY_EXISTS and keeps the first index.
    pub async fn second_index_on_a_field_already_exists(cx: &mut Case) -> CaseResult {
        let mut ix = cx.document_indexing();
        index(cx, "email", false).await?;
        let again = ix
            .create_index(cx.req(create_req(COLL, "email", true)))
            .await;
        check_code!(again, Code::AlreadyExists);
        check_eq!(
            listed(cx).await?,
            indexes(&[("email", false)]),
            "ListIndexes"
        );
        Ok(())
    }

    /// A unique index rejects an Insert duplicating its value (numbers by value) with ALREADY_EXISTS.
    pub async fn unique_index_rejects_duplicate_insert(cx: &mut Case) -> CaseResult {
        index(cx, "email", true).await?;
        index(cx, "n", true).await?;
        insert_all(
            cx,
            COLL,
            &[("u1", json!({"email": "ann@example.com", "n": 1}))],
        )
        .await?;
        insert_rejected(cx, "u2", json!({"email": "ann@example.com", "n": 2})).await?;
        insert_rejected(cx, "u3", json!({"email": "cid@example.com", "n": 1.0})).await?;
        insert_all(
            cx,
            COLL,
            &[("u4", json!({"email": "ANN@example.com", "n": 4}))],
        )
        .await?;
        Ok(())
    }

    /// A unique index rejects an Update to a taken value, leaving the document unchanged; keeping one's own value is fine.
    pub async fn unique_index_rejects_duplicate_update(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        index(cx, "email", true).await?;
        insert_all(
            cx,
            COLL,
            &[
                ("u1", json!({"email": "a@x"})),
                ("u2", json!({"email": "b@x"})),
            ],
        )
        .await?;
        let update = |id: &str, body: Value| {
            cx.req(UpdateRequest {
                collection: COLL.into(),
                id: id.into(),
                json: body.to_string(),
                ..Default::default()
            })
        };
        let taken = d
            .update(update("u2", json!({"email": "a@x", "v": 2})))
            .await;
        check_code!(taken, Code::AlreadyExists);
        check_eq!(
            body_of(cx, COLL, "u2").await?,
            Some(json!({"email": "b@x"})),
            "Get(u2)"
        );
        d.update(update("u1", json!({"email": "a@x", "v": 1})))
            .await?;
        check_eq!(
            body_of(cx, COLL, "u1").await?,
            Some(json!({"email": "a@x", "v": 1})),
            "Get(u1)"
        );
        Ok(())
    }

    /// A unique index on a dotted path guards the nested value.
    pub async fn unique_index_on_nested_field(cx: &mut Case) -> CaseResult {
        index(cx, "profile.handle", true).await?;
        insert_all(
            cx,
            COLL,
            &[
                ("u1", json!({"profile": {"handle": "zoë"}})),
                ("u2", json!({"handle": "zoë", "profile": {"handle": "zoe"}})),
            ],
        )
        .await?;
        insert_rejected(cx, "u3", json!({"profile": {"handle": "zoë", "other": 1}})).await
    }

    /// Documents without the field of a unique index never collide with each other.
    pub async fn unique_index_ignores_missing_fields(cx: &mut Case) -> CaseResult {
        index(cx, "email", true).await?;
        insert_all(
            cx,
            COLL,
            &[
                ("u1", json!({"name": "no email"})),
                ("u2", json!({"name": "no email either"})),
                ("u3", json!({"email": "c@x"})),
            ],
        )
        .await?;
        check_eq!(
            body_of(cx, COLL, "u2").await?,
            Some(json!({"name": "no email either"})),
            "Get(u2)"
        );
        Ok(())
    }

    /// A unique index over a collection holding duplicates is FAILED_PRECONDITION and is not created.
    pub async fn unique_index_over_duplicates_fails(cx: &mut Case) -> CaseResult {
        let mut ix = cx.document_indexing();
        insert_all(
            cx,
            COLL,
            &[
                ("u1", json!({"team": "red"})),
                ("u2", json!({"team": "blue"})),
                ("u3", json!({"team": "red"})),
            ],
        )
        .await?;
        let got = ix
            .create_index(cx.req(create_req(COLL, "team", true)))
            .await;
        check_code!(got, Code::FailedPrecondition);
        check_eq!(
            listed(cx).await?,
            indexes(&[]),
            "ListIndexes after the failed CreateIndex"
        );
        insert_all(cx, COLL, &[("u4", json!({"team": "blue"}))]).await?;
        Ok(())
    }

    /// A non-unique index accepts duplicate values.
    pub async fn non_unique_index_accepts_duplicates(cx: &mut Case) -> CaseResult {
        index(cx, "team", false).await?;
        insert_all(
            cx,
            COLL,
            &[
                ("u1", json!({"team": "red"})),
                ("u2", json!({"team": "red"})),
            ],
        )
        .await?;
        check_eq!(
            body_of(cx, COLL, "u2").await?,
            Some(json!({"team": "red"})),
            "Get(u2)"
        );
        Ok(())
    }

    /// DropIndex reports whether the index existed, and once a unique index is dropped duplicates are allowed.
    pub async fn dropped_index_allows_duplicates(cx: &mut Case) -> CaseResult {
        let mut ix = cx.document_indexing();
        index(cx, "email", true).await?;
        insert_all(cx, COLL, &[("u1", json!({"email": "a@x"}))]).await?;
        check_eq!(
            ix.drop_index(cx.req(drop_req("email")))
                .await?
                .into_inner()
                .found,
            true,
            "first DropIndex"
        );
        check_eq!(
            ix.drop_index(cx.req(drop_req("email")))
                .await?
                .into_inner()
                .found,
            false,
            "second DropIndex"
        );
        check_eq!(
            listed(cx).await?,
            indexes(&[]),
            "ListIndexes after DropIndex"
        );
        insert_all(cx, COLL, &[("u2", json!({"email": "a@x"}))]).await?;
        Ok(())
    }

    /// Indexes belong to one collection of one namespace: elsewhere they are not listed and do not guard.
    pub async fn indexes_are_per_collection(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        index(cx, "email", true).await?;
        check_eq!(
            listed_in(cx, cx.namespace(), "admins").await?,
            indexes(&[]),
            "ListIndexes(admins)"
        );
        check_eq!(
            listed_in(cx, &other, COLL).await?,
            indexes(&[]),
            "ListIndexes in another namespace"
        );
        insert_all(
            cx,
            "admins",
            &[
                ("a1", json!({"email": "a@x"})),
                ("a2", json!({"email": "a@x"})),
            ],
        )
        .await?;
        insert_all(cx, COLL, &[("u1", json!({"email": "a@x"}))]).await?;
        let mut d = cx.document_basic();
        d.insert(cx.req_in(&other, insert_req(COLL, "u1", &json!({"email": "a@x"}))))
            .await?;
        d.insert(cx.req_in(&other, insert_req(COLL, "u2", &json!({"email": "a@x"}))))
            .await?;
        Ok(())
    }

    /// An empty field or collection is INVALID_ARGUMENT.
    pub async fn empty_field_rejected(cx: &mut Case) -> CaseResult {
        let mut ix = cx.document_indexing();
        check_code!(
            ix.create_index(cx.req(create_req(COLL, "", false))).await,
            Code::InvalidArgument
        );
        check_code!(
            ix.create_index(cx.req(create_req("", "email", false)))
                .await,
            Code::InvalidArgument
        );
        Ok(())
    }

    /// Indexes created and dropped in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::document::isolated::Documents(crate::document::isolated::Uses::Indexing),
        )
        .await
    }

    /// Indexes never change query results (document_query Find), only which writes are allowed. A backend without document_query has no queries to change: only the stored documents are compared then.
    pub async fn indexes_do_not_change_query_results(cx: &mut Case) -> CaseResult {
        insert_all(
            cx,
            COLL,
            &[
                ("u1", json!({ "email": "a@x", "age": 30 })),
                ("u2", json!({ "email": "b@x", "age": 30 })),
                ("u3", json!({ "age": 41 })),
            ],
        )
        .await?;
        let find = |cx: &Case| {
            let mut q = cx.document_query();
            let req = cx.req(FindRequest {
                collection: COLL.into(),
                filter: vec![Condition {
                    field: "age".into(),
                    op: FilterOp::Eq as i32,
                    value: "30".into(),
                }],
                ..Default::default()
            });
            async move {
                match q.find(req).await {
                    Ok(r) => Ok(Some(
                        r.into_inner()
                            .documents
                            .into_iter()
                            .map(|d| d.id)
                            .collect::<Vec<_>>(),
                    )),
                    Err(s) if s.code() == Code::Unimplemented => Ok(None),
                    Err(s) => Err(CaseError::from(s)),
                }
            }
        };
        let before = find(cx).await?;
        let mut ix = cx.document_indexing();
        for (field, unique) in [("email", true), ("age", false)] {
            ix.create_index(cx.req(CreateIndexRequest {
                collection: COLL.into(),
                field: field.into(),
                unique,
                ..Default::default()
            }))
            .await?;
        }
        let after = find(cx).await?;
        check_eq!(after, before, "Find by age before and after indexing");
        if let Some(ids) = after {
            check_eq!(ids, vec!["u1".to_owned(), "u2".to_owned()], "Find by age");
        }
        for id in ["u1", "u2", "u3"] {
            check!(
                body_of(cx, COLL, id).await?.is_some(),
                "document {id} after indexing"
            );
        }
        Ok(())
    }
}
