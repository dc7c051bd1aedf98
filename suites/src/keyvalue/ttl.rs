use prism_suite::interface_suite;

/// `keyvalue_ttl`: Expire, GetTTL, Persist; durations in milliseconds.
///
/// Rules: an expired key vanishes for every read; GetTTL answers the remaining milliseconds, -1 for a
/// key without expiry and -2 for a missing key; Persist removes an expiry; Set clears an expiry;
/// a TTL of 0 or less is INVALID_ARGUMENT. Keys are written and read with keyvalue_basic.
///
/// Timing: expiring keys get 150 ms, "eventually" waits at most 2 s, "stays" watches at most 700 ms.
#[interface_suite("keyvalue_ttl")]
pub mod keyvalue_ttl {
    use prism_suite::prelude::*;
    use prism_suite::proto::keyvalue::*;

    use std::future::Future;

    use crate::keyvalue::{at_caller, put, some, value_of};
    use crate::timed::{attempt_name, millis};

    /// TTL of keys that must expire during the case.
    const SHORT_MS: i64 = 150;
    /// How long a short-lived key may take to vanish (generous: a loaded CI machine).
    const VANISH_WITHIN: Duration = Duration::from_millis(2000);
    /// TTL of keys that must outlive the case.
    const LONG_MS: i64 = 60_000;

    /// Expire key with `ttl_ms`, answering `found`.
    #[track_caller]
    fn expire(
        cx: &Case,
        key: &str,
        ttl_ms: i64,
    ) -> impl Future<Output = Result<bool, CaseError>> + Send {
        let mut ttl = cx.keyvalue_ttl();
        let req = cx.req(ExpireRequest {
            key: key.into(),
            ttl_ms,
            ..Default::default()
        });
        at_caller(async move { Ok(ttl.expire(req).await?.into_inner().found) })
    }

    /// GetTTL of key.
    #[track_caller]
    fn ttl_of(cx: &Case, key: &str) -> impl Future<Output = Result<i64, CaseError>> + Send {
        let mut ttl = cx.keyvalue_ttl();
        let req = cx.req(GetTtlRequest {
            key: key.into(),
            ..Default::default()
        });
        at_caller(async move { Ok(ttl.get_ttl(req).await?.into_inner().ttl_ms) })
    }

    /// Persist key, answering `persisted`.
    #[track_caller]
    fn persist(cx: &Case, key: &str) -> impl Future<Output = Result<bool, CaseError>> + Send {
        let mut ttl = cx.keyvalue_ttl();
        let req = cx.req(PersistRequest {
            key: key.into(),
            ..Default::default()
        });
        at_caller(async move { Ok(ttl.persist(req).await?.into_inner().persisted) })
    }

    /// keyvalue_basic Exists of key.
    #[track_caller]
    fn exists(cx: &Case, key: &str) -> impl Future<Output = Result<bool, CaseError>> + Send {
        let mut kv = cx.keyvalue_basic();
        let req = cx.req(ExistsRequest {
            key: key.into(),
            ..Default::default()
        });
        at_caller(async move { Ok(kv.exists(req).await?.into_inner().exists) })
    }

    /// GetTTL of a key that was Set and never given an expiry is -1.
    pub async fn get_ttl_without_expiry_is_minus_one(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-no-expiry", b"forever").await?;
        check_eq!(
            ttl_of(cx, "ttl-no-expiry").await?,
            -1i64,
            "GetTTL of a key without expiry"
        );
        Ok(())
    }

    /// GetTTL of a key that does not exist is -2.
    pub async fn get_ttl_of_missing_key_is_minus_two(cx: &mut Case) -> CaseResult {
        check_eq!(
            ttl_of(cx, "ttl-never-set").await?,
            -2i64,
            "GetTTL of a missing key"
        );
        Ok(())
    }

    /// After Expire(ttl), GetTTL answers the remaining milliseconds: 0 < remaining <= ttl, near ttl.
    pub async fn expire_sets_remaining_ttl(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-remaining", b"counting").await?;
        check!(
            expire(cx, "ttl-remaining", LONG_MS).await?,
            "Expire of an existing key reported found = false"
        );
        let left = ttl_of(cx, "ttl-remaining").await?;
        check!(
            left > 0 && left <= LONG_MS,
            "GetTTL answered {left} ms right after Expire({LONG_MS} ms)"
        );
        // Milliseconds, not seconds: a plugin answering 60 (seconds) or rounding badly fails here.
        check!(
            left > LONG_MS - 10_000,
            "GetTTL answered {left} ms right after Expire({LONG_MS} ms): not milliseconds?"
        );
        Ok(())
    }

    /// A key whose TTL ran out vanishes: Exists is false and Get is NOT_FOUND.
    pub async fn expired_key_vanishes(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-short", b"ephemeral").await?;
        check!(
            expire(cx, "ttl-short", SHORT_MS).await?,
            "Expire of an existing key reported found = false"
        );
        let probe_cx = cx.keyvalue_basic();
        let probe = cx
            .req(ExistsRequest {
                key: "ttl-short".into(),
                ..Default::default()
            })
            .into_inner();
        eventually(
            VANISH_WITHIN,
            "key with a 150 ms TTL stops existing",
            move || {
                let mut kv = probe_cx.clone();
                let req = probe.clone();
                async move { Ok(!kv.exists(req).await?.into_inner().exists) }
            },
        )
        .await?;
        check_eq!(
            value_of(cx, "ttl-short").await?,
            None,
            "Get of an expired key (None = NOT_FOUND)"
        );
        Ok(())
    }

    /// A key whose TTL ran out is missing for GetTTL too: -2.
    pub async fn expired_key_ttl_is_minus_two(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-short-ttl", b"ephemeral").await?;
        check!(
            expire(cx, "ttl-short-ttl", SHORT_MS).await?,
            "Expire of an existing key reported found = false"
        );
        let client = cx.keyvalue_ttl();
        let probe = cx
            .req(GetTtlRequest {
                key: "ttl-short-ttl".into(),
                ..Default::default()
            })
            .into_inner();
        eventually(
            VANISH_WITHIN,
            "GetTTL of a key with a 150 ms TTL becomes -2",
            move || {
                let mut ttl = client.clone();
                let req = probe.clone();
                async move { Ok(ttl.get_ttl(req).await?.into_inner().ttl_ms == -2) }
            },
        )
        .await?;
        Ok(())
    }

    /// A key with a TTL far in the future stays readable.
    pub async fn unexpired_key_survives(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-long", b"durable").await?;
        check!(
            expire(cx, "ttl-long", LONG_MS).await?,
            "Expire of an existing key reported found = false"
        );
        let kv = cx.keyvalue_basic();
        let probe = cx
            .req(GetRequest {
                key: "ttl-long".into(),
                ..Default::default()
            })
            .into_inner();
        // 300 ms: a plugin that reads the TTL as microseconds (60 ms) or drops the key at once fails.
        stays(
            Duration::from_millis(300),
            "key with a 60 s TTL is readable",
            move || {
                let mut kv = kv.clone();
                let req = probe.clone();
                async move { Ok(kv.get(req).await?.into_inner().value == b"durable") }
            },
        )
        .await?;
        check!(
            exists(cx, "ttl-long").await?,
            "Exists answered false for a key with a 60 s TTL"
        );
        Ok(())
    }

    /// Persist removes an expiry: it answers true, GetTTL becomes -1 and the key outlives its old TTL.
    pub async fn persist_removes_expiry(cx: &mut Case) -> CaseResult {
        /// The TTL that Persist must come within; doubled (on a fresh key) when the machine
        /// outlived it, since then a false answer says nothing about the plugin.
        const TTL: Duration = Duration::from_millis(400);
        let cx = &*cx;
        let key = |n: u32| attempt_name("ttl-persisted", n);
        let done = in_time(TTL, |n, ttl| async move {
            let key = key(n);
            put(cx, &key, b"saved").await?;
            check!(
                expire(cx, &key, millis(ttl)).await?,
                "Expire of an existing key reported found = false"
            );
            check!(
                persist(cx, &key).await?,
                "Persist of a key with an expiry answered persisted = false"
            );
            Ok(())
        })
        .await?;
        let key = key(done.attempt);
        check_eq!(ttl_of(cx, &key).await?, -1i64, "GetTTL after Persist");
        let kv = cx.keyvalue_basic();
        let probe = cx
            .req(ExistsRequest {
                key: key.clone(),
                ..Default::default()
            })
            .into_inner();
        let what = format!(
            "persisted key still exists past its old {} ms TTL",
            done.window.as_millis()
        );
        // At least the 700 ms it always watched, and 300 ms past the end of the try's TTL.
        let watch = Duration::from_millis(700).max(done.left + Duration::from_millis(300));
        stays(watch, &what, move || {
            let mut kv = kv.clone();
            let req = probe.clone();
            async move { Ok(kv.exists(req).await?.into_inner().exists) }
        })
        .await?;
        check_eq!(
            value_of(cx, &key).await?,
            some(b"saved"),
            "Get after the old TTL passed"
        );
        Ok(())
    }

    /// Persist of a key without expiry, or of a missing key, answers persisted = false.
    pub async fn persist_without_expiry_reports_false(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-plain", b"plain").await?;
        check!(
            !persist(cx, "ttl-plain").await?,
            "Persist of a key without expiry answered persisted = true"
        );
        check!(
            !persist(cx, "ttl-missing").await?,
            "Persist of a missing key answered persisted = true"
        );
        check_eq!(
            ttl_of(cx, "ttl-plain").await?,
            -1i64,
            "GetTTL after a no-op Persist"
        );
        check_eq!(
            ttl_of(cx, "ttl-missing").await?,
            -2i64,
            "Persist of a missing key created it"
        );
        Ok(())
    }

    /// Expire of a missing key answers found = false and does not create the key.
    pub async fn expire_missing_key_reports_not_found(cx: &mut Case) -> CaseResult {
        check!(
            !expire(cx, "ttl-absent", LONG_MS).await?,
            "Expire of a missing key reported found = true"
        );
        check!(
            !exists(cx, "ttl-absent").await?,
            "Expire of a missing key created it"
        );
        check_eq!(
            ttl_of(cx, "ttl-absent").await?,
            -2i64,
            "GetTTL of the key a failed Expire named"
        );
        Ok(())
    }

    /// Set on a key with an expiry clears the expiry: GetTTL becomes -1.
    pub async fn set_clears_ttl(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-reset", b"first").await?;
        check!(
            expire(cx, "ttl-reset", LONG_MS).await?,
            "Expire of an existing key reported found = false"
        );
        put(cx, "ttl-reset", b"second").await?;
        check_eq!(
            ttl_of(cx, "ttl-reset").await?,
            -1i64,
            "GetTTL after Set replaced a key that had an expiry"
        );
        Ok(())
    }

    /// A TTL of 0 or less is INVALID_ARGUMENT and leaves the key as it was.
    pub async fn non_positive_ttl_rejected(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-bad", b"untouched").await?;
        let mut ttl = cx.keyvalue_ttl();
        let zero = ttl
            .expire(cx.req(ExpireRequest {
                key: "ttl-bad".into(),
                ttl_ms: 0,
                ..Default::default()
            }))
            .await;
        check_code!(zero, Code::InvalidArgument);
        let negative = ttl
            .expire(cx.req(ExpireRequest {
                key: "ttl-bad".into(),
                ttl_ms: -5,
                ..Default::default()
            }))
            .await;
        check_code!(negative, Code::InvalidArgument);
        check_eq!(
            value_of(cx, "ttl-bad").await?,
            some(b"untouched"),
            "Get after rejected Expires"
        );
        check_eq!(
            ttl_of(cx, "ttl-bad").await?,
            -1i64,
            "GetTTL after rejected Expires"
        );
        Ok(())
    }

    /// Expire, GetTTL and Persist in one namespace never touch the same key in a namespace it is a prefix of (`ns`, `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::keyvalue::isolated::Ttl).await
    }

    /// An expired key vanishes for Get even when Get is the first read after the expiry: NOT_FOUND, with no Exists before it.
    pub async fn expired_key_vanishes_for_get_first(cx: &mut Case) -> CaseResult {
        put(cx, "ttl-get", b"ephemeral").await?;
        check!(
            expire(cx, "ttl-get", SHORT_MS).await?,
            "Expire of an existing key reported found = false"
        );
        let probe_cx = cx.keyvalue_basic();
        let probe = cx
            .req(GetRequest {
                key: "ttl-get".into(),
                ..Default::default()
            })
            .into_inner();
        eventually(
            VANISH_WITHIN,
            "Get of a key with a 150 ms TTL answers NOT_FOUND",
            move || {
                let mut kv = probe_cx.clone();
                let req = probe.clone();
                async move {
                    match kv.get(req).await {
                        Ok(_) => Ok(false),
                        Err(s) if s.code() == Code::NotFound => Ok(true),
                        Err(s) => Err(s.into()),
                    }
                }
            },
        )
        .await?;
        let exists = cx
            .keyvalue_basic()
            .exists(cx.req(ExistsRequest {
                key: "ttl-get".into(),
                ..Default::default()
            }))
            .await?
            .into_inner()
            .exists;
        check!(!exists, "Exists of a key Get already found expired");
        Ok(())
    }

    /// Expired keys vanish for Scan, ScanKeys and Count (keyvalue_scan) too, read before any Get or Exists. A backend without keyvalue_scan has no such reads: only Get is checked then.
    pub async fn expired_key_vanishes_from_scan_and_count(cx: &mut Case) -> CaseResult {
        put(cx, "gone-1", b"ephemeral").await?;
        put(cx, "gone-2", b"ephemeral").await?;
        put(cx, "kept", b"stays").await?;
        for key in ["gone-1", "gone-2"] {
            check!(
                expire(cx, key, SHORT_MS).await?,
                "Expire of an existing key reported found = false"
            );
        }
        let probe_cx = cx.keyvalue_scan();
        let probe = cx.req(CountRequest::default()).into_inner();
        let first = probe_cx.clone().count(probe.clone()).await;
        if matches!(&first, Err(s) if s.code() == Code::Unimplemented) {
            check_eq!(value_of(cx, "gone-1").await?, None, "Get of an expired key");
            return Ok(());
        }
        eventually(
            VANISH_WITHIN,
            "Count stops counting two keys with a 150 ms TTL",
            move || {
                let mut kv = probe_cx.clone();
                let req = probe.clone();
                async move { Ok(kv.count(req).await?.into_inner().count == 1) }
            },
        )
        .await?;
        let mut scan = cx.keyvalue_scan();
        let items = collect(
            scan.scan(cx.req(ScanRequest::default()))
                .await?
                .into_inner(),
        )
        .await?;
        let items: Vec<(String, Vec<u8>)> = items.into_iter().map(|i| (i.key, i.value)).collect();
        check_eq!(
            items,
            vec![("kept".to_owned(), b"stays".to_vec())],
            "Scan after two keys expired"
        );
        let keys = collect(
            scan.scan_keys(cx.req(ScanKeysRequest {
                prefix: "gone".into(),
                ..Default::default()
            }))
            .await?
            .into_inner(),
        )
        .await?;
        check!(keys.is_empty(), "ScanKeys listed expired keys: {keys:?}");
        let count = scan
            .count(cx.req(CountRequest {
                prefix: "gone".into(),
                ..Default::default()
            }))
            .await?
            .into_inner()
            .count;
        check_eq!(count, 0, "Count of the expired keys' prefix");
        Ok(())
    }
}
