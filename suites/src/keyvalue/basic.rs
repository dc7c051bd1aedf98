use prism_suite::interface_suite;

/// `keyvalue_basic`: Set, Get, Delete, Exists.
///
/// Rules: Set overwrites; Get of a missing key is NOT_FOUND; Delete reports whether the key was
/// found; values are arbitrary bytes (empty, 0x00, non-UTF-8, 1 MiB); keys are any non-empty UTF-8
/// and an empty key is INVALID_ARGUMENT; namespaces are kept apart; concurrent Sets all land.
#[interface_suite("keyvalue_basic")]
pub mod keyvalue_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::keyvalue::*;

    fn set_req(key: impl Into<String>, value: impl Into<Vec<u8>>) -> SetRequest {
        SetRequest {
            key: key.into(),
            value: value.into(),
            ..Default::default()
        }
    }

    fn get_req(key: impl Into<String>) -> GetRequest {
        GetRequest {
            key: key.into(),
            ..Default::default()
        }
    }

    fn exists_req(key: impl Into<String>) -> ExistsRequest {
        ExistsRequest {
            key: key.into(),
            ..Default::default()
        }
    }

    fn delete_req(key: impl Into<String>) -> DeleteRequest {
        DeleteRequest {
            key: key.into(),
            ..Default::default()
        }
    }

    /// Set of a new key stores it: the key exists afterwards.
    pub async fn set(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let before = kv.exists(cx.req(exists_req("set-key"))).await?;
        check!(
            !before.into_inner().exists,
            "Exists was true in a fresh namespace before any Set"
        );
        kv.set(cx.req(set_req("set-key", b"set-value"))).await?;
        let after = kv.exists(cx.req(exists_req("set-key"))).await?;
        check!(
            after.into_inner().exists,
            "Exists was false right after Set succeeded"
        );
        Ok(())
    }

    /// Get returns exactly the bytes stored under the requested key, not those of another key.
    pub async fn get(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        kv.set(cx.req(set_req("get-key-a", b"value of a"))).await?;
        kv.set(cx.req(set_req("get-key-b", b"value of b"))).await?;
        let a = kv.get(cx.req(get_req("get-key-a"))).await?;
        check_eq!(a.into_inner().value, b"value of a", "Get get-key-a");
        let b = kv.get(cx.req(get_req("get-key-b"))).await?;
        check_eq!(b.into_inner().value, b"value of b", "Get get-key-b");
        Ok(())
    }

    /// Delete of a stored key reports found = true and removes the key.
    pub async fn delete(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        kv.set(cx.req(set_req("delete-key", b"doomed"))).await?;
        let del = kv.delete(cx.req(delete_req("delete-key"))).await?;
        check!(
            del.into_inner().found,
            "Delete of a stored key reported found = false"
        );
        let got = kv.get(cx.req(get_req("delete-key"))).await;
        check_code!(got, Code::NotFound);
        Ok(())
    }

    /// Exists is true for a stored key.
    pub async fn exists(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        kv.set(cx.req(set_req("exists-key", b"here"))).await?;
        let got = kv.exists(cx.req(exists_req("exists-key"))).await?;
        check!(
            got.into_inner().exists,
            "Exists of a stored key answered false"
        );
        Ok(())
    }

    /// A key's whole life: Set, Get returns it, Delete finds it, then it is gone for Exists and Get.
    pub async fn set_get_delete(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let key = "lifecycle-key";
        kv.set(cx.req(set_req(key, b"lifecycle-value"))).await?;
        let got = kv.get(cx.req(get_req(key))).await?;
        check_eq!(got.into_inner().value, b"lifecycle-value", "Get after Set");
        let del = kv.delete(cx.req(delete_req(key))).await?;
        check!(
            del.into_inner().found,
            "Delete after Set reported found = false"
        );
        let ex = kv.exists(cx.req(exists_req(key))).await?;
        check!(!ex.into_inner().exists, "Exists was true after Delete");
        let got = kv.get(cx.req(get_req(key))).await;
        check_code!(got, Code::NotFound);
        let again = kv.delete(cx.req(delete_req(key))).await?;
        check!(
            !again.into_inner().found,
            "a second Delete of the same key reported found = true"
        );
        Ok(())
    }

    /// Get of a key that was never set is NOT_FOUND.
    pub async fn get_non_existent(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let got = kv.get(cx.req(get_req("never-set-key"))).await;
        check_code!(got, Code::NotFound);
        Ok(())
    }

    /// Delete of a key that was never set succeeds and reports found = false.
    pub async fn delete_non_existent(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let del = kv.delete(cx.req(delete_req("never-set-key"))).await?;
        check!(
            !del.into_inner().found,
            "Delete of a never-set key reported found = true"
        );
        Ok(())
    }

    /// Exists of a key that was never set succeeds and answers false.
    pub async fn exists_non_existent(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let got = kv.exists(cx.req(exists_req("never-set-key"))).await?;
        check!(
            !got.into_inner().exists,
            "Exists of a never-set key answered true"
        );
        Ok(())
    }

    /// Set on an existing key replaces its value.
    pub async fn overwrite_value(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        kv.set(cx.req(set_req("k", b"one"))).await?;
        kv.set(cx.req(set_req("k", b"two"))).await?;
        let got = kv.get(cx.req(get_req("k"))).await?;
        check_eq!(got.into_inner().value, b"two");
        Ok(())
    }

    /// 100 concurrent Sets on distinct keys all succeed and all land with their own value.
    pub async fn concurrent_sets(cx: &mut Case) -> CaseResult {
        const N: usize = 100;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..N {
            let mut kv = cx.keyvalue_basic();
            let req = cx.req(set_req(
                format!("concurrent-key-{i:03}"),
                format!("concurrent-value-{i:03}").into_bytes(),
            ));
            tasks.spawn(async move { (i, kv.set(req).await) });
        }
        let mut failed = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (i, res) =
                joined.map_err(|e| CaseError::check(format!("a Set task panicked: {e}")))?;
            if let Err(status) = res {
                failed.push(format!(
                    "concurrent-key-{i:03}: {:?} {}",
                    status.code(),
                    status.message()
                ));
            }
        }
        check!(
            failed.is_empty(),
            "{} of {N} concurrent Sets failed: {failed:?}",
            failed.len()
        );

        let mut kv = cx.keyvalue_basic();
        let mut wrong = Vec::new();
        for i in 0..N {
            let key = format!("concurrent-key-{i:03}");
            let expected = format!("concurrent-value-{i:03}").into_bytes();
            match kv.get(cx.req(get_req(key.clone()))).await {
                Ok(got) if got.get_ref().value == expected => {}
                Ok(got) => wrong.push(format!(
                    "{key}: {:?}",
                    String::from_utf8_lossy(&got.into_inner().value)
                )),
                Err(status) => wrong.push(format!("{key}: {:?}", status.code())),
            }
        }
        check!(
            wrong.is_empty(),
            "{} of {N} keys are missing or wrong after concurrent Sets: {wrong:?}",
            wrong.len()
        );
        Ok(())
    }

    /// An empty value is a value: the key exists and Get returns zero bytes, not NOT_FOUND.
    pub async fn empty_value(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        kv.set(cx.req(set_req("empty-value-key", Vec::new())))
            .await?;
        let ex = kv.exists(cx.req(exists_req("empty-value-key"))).await?;
        check!(
            ex.into_inner().exists,
            "Exists answered false for a key whose value is empty"
        );
        let got = kv.get(cx.req(get_req("empty-value-key"))).await?;
        check_eq!(
            got.into_inner().value,
            Vec::<u8>::new(),
            "Get of a key whose value is empty"
        );
        Ok(())
    }

    /// Values are raw bytes: 0x00, 0xFF and invalid UTF-8 round trip unchanged.
    pub async fn zero_byte_and_non_utf8_value(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let values: [(&str, &[u8]); 4] = [
            ("nul-only", &[0x00]),
            ("nul-inside", b"before\x00after\x00"),
            ("ff-bytes", &[0xFF, 0xFE, 0xFF, 0x00, 0x80]),
            (
                "invalid-utf8",
                &[0xC3, 0x28, 0xE2, 0x82, 0xED, 0xA0, 0x80, 0xF8, 0x88],
            ),
        ];
        for (key, value) in values {
            kv.set(cx.req(set_req(key, value.to_vec()))).await?;
        }
        for (key, value) in values {
            let got = kv.get(cx.req(get_req(key))).await?;
            check_eq!(got.into_inner().value, value, "Get {key}");
        }
        Ok(())
    }

    /// A 1 MiB value round trips byte for byte.
    pub async fn large_value_1mib(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        // Every byte value, in a pattern that does not repeat on any power-of-two boundary, so that
        // truncation, padding or a shifted chunk all show.
        let value: Vec<u8> = (0..1024 * 1024u32)
            .map(|i| (i.wrapping_mul(31).wrapping_add(i >> 9) % 251) as u8)
            .collect();
        kv.set(cx.req(set_req("large-value-key", value.clone())))
            .await?;
        let got = kv.get(cx.req(get_req("large-value-key"))).await?;
        let got = got.into_inner().value;
        check_eq!(
            got.len(),
            value.len(),
            "length of the 1 MiB value read back"
        );
        let first_diff = got.iter().zip(&value).position(|(a, b)| a != b);
        check!(
            first_diff.is_none(),
            "the 1 MiB value read back differs first at byte {first_diff:?}"
        );
        Ok(())
    }

    /// Keys are any non-empty UTF-8: spaces, `/`, `:`, `%`, `_`, `*` and emoji are distinct keys.
    pub async fn special_character_keys(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let keys = [
            "with space",
            " ",
            "a/b/c",
            "/",
            "user:42:name",
            ":",
            "100%",
            "%",
            "%%",
            "snake_case_key",
            "_",
            "star*key",
            "*",
            "emoji-🦀-key",
            "😀",
            "ünïcødé-日本語",
            "tab\there",
            "new\nline",
        ];
        for (i, key) in keys.iter().enumerate() {
            kv.set(cx.req(set_req(*key, format!("special-{i}").into_bytes())))
                .await?;
        }
        for (i, key) in keys.iter().enumerate() {
            let got = kv.get(cx.req(get_req(*key))).await?;
            check_eq!(
                String::from_utf8_lossy(&got.into_inner().value),
                format!("special-{i}"),
                "Get {key:?}"
            );
        }
        Ok(())
    }

    /// An empty key is INVALID_ARGUMENT for Set, Get, Exists and Delete.
    pub async fn empty_key_rejected(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let set = kv.set(cx.req(set_req(String::new(), b"v"))).await;
        check_code!(set, Code::InvalidArgument);
        let get = kv.get(cx.req(get_req(String::new()))).await;
        check_code!(get, Code::InvalidArgument);
        let exists = kv.exists(cx.req(exists_req(String::new()))).await;
        check_code!(exists, Code::InvalidArgument);
        let delete = kv.delete(cx.req(delete_req(String::new()))).await;
        check_code!(delete, Code::InvalidArgument);
        Ok(())
    }

    /// Namespaces are apart: a key written in one is invisible in another, and deleting there leaves it.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let other = cx.other_namespace();
        kv.set(cx.req(set_req("shared-name", b"mine"))).await?;

        let ex = kv
            .exists(cx.req_in(&other, exists_req("shared-name")))
            .await?;
        check!(
            !ex.into_inner().exists,
            "Exists in another namespace saw this namespace's key"
        );
        let got = kv.get(cx.req_in(&other, get_req("shared-name"))).await;
        check_code!(got, Code::NotFound);
        let del = kv
            .delete(cx.req_in(&other, delete_req("shared-name")))
            .await?;
        check!(
            !del.into_inner().found,
            "Delete in another namespace found this namespace's key"
        );

        kv.set(cx.req_in(&other, set_req("shared-name", b"theirs")))
            .await?;
        let mine = kv.get(cx.req(get_req("shared-name"))).await?;
        check_eq!(
            mine.into_inner().value,
            b"mine",
            "own value after the same key was written in another namespace"
        );
        let theirs = kv.get(cx.req_in(&other, get_req("shared-name"))).await?;
        check_eq!(
            theirs.into_inner().value,
            b"theirs",
            "other namespace's value"
        );

        kv.delete(cx.req_in(&other, delete_req("shared-name")))
            .await?;
        let mine = kv.get(cx.req(get_req("shared-name"))).await?;
        check_eq!(
            mine.into_inner().value,
            b"mine",
            "own value after the same key was deleted in another namespace"
        );
        Ok(())
    }

    /// Writes, overwrites and deletes in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding keys.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::keyvalue::isolated::Basic).await
    }

    /// Concurrent Sets, Gets, Deletes and Exists on shared keys are linearizable: some sequential order consistent with real time explains every answer, so no acknowledged write is lost or seen out of order.
    pub async fn concurrent_history_is_linearizable(cx: &mut Case) -> CaseResult {
        crate::linearizable::keyvalue_basic(cx).await
    }

    /// Random sequences of Set, Get, Delete and Exists get the answers memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::keyvalue::reference::Basic).await
    }

    /// A key is every character of its UTF-8, NUL included: `a\0b`, `a\0` and `a` are three keys.
    pub async fn nul_inside_a_key_is_part_of_it(cx: &mut Case) -> CaseResult {
        let mut kv = cx.keyvalue_basic();
        let keys = ["a\0b", "a\0", "a", "\0"];
        for (i, key) in keys.iter().enumerate() {
            kv.set(cx.req(set_req(*key, format!("nul-{i}").into_bytes())))
                .await?;
        }
        for (i, key) in keys.iter().enumerate() {
            let got = kv.get(cx.req(get_req(*key))).await?;
            check_eq!(
                String::from_utf8_lossy(&got.into_inner().value),
                format!("nul-{i}"),
                "Get {key:?}"
            );
        }
        let gone = kv.get(cx.req(get_req("ab"))).await;
        check_code!(gone, Code::NotFound);
        Ok(())
    }
}
