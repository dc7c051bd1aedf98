use prism_suite::interface_suite;

/// `document_basic`: Insert, Get, Update, Delete.
///
/// Rules: JSON documents survive a round trip as values (nested objects, arrays, scalars, unicode);
/// an existing id is ALREADY_EXISTS; an empty id gets a fresh one; a body that is not a JSON object
/// is INVALID_ARGUMENT; Update replaces the whole body and needs the document; Get of a missing
/// document is NOT_FOUND; Delete reports whether it existed; collections and namespaces are apart.
#[interface_suite("document_basic")]
pub mod document_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::document::*;
    use serde_json::{json, Value};

    use crate::document::{body_of, insert_all, insert_req};

    const COLL: &str = "things";

    fn update_req(id: &str, body: &Value) -> UpdateRequest {
        UpdateRequest {
            collection: COLL.into(),
            id: id.into(),
            json: body.to_string(),
            ..Default::default()
        }
    }

    fn delete_req(id: &str) -> DeleteRequest {
        DeleteRequest {
            collection: COLL.into(),
            id: id.into(),
            ..Default::default()
        }
    }

    /// Inserts `body` as `id`, then checks Get answers an equal JSON value.
    async fn round_trip(cx: &Case, id: &str, body: Value) -> CaseResult {
        insert_all(cx, COLL, &[(id, body.clone())]).await?;
        check_eq!(
            body_of(cx, COLL, id).await?,
            Some(body),
            "Get({id}) after Insert"
        );
        Ok(())
    }

    /// A flat document comes back from Get equal to what was inserted.
    pub async fn insert_and_get_round_trip(cx: &mut Case) -> CaseResult {
        round_trip(
            cx,
            "flat",
            json!({"name": "widget", "count": 3, "active": true}),
        )
        .await
    }

    /// Nested objects survive a round trip, however deep.
    pub async fn nested_objects_survive(cx: &mut Case) -> CaseResult {
        round_trip(
            cx,
            "nested",
            json!({
                "a": {"b": {"c": {"d": {"e": "deep"}}}},
                "address": {"street": "Main St 1", "geo": {"lat": 59.91, "lon": 10.75}},
                "empty": {}
            }),
        )
        .await
    }

    /// Arrays keep their order, mixed element types, nesting and emptiness.
    pub async fn arrays_survive(cx: &mut Case) -> CaseResult {
        round_trip(
            cx,
            "arrays",
            json!({
                "ordered": [3, 1, 2],
                "mixed": [1, "two", 3.5, true, null, {"k": "v"}, [4, [5]]],
                "empty": [],
                "objects": [{"id": 2}, {"id": 1}]
            }),
        )
        .await
    }

    /// Unicode in keys and values (accents, CJK, emoji, escapes) survives a round trip.
    pub async fn unicode_survives(cx: &mut Case) -> CaseResult {
        round_trip(
            cx,
            "unicode-ünï 😀",
            json!({
                "名前": "東京タワー",
                "émoji 😀": "🎉👩‍👩‍👧",
                "escapes": "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7}",
                "rtl": "مرحبا",
                "combining": "e\u{301}"
            }),
        )
        .await
    }

    /// Numbers (negative, fractional, exponent, 64-bit), booleans and null survive a round trip.
    pub async fn scalars_survive(cx: &mut Case) -> CaseResult {
        round_trip(
            cx,
            "scalars",
            json!({
                "zero": 0,
                "negative": -42,
                "fraction": 0.125,
                "exponent": 6.02e23,
                "big": 9_007_199_254_740_993_i64,
                "min": i64::MIN,
                "yes": true,
                "no": false,
                "nothing": null,
                "empty_string": ""
            }),
        )
        .await
    }

    /// Insert with an id that exists is ALREADY_EXISTS and leaves the stored document unchanged.
    pub async fn duplicate_id_already_exists(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        insert_all(cx, COLL, &[("dup", json!({"v": 1}))]).await?;
        let again = d
            .insert(cx.req(insert_req(COLL, "dup", &json!({"v": 2}))))
            .await;
        check_code!(again, Code::AlreadyExists);
        check_eq!(
            body_of(cx, COLL, "dup").await?,
            Some(json!({"v": 1})),
            "Get(dup)"
        );
        Ok(())
    }

    /// Insert with an empty id gets a fresh id, distinct for each document, under which Get finds it.
    pub async fn empty_id_gets_a_fresh_id(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        let first = d
            .insert(cx.req(insert_req(COLL, "", &json!({"n": 1}))))
            .await?
            .into_inner()
            .id;
        let second = d
            .insert(cx.req(insert_req(COLL, "", &json!({"n": 2}))))
            .await?
            .into_inner()
            .id;
        check!(
            !first.is_empty(),
            "Insert with an empty id answered an empty id"
        );
        check_ne!(first, second);
        check_eq!(
            body_of(cx, COLL, &first).await?,
            Some(json!({"n": 1})),
            "Get(first id)"
        );
        check_eq!(
            body_of(cx, COLL, &second).await?,
            Some(json!({"n": 2})),
            "Get(second id)"
        );
        Ok(())
    }

    /// Update replaces the whole body: fields absent from the new body are gone (no merge).
    pub async fn update_replaces_whole_document(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        insert_all(
            cx,
            COLL,
            &[(
                "u",
                json!({"keep": 1, "drop": 2, "nested": {"x": 1, "y": 2}}),
            )],
        )
        .await?;
        let new = json!({"keep": 10, "nested": {"y": 3}, "added": [1]});
        d.update(cx.req(update_req("u", &new))).await?;
        check_eq!(
            body_of(cx, COLL, "u").await?,
            Some(new),
            "Get(u) after Update"
        );
        Ok(())
    }

    /// Update of a missing document is NOT_FOUND and does not insert it.
    pub async fn update_missing_not_found(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        let got = d
            .update(cx.req(update_req("ghost", &json!({"v": 1}))))
            .await;
        check_code!(got, Code::NotFound);
        check_eq!(
            body_of(cx, COLL, "ghost").await?,
            None,
            "Get(ghost) after Update"
        );
        Ok(())
    }

    /// Delete reports found = true for an existing document, which Get then finds NOT_FOUND, and false after.
    pub async fn delete_reports_found(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        insert_all(
            cx,
            COLL,
            &[("del", json!({"v": 1})), ("stay", json!({"v": 2}))],
        )
        .await?;
        check_eq!(
            d.delete(cx.req(delete_req("del")))
                .await?
                .into_inner()
                .found,
            true,
            "first Delete(del)"
        );
        check_eq!(
            body_of(cx, COLL, "del").await?,
            None,
            "Get(del) after Delete"
        );
        check_eq!(
            d.delete(cx.req(delete_req("del")))
                .await?
                .into_inner()
                .found,
            false,
            "second Delete(del)"
        );
        check_eq!(
            body_of(cx, COLL, "stay").await?,
            Some(json!({"v": 2})),
            "Get(stay)"
        );
        Ok(())
    }

    /// Get of a missing document is NOT_FOUND.
    pub async fn get_missing_not_found(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        insert_all(cx, COLL, &[("present", json!({}))]).await?;
        let got = d
            .get(cx.req(GetRequest {
                collection: COLL.into(),
                id: "absent".into(),
                ..Default::default()
            }))
            .await;
        check_code!(got, Code::NotFound);
        Ok(())
    }

    /// A body that does not parse or is not a JSON object is INVALID_ARGUMENT, for Insert and Update.
    pub async fn non_object_body_rejected(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        insert_all(cx, COLL, &[("ok", json!({"v": 1}))]).await?;
        for bad in [
            "",
            "{",
            "{\"a\": }",
            "not json",
            "[1, 2]",
            "\"text\"",
            "42",
            "null",
            "{} {}",
        ] {
            let insert = d
                .insert(cx.req(InsertRequest {
                    collection: COLL.into(),
                    id: "bad".into(),
                    json: bad.into(),
                    ..Default::default()
                }))
                .await;
            check_code!(insert, Code::InvalidArgument);
            let update = d
                .update(cx.req(UpdateRequest {
                    collection: COLL.into(),
                    id: "ok".into(),
                    json: bad.into(),
                    ..Default::default()
                }))
                .await;
            check_code!(update, Code::InvalidArgument);
        }
        check_eq!(body_of(cx, COLL, "bad").await?, None, "Get(bad)");
        check_eq!(
            body_of(cx, COLL, "ok").await?,
            Some(json!({"v": 1})),
            "Get(ok)"
        );
        Ok(())
    }

    /// The same id in another collection or namespace is another document.
    pub async fn collections_and_namespaces_are_apart(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        let other = cx.other_namespace();
        insert_all(cx, COLL, &[("same", json!({"where": "things"}))]).await?;
        insert_all(cx, "others", &[("same", json!({"where": "others"}))]).await?;
        d.insert(cx.req_in(
            &other,
            insert_req(COLL, "same", &json!({"where": "elsewhere"})),
        ))
        .await?;
        check_eq!(
            body_of(cx, COLL, "same").await?,
            Some(json!({"where": "things"})),
            "Get(things/same)"
        );
        check_eq!(
            body_of(cx, "others", "same").await?,
            Some(json!({"where": "others"})),
            "Get(others/same)"
        );
        d.delete(cx.req(delete_req("same"))).await?;
        check_eq!(
            body_of(cx, "others", "same").await?,
            Some(json!({"where": "others"})),
            "Get(others/same) after deleting things/same"
        );
        let theirs = d
            .get(cx.req_in(
                &other,
                GetRequest {
                    collection: COLL.into(),
                    id: "same".into(),
                    ..Default::default()
                },
            ))
            .await?;
        check_eq!(
            crate::document::parse(&theirs.into_inner().json)?,
            json!({"where": "elsewhere"}),
            "Get(things/same) in the other namespace"
        );
        Ok(())
    }

    /// Documents inserted and deleted in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::document::isolated::Documents(crate::document::isolated::Uses::Basic),
        )
        .await
    }

    /// An empty collection name is INVALID_ARGUMENT for Insert, Get, Update and Delete.
    pub async fn empty_collection_rejected(cx: &mut Case) -> CaseResult {
        let mut d = cx.document_basic();
        let body = json!({ "a": 1 });
        let insert = d.insert(cx.req(insert_req("", "x", &body))).await;
        check_code!(insert, Code::InvalidArgument);
        let get = d
            .get(cx.req(GetRequest {
                collection: String::new(),
                id: "x".into(),
                ..Default::default()
            }))
            .await;
        check_code!(get, Code::InvalidArgument);
        let update = d
            .update(cx.req(UpdateRequest {
                collection: String::new(),
                id: "x".into(),
                json: body.to_string(),
                ..Default::default()
            }))
            .await;
        check_code!(update, Code::InvalidArgument);
        let delete = d
            .delete(cx.req(DeleteRequest {
                collection: String::new(),
                id: "x".into(),
                ..Default::default()
            }))
            .await;
        check_code!(delete, Code::InvalidArgument);
        Ok(())
    }

    /// Random sequences of Insert, Get, Update and Delete get the answers memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::document::reference::Basic).await
    }
}
