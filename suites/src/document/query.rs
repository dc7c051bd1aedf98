use prism_suite::interface_suite;

/// `document_query`: Find, FindOne, Aggregate.
///
/// Rules: conditions on dotted paths (objects only) are ANDed; EQ / IN need the field and compare
/// numbers by value; NE is the negation of EQ and so matches a missing field; GT / LT compare only
/// numbers with numbers and strings with strings; a missing field never matches EQ, GT, LT, IN;
/// sort keys order by the stated value order with ties by id; limit takes the first; FindOne is
/// Find's first; Aggregate groups by a field with COUNT / SUM / AVG. Documents are inserted with
/// document_basic (this interface cannot write).
#[interface_suite("document_query")]
pub mod document_query {
    use prism_suite::prelude::*;
    use prism_suite::proto::document::*;
    use serde_json::{json, Value};

    use std::future::Future;

    use crate::document::{insert_all, parse};
    use crate::keyvalue::at_caller;

    const COLL: &str = "people";

    /// Six people with nested, missing, null and oddly typed fields.
    #[track_caller]
    fn people(cx: &Case) -> impl Future<Output = CaseResult> + Send {
        insert_all(
            cx,
            COLL,
            &[
                (
                    "p4",
                    json!({"name": "Dag", "age": "40", "address": {"city": "Tromsø"}}),
                ),
                (
                    "p2",
                    json!({"name": "Bob", "age": 25, "address": {"city": "Bergen"}, "score": 9}),
                ),
                (
                    "p6",
                    json!({"name": "Fay", "age": 31.0, "address": {"city": null}}),
                ),
                (
                    "p1",
                    json!({"name": "Ann", "age": 31, "address": {"city": "Oslo", "zip": "0150"}, "tags": ["a", "b"], "score": 7.5}),
                ),
                ("p5", json!({"name": "Eve", "address": "Oslo"})),
                (
                    "p3",
                    json!({"name": "Cid", "age": 40, "address": {"city": "Oslo"}, "score": 5}),
                ),
            ],
        )
    }

    fn cond(field: &str, op: FilterOp, value: Value) -> Condition {
        Condition {
            field: field.into(),
            op: op as i32,
            value: value.to_string(),
        }
    }

    fn asc(field: &str) -> SortKey {
        SortKey {
            field: field.into(),
            descending: false,
        }
    }

    fn desc(field: &str) -> SortKey {
        SortKey {
            field: field.into(),
            descending: true,
        }
    }

    /// The ids Find answers, in order.
    #[track_caller]
    fn find(
        cx: &Case,
        filter: Vec<Condition>,
        sort: Vec<SortKey>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut q = cx.document_query();
        let req = cx.req(FindRequest {
            collection: COLL.into(),
            filter,
            sort,
            limit,
            ..Default::default()
        });
        at_caller(async move {
            let docs = q.find(req).await?.into_inner().documents;
            Ok(docs.into_iter().map(|d| d.id).collect())
        })
    }

    /// The ids of the documents matching `filter`, in id order.
    #[track_caller]
    fn matching(
        cx: &Case,
        filter: Vec<Condition>,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        find(cx, filter, Vec::new(), 0)
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Aggregate's groups as `(key, value, count)`, keys parsed.
    #[track_caller]
    fn aggregate(
        cx: &Case,
        group_by: &str,
        op: AggregateOp,
        field: &str,
    ) -> impl Future<Output = Result<Vec<(Value, f64, u64)>, CaseError>> + Send {
        let mut q = cx.document_query();
        let req = cx.req(AggregateRequest {
            collection: COLL.into(),
            group_by: group_by.into(),
            op: op as i32,
            field: field.into(),
            ..Default::default()
        });
        at_caller(async move {
            let groups = q.aggregate(req).await?.into_inner().groups;
            groups
                .into_iter()
                .map(|g| Ok((parse(&g.key)?, g.value, g.count)))
                .collect()
        })
    }

    /// EQ on a dotted path matches nested values; a path through a scalar finds nothing.
    pub async fn eq_on_nested_field(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            matching(cx, vec![cond("address.city", FilterOp::Eq, json!("Oslo"))]).await?,
            ids(&["p1", "p3"]),
            "address.city EQ \"Oslo\""
        );
        check_eq!(
            matching(cx, vec![cond("address", FilterOp::Eq, json!("Oslo"))]).await?,
            ids(&["p5"]),
            "address EQ \"Oslo\""
        );
        Ok(())
    }

    /// Find answers the matching documents' bodies as stored.
    pub async fn find_returns_stored_bodies(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        let mut q = cx.document_query();
        let docs = q
            .find(cx.req(FindRequest {
                collection: COLL.into(),
                filter: vec![cond("name", FilterOp::Eq, json!("Ann"))],
                ..Default::default()
            }))
            .await?
            .into_inner()
            .documents;
        check_eq!(docs.len(), 1, "Find(name EQ \"Ann\") count");
        check_eq!(docs[0].id, "p1", "Find(name EQ \"Ann\") id");
        check_eq!(
            parse(&docs[0].json)?,
            json!({"name": "Ann", "age": 31, "address": {"city": "Oslo", "zip": "0150"}, "tags": ["a", "b"], "score": 7.5}),
            "Find(name EQ \"Ann\") body"
        );
        Ok(())
    }

    /// Numbers compare by value: 31 and 31.0 are equal, the string "40" is not the number 40.
    pub async fn numbers_compare_by_value(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            matching(cx, vec![cond("age", FilterOp::Eq, json!(31))]).await?,
            ids(&["p1", "p6"]),
            "age EQ 31"
        );
        check_eq!(
            matching(cx, vec![cond("age", FilterOp::Eq, json!(40.0))]).await?,
            ids(&["p3"]),
            "age EQ 40.0"
        );
        Ok(())
    }

    /// NE is the negation of EQ, so it matches documents without the field.
    pub async fn ne_matches_missing_field(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            matching(cx, vec![cond("age", FilterOp::Ne, json!(31))]).await?,
            ids(&["p2", "p3", "p4", "p5"]),
            "age NE 31"
        );
        check_eq!(
            matching(cx, vec![cond("address.city", FilterOp::Ne, json!("Oslo"))]).await?,
            ids(&["p2", "p4", "p5", "p6"]),
            "address.city NE \"Oslo\""
        );
        Ok(())
    }

    /// A missing field never matches EQ, GT, LT or IN (not even EQ null, which matches an explicit null).
    pub async fn missing_field_never_matches(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        for (op, value) in [
            (FilterOp::Eq, json!(null)),
            (FilterOp::Gt, json!(0)),
            (FilterOp::Lt, json!("zzz")),
            (FilterOp::In, json!([null, 0, ""])),
        ] {
            check_eq!(
                matching(cx, vec![cond("nickname", op, value.clone())]).await?,
                Vec::<String>::new(),
                "nickname {op:?} {value}"
            );
        }
        check_eq!(
            matching(cx, vec![cond("address.city", FilterOp::Eq, json!(null))]).await?,
            ids(&["p6"]),
            "address.city EQ null"
        );
        check_eq!(
            matching(cx, vec![cond("score", FilterOp::Lt, json!(100))]).await?,
            ids(&["p1", "p2", "p3"]),
            "score LT 100"
        );
        Ok(())
    }

    /// GT and LT compare numbers with numbers and strings with strings; other pairings never match.
    pub async fn gt_and_lt_compare_like_types(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            matching(cx, vec![cond("age", FilterOp::Gt, json!(30))]).await?,
            ids(&["p1", "p3", "p6"]),
            "age GT 30"
        );
        check_eq!(
            matching(cx, vec![cond("age", FilterOp::Lt, json!(31))]).await?,
            ids(&["p2"]),
            "age LT 31"
        );
        check_eq!(
            matching(cx, vec![cond("age", FilterOp::Gt, json!("3"))]).await?,
            ids(&["p4"]),
            "age GT \"3\""
        );
        check_eq!(
            matching(cx, vec![cond("name", FilterOp::Gt, json!("Cid"))]).await?,
            ids(&["p4", "p5", "p6"]),
            "name GT \"Cid\""
        );
        Ok(())
    }

    /// IN matches a field equal to any element of the array.
    pub async fn in_matches_any_element(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            matching(
                cx,
                vec![cond(
                    "address.city",
                    FilterOp::In,
                    json!(["Bergen", "Tromsø", "Paris"])
                )]
            )
            .await?,
            ids(&["p2", "p4"]),
            "address.city IN [Bergen, Tromsø, Paris]"
        );
        check_eq!(
            matching(cx, vec![cond("age", FilterOp::In, json!([25, "40"]))]).await?,
            ids(&["p2", "p4"]),
            "age IN [25, \"40\"]"
        );
        check_eq!(
            matching(cx, vec![cond("age", FilterOp::In, json!([]))]).await?,
            Vec::<String>::new(),
            "age IN []"
        );
        Ok(())
    }

    /// Several conditions must all hold; no condition matches every document.
    pub async fn conditions_are_anded(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            matching(
                cx,
                vec![
                    cond("age", FilterOp::Gt, json!(26)),
                    cond("age", FilterOp::Lt, json!(35)),
                    cond("address.city", FilterOp::Eq, json!("Oslo")),
                ]
            )
            .await?,
            ids(&["p1"]),
            "26 < age < 35 AND address.city EQ Oslo"
        );
        check_eq!(
            matching(cx, Vec::new()).await?,
            ids(&["p1", "p2", "p3", "p4", "p5", "p6"]),
            "empty filter"
        );
        Ok(())
    }

    /// Sorting orders missing < numbers < strings, ascending or descending, with ties by id.
    pub async fn sort_orders_values_then_ids(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            find(cx, Vec::new(), vec![asc("age")], 0).await?,
            ids(&["p5", "p2", "p1", "p6", "p3", "p4"]),
            "sort age ascending"
        );
        check_eq!(
            find(cx, Vec::new(), vec![desc("age")], 0).await?,
            ids(&["p4", "p3", "p1", "p6", "p2", "p5"]),
            "sort age descending"
        );
        Ok(())
    }

    /// Later sort keys break ties of earlier ones; missing < null < strings.
    pub async fn sort_by_several_keys(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            find(cx, Vec::new(), vec![asc("address.city"), desc("name")], 0).await?,
            ids(&["p5", "p6", "p2", "p3", "p1", "p4"]),
            "sort address.city ascending, name descending"
        );
        Ok(())
    }

    /// Limit n answers the first n documents in sort order; 0 answers all.
    pub async fn limit_takes_the_first(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            find(cx, Vec::new(), vec![desc("score")], 2).await?,
            ids(&["p2", "p1"]),
            "sort score descending, limit 2"
        );
        check_eq!(
            find(
                cx,
                vec![cond("name", FilterOp::Ne, json!("Ann"))],
                Vec::new(),
                3
            )
            .await?,
            ids(&["p2", "p3", "p4"]),
            "name NE Ann, limit 3"
        );
        check_eq!(
            find(cx, Vec::new(), Vec::new(), 0).await?.len(),
            6,
            "limit 0"
        );
        Ok(())
    }

    /// FindOne answers Find's first document, or found = false when nothing matches.
    pub async fn find_one_answers_the_first(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        let mut q = cx.document_query();
        let one = q
            .find_one(cx.req(FindOneRequest {
                collection: COLL.into(),
                filter: vec![cond("address.city", FilterOp::Eq, json!("Oslo"))],
                sort: vec![desc("age")],
                ..Default::default()
            }))
            .await?
            .into_inner();
        check_eq!(
            (one.found, one.document.map(|d| d.id)),
            (true, Some("p3".to_owned())),
            "FindOne(address.city EQ Oslo, sort age descending)"
        );
        let none = q
            .find_one(cx.req(FindOneRequest {
                collection: COLL.into(),
                filter: vec![cond("name", FilterOp::Eq, json!("Zed"))],
                ..Default::default()
            }))
            .await?
            .into_inner();
        check_eq!(none.found, false, "FindOne(name EQ Zed).found");
        Ok(())
    }

    /// COUNT groups by a field's value, missing and null together under null, groups sorted by key.
    pub async fn aggregate_counts_by_group(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            aggregate(cx, "address.city", AggregateOp::Count, "").await?,
            vec![
                (json!(null), 2.0, 2),
                (json!("Bergen"), 1.0, 1),
                (json!("Oslo"), 2.0, 2),
                (json!("Tromsø"), 1.0, 1),
            ],
            "Aggregate COUNT by address.city"
        );
        Ok(())
    }

    /// SUM and AVG add and average the numeric values of a field per group, skipping the rest.
    pub async fn aggregate_sums_and_averages(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        check_eq!(
            aggregate(cx, "address.city", AggregateOp::Sum, "score").await?,
            vec![
                (json!(null), 0.0, 2),
                (json!("Bergen"), 9.0, 1),
                (json!("Oslo"), 12.5, 2),
                (json!("Tromsø"), 0.0, 1),
            ],
            "Aggregate SUM(score) by address.city"
        );
        check_eq!(
            aggregate(cx, "", AggregateOp::Avg, "age").await?,
            vec![(json!(null), 127.0 / 4.0, 6)],
            "Aggregate AVG(age) over all (the string \"40\" and missing ages skipped)"
        );
        Ok(())
    }

    /// A condition value that is not JSON, or IN without an array, is INVALID_ARGUMENT.
    pub async fn invalid_filter_rejected(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        let mut q = cx.document_query();
        for bad in [
            Condition {
                field: "name".into(),
                op: FilterOp::Eq as i32,
                value: "Ann".into(),
            },
            cond("age", FilterOp::In, json!(31)),
        ] {
            let got = q
                .find(cx.req(FindRequest {
                    collection: COLL.into(),
                    filter: vec![bad],
                    ..Default::default()
                }))
                .await;
            check_code!(got, Code::InvalidArgument);
        }
        Ok(())
    }

    /// Documents found and aggregated in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::document::isolated::Documents(crate::document::isolated::Uses::Query),
        )
        .await
    }

    /// Aggregate with no matching document answers no groups, for every operation.
    pub async fn aggregate_of_nothing_has_no_groups(cx: &mut Case) -> CaseResult {
        for op in [AggregateOp::Count, AggregateOp::Sum, AggregateOp::Avg] {
            check_eq!(
                aggregate(cx, "address.city", op, "score").await?,
                Vec::<(Value, f64, u64)>::new(),
                "Aggregate {op:?} of an empty collection"
            );
        }
        people(cx).await?;
        let mut q = cx.document_query();
        let groups = q
            .aggregate(cx.req(AggregateRequest {
                collection: COLL.into(),
                filter: vec![Condition {
                    field: "name".into(),
                    op: FilterOp::Eq as i32,
                    value: "\"nobody at all\"".into(),
                }],
                group_by: String::new(),
                op: AggregateOp::Count as i32,
                ..Default::default()
            }))
            .await?
            .into_inner()
            .groups;
        check!(
            groups.is_empty(),
            "Aggregate of a filter matching nothing answered groups: {groups:?}"
        );
        Ok(())
    }

    /// A dotted path never indexes into an array: `tags.0` finds nothing, even where `tags[0]` exists.
    pub async fn path_does_not_index_arrays(cx: &mut Case) -> CaseResult {
        people(cx).await?;
        for op in [FilterOp::Eq, FilterOp::Gt, FilterOp::Lt] {
            check_eq!(
                matching(cx, vec![cond("tags.0", op, json!("a"))]).await?,
                Vec::<String>::new(),
                "tags.0 {op:?} \"a\""
            );
        }
        check_eq!(
            matching(cx, vec![cond("tags.0", FilterOp::Ne, json!("a"))]).await?,
            ids(&["p1", "p2", "p3", "p4", "p5", "p6"]),
            "tags.0 NE \"a\" (the path finds nothing anywhere)"
        );
        Ok(())
    }

    /// Strings compare and sort in byte order, not by locale: "B" < "a" < "b" < "é".
    pub async fn strings_compare_in_byte_order(cx: &mut Case) -> CaseResult {
        insert_all(
            cx,
            COLL,
            &[
                ("w1", json!({"word": "b"})),
                ("w2", json!({"word": "é"})),
                ("w3", json!({"word": "B"})),
                ("w4", json!({"word": "a"})),
                ("w5", json!({"word": "ab"})),
                ("w6", json!({"word": "A"})),
            ],
        )
        .await?;
        check_eq!(
            find(cx, Vec::new(), vec![asc("word")], 0).await?,
            ids(&["w6", "w3", "w4", "w5", "w1", "w2"]),
            "sorted by word ascending (byte order: A B a ab b é)"
        );
        check_eq!(
            matching(cx, vec![cond("word", FilterOp::Gt, json!("Z"))]).await?,
            ids(&["w1", "w2", "w4", "w5"]),
            "word GT \"Z\" (lower case and é sort after upper case)"
        );
        check_eq!(
            matching(cx, vec![cond("word", FilterOp::Lt, json!("a"))]).await?,
            ids(&["w3", "w6"]),
            "word LT \"a\""
        );
        Ok(())
    }
}
