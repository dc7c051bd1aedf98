use prism_suite::interface_suite;

/// `keyvalue_scan`: Scan, ScanKeys, Count.
///
/// Rules: the prefix is literal (`_`, `%`, `*` match only themselves) and an empty prefix matches
/// every key; `limit` 0 means no limit; results stream in byte order of the key; namespaces are
/// kept apart. Keys are seeded with keyvalue_basic's Set.
#[interface_suite("keyvalue_scan")]
pub mod keyvalue_scan {
    use prism_suite::prelude::*;
    use prism_suite::proto::keyvalue::*;

    use std::future::Future;

    use crate::keyvalue::{at_caller, put, put_in};

    /// `(key, value)` pairs, values shown as text so that failures read well.
    type Items = Vec<(String, String)>;

    /// Scan with `prefix` and `limit` in namespace `ns`, read to its end.
    #[track_caller]
    fn items_in(
        cx: &Case,
        ns: &str,
        prefix: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Items, CaseError>> + Send {
        let mut kv = cx.keyvalue_scan();
        let req = cx.req_in(
            ns,
            ScanRequest {
                prefix: prefix.into(),
                limit,
                ..Default::default()
            },
        );
        at_caller(async move {
            let items = collect(kv.scan(req).await?.into_inner()).await?;
            Ok(items
                .into_iter()
                .map(|i| (i.key, String::from_utf8_lossy(&i.value).into_owned()))
                .collect())
        })
    }

    /// Scan in the case's namespace.
    #[track_caller]
    fn items(
        cx: &Case,
        prefix: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Items, CaseError>> + Send {
        items_in(cx, cx.namespace(), prefix, limit)
    }

    /// ScanKeys in namespace `ns`, read to its end.
    #[track_caller]
    fn key_list_in(
        cx: &Case,
        ns: &str,
        prefix: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut kv = cx.keyvalue_scan();
        let req = cx.req_in(
            ns,
            ScanKeysRequest {
                prefix: prefix.into(),
                limit,
                ..Default::default()
            },
        );
        at_caller(async move {
            let keys = collect(kv.scan_keys(req).await?.into_inner()).await?;
            Ok(keys.into_iter().map(|i| i.key).collect())
        })
    }

    /// ScanKeys in the case's namespace.
    #[track_caller]
    fn key_list(
        cx: &Case,
        prefix: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        key_list_in(cx, cx.namespace(), prefix, limit)
    }

    /// Count in namespace `ns`.
    #[track_caller]
    fn count_in(
        cx: &Case,
        ns: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<u64, CaseError>> + Send {
        let mut kv = cx.keyvalue_scan();
        let req = cx.req_in(
            ns,
            CountRequest {
                prefix: prefix.into(),
                ..Default::default()
            },
        );
        at_caller(async move { Ok(kv.count(req).await?.into_inner().count) })
    }

    /// Count in the case's namespace.
    #[track_caller]
    fn count_of(cx: &Case, prefix: &str) -> impl Future<Output = Result<u64, CaseError>> + Send {
        count_in(cx, cx.namespace(), prefix)
    }

    /// Writes `key = value-of-key` for every key, in the order given.
    #[track_caller]
    fn seed(cx: &Case, keys: &[String]) -> impl Future<Output = CaseResult> + Send {
        let sets: Vec<_> = keys
            .iter()
            .map(|k| put(cx, k, value_for(k).as_bytes()))
            .collect();
        at_caller(async move {
            for set in sets {
                set.await?;
            }
            Ok(())
        })
    }

    fn value_for(key: &str) -> String {
        format!("value-of-{key}")
    }

    /// What a scan of `keys` must answer: sorted by key bytes (Rust's `str` order), with their values.
    fn expected(keys: &[String]) -> Items {
        let mut out: Items = keys.iter().map(|k| (k.clone(), value_for(k))).collect();
        out.sort();
        out
    }

    fn sorted(keys: &[String]) -> Vec<String> {
        let mut keys = keys.to_vec();
        keys.sort();
        keys
    }

    fn names(pattern: &str, range: std::ops::Range<usize>) -> Vec<String> {
        range
            .map(|i| pattern.replace("{}", &format!("{i:02}")))
            .collect()
    }

    /// Scan with an empty prefix and no limit returns exactly every key of the namespace, with values.
    pub async fn scan_all(cx: &mut Case) -> CaseResult {
        let mut keys = names("scan-key-{}", 0..10);
        keys.reverse(); // inserted out of order
        seed(cx, &keys).await?;
        check_eq!(
            items(cx, "", 0).await?,
            expected(&keys),
            "Scan(prefix \"\", limit 0)"
        );
        Ok(())
    }

    /// Scan with a prefix returns exactly the keys that start with it, and no others.
    pub async fn scan_prefix(cx: &mut Case) -> CaseResult {
        let users = names("user:{}", 0..5);
        let others: Vec<String> = names("post:{}", 0..5)
            .into_iter()
            .chain([
                "user".to_owned(),
                "users:1".to_owned(),
                "xuser:9".to_owned(),
                "User:1".to_owned(),
            ])
            .collect();
        seed(cx, &others).await?;
        seed(cx, &users).await?;
        check_eq!(
            items(cx, "user:", 0).await?,
            expected(&users),
            "Scan(prefix \"user:\")"
        );
        Ok(())
    }

    /// Scan with limit n returns exactly the first n keys in byte order.
    pub async fn scan_limit(cx: &mut Case) -> CaseResult {
        let mut keys = names("limit-key-{}", 0..20);
        keys.reverse();
        seed(cx, &keys).await?;
        let mut want = expected(&keys);
        want.truncate(10);
        check_eq!(
            items(cx, "limit-key-", 10).await?,
            want,
            "Scan(prefix \"limit-key-\", limit 10)"
        );
        Ok(())
    }

    /// ScanKeys streams exactly the keys under the prefix, in byte order.
    pub async fn scan_keys(cx: &mut Case) -> CaseResult {
        let keys = vec![
            "keys-only-3".to_owned(),
            "keys-only-0".to_owned(),
            "keys-only-4".to_owned(),
            "keys-only-1".to_owned(),
            "keys-only-2".to_owned(),
        ];
        seed(cx, &keys).await?;
        seed(cx, &["other-1".to_owned(), "keys-onl".to_owned()]).await?;
        check_eq!(
            key_list(cx, "keys-only-", 0).await?,
            sorted(&keys),
            "ScanKeys(prefix \"keys-only-\")"
        );
        Ok(())
    }

    /// Count with an empty prefix counts exactly every key of the namespace.
    pub async fn count(cx: &mut Case) -> CaseResult {
        seed(cx, &names("count-key-{}", 0..15)).await?;
        check_eq!(count_of(cx, "").await?, 15u64, "Count(prefix \"\")");
        Ok(())
    }

    /// Count with a prefix counts exactly the keys that start with it.
    pub async fn count_with_prefix(cx: &mut Case) -> CaseResult {
        seed(cx, &names("prefix-count-key-{}", 0..10)).await?;
        seed(cx, &names("other-count-key-{}", 0..5)).await?;
        seed(
            cx,
            &["prefix-count".to_owned(), "xprefix-count-key-1".to_owned()],
        )
        .await?;
        check_eq!(
            count_of(cx, "prefix-count-").await?,
            10u64,
            "Count(prefix \"prefix-count-\")"
        );
        Ok(())
    }

    /// The prefix is literal: `_` matches only an underscore (`a_` does not match `ab`).
    pub async fn prefix_is_literal_underscore(cx: &mut Case) -> CaseResult {
        let matching = vec!["a_".to_owned(), "a_x".to_owned(), "a__".to_owned()];
        seed(cx, &matching).await?;
        seed(
            cx,
            &[
                "ab".to_owned(),
                "abc".to_owned(),
                "a-x".to_owned(),
                "a".to_owned(),
                "a\\_".to_owned(),
            ],
        )
        .await?;
        check_eq!(
            items(cx, "a_", 0).await?,
            expected(&matching),
            "Scan(prefix \"a_\")"
        );
        check_eq!(
            key_list(cx, "a_", 0).await?,
            sorted(&matching),
            "ScanKeys(prefix \"a_\")"
        );
        check_eq!(
            count_of(cx, "a_").await?,
            matching.len() as u64,
            "Count(prefix \"a_\")"
        );
        Ok(())
    }

    /// The prefix is literal: `%` and `*` are not wildcards.
    pub async fn prefix_is_literal_percent_and_star(cx: &mut Case) -> CaseResult {
        let all: Vec<String> = [
            "50%", "50%off", "500", "50x", "5x", "a*", "a*b", "ab", "abc", "%25", "*star", "x%",
            "x*",
        ]
        .map(str::to_owned)
        .to_vec();
        seed(cx, &all).await?;
        for (prefix, want) in [
            ("50%", vec!["50%", "50%off"]),
            ("a*", vec!["a*", "a*b"]),
            ("%", vec!["%25"]),
            ("*", vec!["*star"]),
        ] {
            let want: Vec<String> = want.into_iter().map(str::to_owned).collect();
            check_eq!(
                items(cx, prefix, 0).await?,
                expected(&want),
                "Scan(prefix {prefix:?})"
            );
            check_eq!(
                key_list(cx, prefix, 0).await?,
                sorted(&want),
                "ScanKeys(prefix {prefix:?})"
            );
            check_eq!(
                count_of(cx, prefix).await?,
                want.len() as u64,
                "Count(prefix {prefix:?})"
            );
        }
        Ok(())
    }

    /// Scan and ScanKeys stream in byte order of the key (not insertion, case-folded or locale order).
    pub async fn results_in_byte_order(cx: &mut Case) -> CaseResult {
        let keys: Vec<String> = [
            "b", "B", "a", "A", "10", "9", "1", "z", "Z", "_", "~", "a b", "ab", "aB", "é", "e",
            "ä", "日本", "😀", "-", ".", "0",
        ]
        .map(str::to_owned)
        .to_vec();
        seed(cx, &keys).await?;
        check_eq!(
            items(cx, "", 0).await?,
            expected(&keys),
            "Scan(prefix \"\") order"
        );
        check_eq!(
            key_list(cx, "", 0).await?,
            sorted(&keys),
            "ScanKeys(prefix \"\") order"
        );
        Ok(())
    }

    /// Limit 0 means no limit: every matching key comes back, even more than a typical page.
    pub async fn limit_zero_means_all(cx: &mut Case) -> CaseResult {
        let keys = (0..150).map(|i| format!("many-{i:03}")).collect::<Vec<_>>();
        seed(cx, &keys).await?;
        check_eq!(
            items(cx, "many-", 0).await?,
            expected(&keys),
            "Scan(prefix \"many-\", limit 0)"
        );
        check_eq!(
            key_list(cx, "", 0).await?,
            sorted(&keys),
            "ScanKeys(prefix \"\", limit 0)"
        );
        Ok(())
    }

    /// A namespace with no keys scans to nothing and counts 0.
    pub async fn scan_empty_namespace(cx: &mut Case) -> CaseResult {
        check_eq!(
            items(cx, "", 0).await?,
            Items::new(),
            "Scan of an empty namespace"
        );
        check_eq!(
            key_list(cx, "", 0).await?,
            Vec::<String>::new(),
            "ScanKeys of an empty namespace"
        );
        check_eq!(count_of(cx, "").await?, 0u64, "Count of an empty namespace");
        Ok(())
    }

    /// Scan, ScanKeys and Count see only the keys of their own namespace.
    pub async fn scan_is_namespace_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        let mine = names("iso-mine-{}", 0..3);
        let theirs = names("iso-theirs-{}", 0..2);
        seed(cx, &mine).await?;
        for key in &theirs {
            put_in(cx, &other, key, value_for(key).as_bytes()).await?;
        }
        put_in(cx, &other, "iso-mine-00", b"shadow").await?;

        let mut theirs_all = theirs.clone();
        theirs_all.push("iso-mine-00".to_owned());
        let mut theirs_want = expected(&theirs);
        theirs_want.push(("iso-mine-00".to_owned(), "shadow".to_owned()));
        theirs_want.sort();

        check_eq!(
            items(cx, "iso-", 0).await?,
            expected(&mine),
            "Scan in this namespace"
        );
        check_eq!(
            key_list(cx, "", 0).await?,
            sorted(&mine),
            "ScanKeys in this namespace"
        );
        check_eq!(
            count_of(cx, "").await?,
            mine.len() as u64,
            "Count in this namespace"
        );
        check_eq!(
            items_in(cx, &other, "iso-", 0).await?,
            theirs_want,
            "Scan in the other namespace"
        );
        check_eq!(
            key_list_in(cx, &other, "", 0).await?,
            sorted(&theirs_all),
            "ScanKeys in the other namespace"
        );
        check_eq!(
            count_in(cx, &other, "").await?,
            theirs_all.len() as u64,
            "Count in the other namespace"
        );
        Ok(())
    }

    /// ScanKeys with limit n returns exactly the first n keys in byte order.
    pub async fn scan_keys_respects_limit(cx: &mut Case) -> CaseResult {
        let keys = [
            "lk-h", "lk-c", "lk-a", "lk-g", "lk-b", "lk-f", "lk-e", "lk-d",
        ]
        .map(str::to_owned)
        .to_vec();
        seed(cx, &keys).await?;
        let mut want = sorted(&keys);
        want.truncate(3);
        check_eq!(
            key_list(cx, "lk-", 3).await?,
            want,
            "ScanKeys(prefix \"lk-\", limit 3)"
        );
        Ok(())
    }

    /// Scan, ScanKeys and Count of one namespace never include keys of a namespace it is a prefix of (`ns`, `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::keyvalue::isolated::Scan).await
    }

    /// The prefix is literal: a backslash matches only a backslash (it is `LIKE`'s default escape).
    pub async fn prefix_is_literal_backslash(cx: &mut Case) -> CaseResult {
        let matching: Vec<String> = ["a\\", "a\\_x", "a\\\\", "a\\%"]
            .map(str::to_owned)
            .to_vec();
        seed(cx, &matching).await?;
        seed(
            cx,
            &["a_", "a%", "ab", "a", "a/", "a_\\"].map(str::to_owned),
        )
        .await?;
        check_eq!(
            items(cx, "a\\", 0).await?,
            expected(&matching),
            "Scan(prefix \"a\\\\\")"
        );
        check_eq!(
            key_list(cx, "a\\", 0).await?,
            sorted(&matching),
            "ScanKeys(prefix \"a\\\\\")"
        );
        check_eq!(
            count_of(cx, "a\\").await?,
            matching.len() as u64,
            "Count(prefix \"a\\\\\")"
        );
        Ok(())
    }
}
