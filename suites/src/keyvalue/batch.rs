use prism_suite::interface_suite;

/// `keyvalue_batch`: BatchSet, BatchGet, BatchDelete.
///
/// Rules: results keep request order, one per requested key; a missing key is reported in its own
/// result (found = false), never as a failure of the whole batch.
#[interface_suite("keyvalue_batch")]
pub mod keyvalue_batch {
    use std::future::Future;

    use prism_suite::prelude::*;
    use prism_suite::proto::keyvalue::*;

    use crate::keyvalue::at_caller;

    /// A BatchGet result as `(key, found, value as text)`, so that failures read well.
    type Got = (String, bool, String);

    fn entries(pairs: &[(&str, &str)]) -> Vec<KeyValuePair> {
        pairs
            .iter()
            .map(|(k, v)| KeyValuePair {
                key: (*k).into(),
                value: v.as_bytes().to_vec(),
            })
            .collect()
    }

    fn key_list(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| (*k).to_owned()).collect()
    }

    /// BatchSet of `pairs`, answering `written`.
    #[track_caller]
    fn batch_set(
        cx: &Case,
        pairs: &[(&str, &str)],
    ) -> impl Future<Output = Result<u32, CaseError>> + Send {
        let mut kv = cx.keyvalue_batch();
        let req = cx.req(BatchSetRequest {
            entries: entries(pairs),
            ..Default::default()
        });
        at_caller(async move { Ok(kv.batch_set(req).await?.into_inner().written) })
    }

    /// BatchGet of `keys`, results in the order the plugin sent them.
    #[track_caller]
    fn batch_get(
        cx: &Case,
        keys: &[&str],
    ) -> impl Future<Output = Result<Vec<Got>, CaseError>> + Send {
        let mut kv = cx.keyvalue_batch();
        let req = cx.req(BatchGetRequest {
            keys: key_list(keys),
            ..Default::default()
        });
        at_caller(async move {
            let results = kv.batch_get(req).await?.into_inner().results;
            Ok(results
                .into_iter()
                .map(|r| {
                    (
                        r.key,
                        r.found,
                        String::from_utf8_lossy(&r.value).into_owned(),
                    )
                })
                .collect())
        })
    }

    /// BatchDelete of `keys`, as `(key, found)` in the order the plugin sent them.
    #[track_caller]
    fn batch_delete(
        cx: &Case,
        keys: &[&str],
    ) -> impl Future<Output = Result<Vec<(String, bool)>, CaseError>> + Send {
        let mut kv = cx.keyvalue_batch();
        let req = cx.req(BatchDeleteRequest {
            keys: key_list(keys),
            ..Default::default()
        });
        at_caller(async move {
            let results = kv.batch_delete(req).await?.into_inner().results;
            Ok(results.into_iter().map(|r| (r.key, r.found)).collect())
        })
    }

    fn found(key: &str, value: &str) -> Got {
        (key.to_owned(), true, value.to_owned())
    }

    fn missing(key: &str) -> Got {
        (key.to_owned(), false, String::new())
    }

    /// BatchSet writes every entry (written = number of entries) and BatchGet reads them all back.
    pub async fn batch_set_then_get(cx: &mut Case) -> CaseResult {
        let pairs = [
            ("bs-1", "one"),
            ("bs-2", "two"),
            ("bs-3", "three"),
            ("bs-4", "four"),
            ("bs-5", "five"),
        ];
        check_eq!(
            batch_set(cx, &pairs).await?,
            5u32,
            "BatchSet of 5 entries: written"
        );
        let want: Vec<Got> = pairs.iter().map(|(k, v)| found(k, v)).collect();
        check_eq!(
            batch_get(cx, &["bs-1", "bs-2", "bs-3", "bs-4", "bs-5"]).await?,
            want,
            "BatchGet after BatchSet"
        );
        Ok(())
    }

    /// BatchGet results keep request order, whatever the insertion or byte order.
    pub async fn batch_get_keeps_request_order(cx: &mut Case) -> CaseResult {
        batch_set(
            cx,
            &[
                ("order-c", "C"),
                ("order-a", "A"),
                ("order-e", "E"),
                ("order-b", "B"),
                ("order-d", "D"),
            ],
        )
        .await?;
        let want = vec![
            found("order-d", "D"),
            found("order-a", "A"),
            found("order-e", "E"),
            found("order-c", "C"),
            found("order-b", "B"),
        ];
        let got = batch_get(cx, &["order-d", "order-a", "order-e", "order-c", "order-b"]).await?;
        check_eq!(got, want, "BatchGet in request order d, a, e, c, b");
        Ok(())
    }

    /// A missing key is reported in its own BatchGet result (found = false); the batch succeeds.
    pub async fn batch_get_reports_missing_per_key(cx: &mut Case) -> CaseResult {
        batch_set(cx, &[("mixed-present-1", "p1"), ("mixed-present-2", "p2")]).await?;
        let got = batch_get(
            cx,
            &[
                "mixed-missing-1",
                "mixed-present-1",
                "mixed-missing-2",
                "mixed-present-2",
            ],
        )
        .await?;
        let want = vec![
            missing("mixed-missing-1"),
            found("mixed-present-1", "p1"),
            missing("mixed-missing-2"),
            found("mixed-present-2", "p2"),
        ];
        check_eq!(got, want, "BatchGet of present and missing keys");
        Ok(())
    }

    /// An empty value is found (found = true, empty value), unlike a missing key.
    pub async fn batch_get_empty_value_is_found(cx: &mut Case) -> CaseResult {
        batch_set(cx, &[("empty-valued", "")]).await?;
        let got = batch_get(cx, &["empty-valued", "never-written"]).await?;
        check_eq!(
            got,
            vec![found("empty-valued", ""), missing("never-written")],
            "BatchGet of an empty value"
        );
        Ok(())
    }

    /// BatchDelete reports, per key and in request order, whether that key was found.
    pub async fn batch_delete_reports_found_per_key(cx: &mut Case) -> CaseResult {
        batch_set(cx, &[("del-present-1", "x"), ("del-present-2", "y")]).await?;
        let got = batch_delete(cx, &["del-present-2", "del-missing", "del-present-1"]).await?;
        let want = vec![
            ("del-present-2".to_owned(), true),
            ("del-missing".to_owned(), false),
            ("del-present-1".to_owned(), true),
        ];
        check_eq!(got, want, "BatchDelete of present and missing keys");
        Ok(())
    }

    /// BatchDelete removes exactly the listed keys and leaves every other key as it was.
    pub async fn batch_delete_removes_only_listed(cx: &mut Case) -> CaseResult {
        batch_set(
            cx,
            &[
                ("keep-1", "k1"),
                ("drop-1", "d1"),
                ("keep-2", "k2"),
                ("drop-2", "d2"),
                ("keep-3", "k3"),
            ],
        )
        .await?;
        batch_delete(cx, &["drop-1", "drop-2"]).await?;
        let got = batch_get(cx, &["keep-1", "drop-1", "keep-2", "drop-2", "keep-3"]).await?;
        let want = vec![
            found("keep-1", "k1"),
            missing("drop-1"),
            found("keep-2", "k2"),
            missing("drop-2"),
            found("keep-3", "k3"),
        ];
        check_eq!(got, want, "BatchGet after BatchDelete of drop-1 and drop-2");
        Ok(())
    }

    /// Empty batches succeed with empty results (BatchSet writes 0).
    pub async fn empty_batch(cx: &mut Case) -> CaseResult {
        check_eq!(
            batch_set(cx, &[]).await?,
            0u32,
            "BatchSet of no entries: written"
        );
        check_eq!(
            batch_get(cx, &[]).await?,
            Vec::<Got>::new(),
            "BatchGet of no keys"
        );
        check_eq!(
            batch_delete(cx, &[]).await?,
            Vec::<(String, bool)>::new(),
            "BatchDelete of no keys"
        );
        Ok(())
    }

    /// BatchSet on existing keys replaces their values.
    pub async fn batch_set_overwrites(cx: &mut Case) -> CaseResult {
        batch_set(cx, &[("ow-1", "old-1"), ("ow-2", "old-2")]).await?;
        batch_set(cx, &[("ow-2", "new-2"), ("ow-1", "new-1")]).await?;
        check_eq!(
            batch_get(cx, &["ow-1", "ow-2"]).await?,
            vec![found("ow-1", "new-1"), found("ow-2", "new-2")]
        );
        Ok(())
    }

    /// BatchGet answers one result per requested key, repeating a key that is asked for twice.
    pub async fn batch_get_duplicate_keys(cx: &mut Case) -> CaseResult {
        batch_set(cx, &[("dup-a", "A"), ("dup-b", "B")]).await?;
        let got = batch_get(cx, &["dup-a", "dup-b", "dup-a", "dup-x", "dup-x"]).await?;
        let want = vec![
            found("dup-a", "A"),
            found("dup-b", "B"),
            found("dup-a", "A"),
            missing("dup-x"),
            missing("dup-x"),
        ];
        check_eq!(got, want, "BatchGet with repeated keys");
        Ok(())
    }

    /// Batches keep namespaces apart: keys written in one namespace are missing in another.
    pub async fn batch_is_namespace_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        batch_set(cx, &[("iso-a", "mine"), ("iso-b", "mine")]).await?;
        let mut kv = cx.keyvalue_batch();
        let theirs = kv
            .batch_get(cx.req_in(
                &other,
                BatchGetRequest {
                    keys: key_list(&["iso-a", "iso-b"]),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .results;
        let flags: Vec<bool> = theirs.iter().map(|r| r.found).collect();
        check_eq!(
            flags,
            vec![false, false],
            "found flags of BatchGet in another namespace"
        );
        let deleted = kv
            .batch_delete(cx.req_in(
                &other,
                BatchDeleteRequest {
                    keys: key_list(&["iso-a"]),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .results;
        check_eq!(
            deleted.iter().map(|r| r.found).collect::<Vec<_>>(),
            vec![false],
            "BatchDelete in another namespace"
        );
        check_eq!(
            batch_get(cx, &["iso-a", "iso-b"]).await?,
            vec![found("iso-a", "mine"), found("iso-b", "mine")]
        );
        Ok(())
    }

    /// BatchSet, BatchGet and BatchDelete in one namespace never touch keys of a namespace it is a prefix of (`ns`, `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::keyvalue::isolated::Batch).await
    }
}
