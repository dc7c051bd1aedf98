use prism_suite::interface_suite;

/// `keyvalue_transactional`: Begin, TxnSet, TxnGet, TxnDelete, Commit, Rollback.
///
/// Rules: writes in a transaction are invisible outside it until Commit, which applies them all at
/// once; Rollback discards them; a transaction reads its own writes; a committed, rolled back or
/// unknown handle is FAILED_PRECONDITION or NOT_FOUND; a commit whose keys were changed by someone
/// else after the transaction touched them is ABORTED and applies nothing. "Outside" is keyvalue_basic.
#[interface_suite("keyvalue_transactional")]
pub mod keyvalue_transactional {
    use prism_suite::prelude::*;
    use prism_suite::proto::keyvalue::*;

    use std::future::Future;

    use crate::keyvalue::{at_caller, put, some, value_of};

    /// Begins a transaction in the case's namespace.
    #[track_caller]
    fn begin(cx: &Case) -> impl Future<Output = Result<String, CaseError>> + Send {
        let mut tx = cx.keyvalue_transactional();
        let req = cx.req(BeginRequest::default());
        at_caller(async move { Ok(tx.begin(req).await?.into_inner().txn_id) })
    }

    fn txn_set(cx: &Case, txn: &str, key: &str, value: &[u8]) -> TxnSetRequest {
        TxnSetRequest {
            namespace: cx.namespace().into(),
            txn_id: txn.into(),
            key: key.into(),
            value: value.to_vec(),
        }
    }

    fn txn_get(cx: &Case, txn: &str, key: &str) -> TxnGetRequest {
        TxnGetRequest {
            namespace: cx.namespace().into(),
            txn_id: txn.into(),
            key: key.into(),
        }
    }

    fn txn_delete(cx: &Case, txn: &str, key: &str) -> TxnDeleteRequest {
        TxnDeleteRequest {
            namespace: cx.namespace().into(),
            txn_id: txn.into(),
            key: key.into(),
        }
    }

    fn commit(cx: &Case, txn: &str) -> CommitRequest {
        CommitRequest {
            namespace: cx.namespace().into(),
            txn_id: txn.into(),
        }
    }

    fn rollback(cx: &Case, txn: &str) -> RollbackRequest {
        RollbackRequest {
            namespace: cx.namespace().into(),
            txn_id: txn.into(),
        }
    }

    /// A write inside an open transaction is invisible outside it, for new and existing keys.
    pub async fn uncommitted_writes_invisible(cx: &mut Case) -> CaseResult {
        put(cx, "txn-existing", b"before").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        tx.txn_set(txn_set(cx, &id, "txn-new", b"pending")).await?;
        tx.txn_set(txn_set(cx, &id, "txn-existing", b"pending"))
            .await?;
        check_eq!(
            value_of(cx, "txn-new").await?,
            None,
            "outside Get of a key only written in an open transaction"
        );
        check_eq!(
            value_of(cx, "txn-existing").await?,
            some(b"before"),
            "outside Get of a key overwritten in an open transaction"
        );
        tx.rollback(rollback(cx, &id)).await?;
        Ok(())
    }

    /// A write inside an open transaction is invisible to another transaction.
    pub async fn uncommitted_writes_invisible_to_other_txn(cx: &mut Case) -> CaseResult {
        let mut tx = cx.keyvalue_transactional();
        let writer = begin(cx).await?;
        let reader = begin(cx).await?;
        check_ne!(writer, reader);
        tx.txn_set(txn_set(cx, &writer, "txn-private", b"mine"))
            .await?;
        let seen = tx.txn_get(txn_get(cx, &reader, "txn-private")).await;
        check_code!(seen, Code::NotFound);
        tx.rollback(rollback(cx, &writer)).await?;
        tx.rollback(rollback(cx, &reader)).await?;
        Ok(())
    }

    /// Commit makes a transaction's writes visible outside it.
    pub async fn commit_makes_writes_visible(cx: &mut Case) -> CaseResult {
        put(cx, "txn-old", b"old").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        tx.txn_set(txn_set(cx, &id, "txn-fresh", b"committed"))
            .await?;
        tx.txn_set(txn_set(cx, &id, "txn-old", b"replaced")).await?;
        tx.commit(commit(cx, &id)).await?;
        check_eq!(
            value_of(cx, "txn-fresh").await?,
            some(b"committed"),
            "outside Get of a new key after Commit"
        );
        check_eq!(
            value_of(cx, "txn-old").await?,
            some(b"replaced"),
            "outside Get of an overwritten key after Commit"
        );
        Ok(())
    }

    /// Rollback discards a transaction's writes: new keys stay absent, existing ones keep their value.
    pub async fn rollback_discards_writes(cx: &mut Case) -> CaseResult {
        put(cx, "txn-kept", b"original").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        tx.txn_set(txn_set(cx, &id, "txn-discarded", b"never"))
            .await?;
        tx.txn_set(txn_set(cx, &id, "txn-kept", b"never")).await?;
        tx.txn_delete(txn_delete(cx, &id, "txn-kept")).await?;
        tx.rollback(rollback(cx, &id)).await?;
        check_eq!(
            value_of(cx, "txn-discarded").await?,
            None,
            "outside Get of a key written then rolled back"
        );
        check_eq!(
            value_of(cx, "txn-kept").await?,
            some(b"original"),
            "outside Get of a key changed then rolled back"
        );
        Ok(())
    }

    /// A transaction reads its own writes, including overwrites of existing keys.
    pub async fn txn_reads_own_writes(cx: &mut Case) -> CaseResult {
        put(cx, "txn-own-existing", b"outside").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        tx.txn_set(txn_set(cx, &id, "txn-own-new", b"inside-new"))
            .await?;
        tx.txn_set(txn_set(cx, &id, "txn-own-existing", b"inside-overwrite"))
            .await?;
        let got = tx.txn_get(txn_get(cx, &id, "txn-own-new")).await?;
        check_eq!(
            got.into_inner().value,
            b"inside-new",
            "TxnGet of a key the transaction wrote"
        );
        let got = tx.txn_get(txn_get(cx, &id, "txn-own-existing")).await?;
        check_eq!(
            got.into_inner().value,
            b"inside-overwrite",
            "TxnGet of a key the transaction overwrote"
        );
        tx.rollback(rollback(cx, &id)).await?;
        Ok(())
    }

    /// A transaction reads data committed before it began.
    pub async fn txn_reads_existing_data(cx: &mut Case) -> CaseResult {
        put(cx, "txn-preexisting", b"committed-earlier").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        let got = tx.txn_get(txn_get(cx, &id, "txn-preexisting")).await?;
        check_eq!(
            got.into_inner().value,
            b"committed-earlier",
            "TxnGet of a key set before Begin"
        );
        tx.rollback(rollback(cx, &id)).await?;
        Ok(())
    }

    /// Commit is atomic: of several written keys none is visible before Commit and all are after.
    pub async fn commit_is_atomic(cx: &mut Case) -> CaseResult {
        let keys: Vec<String> = (0..6).map(|i| format!("txn-atomic-{i}")).collect();
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        for (i, key) in keys.iter().enumerate() {
            tx.txn_set(txn_set(cx, &id, key, format!("atomic-{i}").as_bytes()))
                .await?;
        }
        for key in &keys {
            check_eq!(
                value_of(cx, key).await?,
                None,
                "outside Get of {key} before Commit"
            );
        }
        tx.commit(commit(cx, &id)).await?;
        for (i, key) in keys.iter().enumerate() {
            check_eq!(
                value_of(cx, key).await?,
                some(format!("atomic-{i}").as_bytes()),
                "outside Get of {key} after Commit"
            );
        }
        Ok(())
    }

    /// A committed or rolled back handle fails with FAILED_PRECONDITION or NOT_FOUND and writes nothing.
    pub async fn finished_handle_fails(cx: &mut Case) -> CaseResult {
        let mut tx = cx.keyvalue_transactional();

        let committed = begin(cx).await?;
        tx.txn_set(txn_set(cx, &committed, "txn-done", b"committed"))
            .await?;
        tx.commit(commit(cx, &committed)).await?;
        let set = tx
            .txn_set(txn_set(cx, &committed, "txn-after-commit", b"late"))
            .await;
        check_code!(set, Code::FailedPrecondition | Code::NotFound);
        let get = tx.txn_get(txn_get(cx, &committed, "txn-done")).await;
        check_code!(get, Code::FailedPrecondition | Code::NotFound);
        let again = tx.commit(commit(cx, &committed)).await;
        check_code!(again, Code::FailedPrecondition | Code::NotFound);
        check_eq!(
            value_of(cx, "txn-after-commit").await?,
            None,
            "a TxnSet on a committed handle wrote"
        );

        let rolled_back = begin(cx).await?;
        tx.txn_set(txn_set(cx, &rolled_back, "txn-undone", b"discarded"))
            .await?;
        tx.rollback(rollback(cx, &rolled_back)).await?;
        let set = tx
            .txn_set(txn_set(cx, &rolled_back, "txn-after-rollback", b"late"))
            .await;
        check_code!(set, Code::FailedPrecondition | Code::NotFound);
        let commit_after = tx.commit(commit(cx, &rolled_back)).await;
        check_code!(commit_after, Code::FailedPrecondition | Code::NotFound);
        check_eq!(
            value_of(cx, "txn-after-rollback").await?,
            None,
            "a TxnSet on a rolled back handle wrote"
        );
        check_eq!(
            value_of(cx, "txn-undone").await?,
            None,
            "Commit after Rollback applied the discarded write"
        );
        Ok(())
    }

    /// A handle Begin never returned fails with FAILED_PRECONDITION or NOT_FOUND for every operation.
    pub async fn unknown_handle_fails(cx: &mut Case) -> CaseResult {
        let mut tx = cx.keyvalue_transactional();
        let bogus = format!("no-such-txn-{}", cx.namespace());
        let set = tx.txn_set(txn_set(cx, &bogus, "txn-ghost", b"ghost")).await;
        check_code!(set, Code::FailedPrecondition | Code::NotFound);
        let get = tx.txn_get(txn_get(cx, &bogus, "txn-ghost")).await;
        check_code!(get, Code::FailedPrecondition | Code::NotFound);
        let delete = tx.txn_delete(txn_delete(cx, &bogus, "txn-ghost")).await;
        check_code!(delete, Code::FailedPrecondition | Code::NotFound);
        let commit_unknown = tx.commit(commit(cx, &bogus)).await;
        check_code!(commit_unknown, Code::FailedPrecondition | Code::NotFound);
        let rollback_unknown = tx.rollback(rollback(cx, &bogus)).await;
        check_code!(rollback_unknown, Code::FailedPrecondition | Code::NotFound);
        check_eq!(
            value_of(cx, "txn-ghost").await?,
            None,
            "a TxnSet on an unknown handle wrote"
        );
        Ok(())
    }

    /// A commit whose read key was changed outside after the read is ABORTED and applies nothing.
    pub async fn conflicting_commit_aborted(cx: &mut Case) -> CaseResult {
        put(cx, "txn-contended", b"v0").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        let read = tx.txn_get(txn_get(cx, &id, "txn-contended")).await?;
        check_eq!(
            read.into_inner().value,
            b"v0",
            "TxnGet before the conflicting write"
        );
        tx.txn_set(txn_set(cx, &id, "txn-contended", b"from-txn"))
            .await?;
        tx.txn_set(txn_set(cx, &id, "txn-side-effect", b"from-txn"))
            .await?;
        put(cx, "txn-contended", b"from-outside").await?;
        let committed = tx.commit(commit(cx, &id)).await;
        check_code!(committed, Code::Aborted);
        check_eq!(
            value_of(cx, "txn-contended").await?,
            some(b"from-outside"),
            "contended key after the aborted commit"
        );
        check_eq!(
            value_of(cx, "txn-side-effect").await?,
            None,
            "another key of the aborted commit"
        );
        Ok(())
    }

    /// A commit whose written key was changed outside after the write is ABORTED and applies nothing.
    pub async fn blind_write_conflict_aborted(cx: &mut Case) -> CaseResult {
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        tx.txn_set(txn_set(cx, &id, "txn-blind", b"from-txn"))
            .await?;
        tx.txn_set(txn_set(cx, &id, "txn-blind-other", b"from-txn"))
            .await?;
        put(cx, "txn-blind", b"from-outside").await?;
        let committed = tx.commit(commit(cx, &id)).await;
        check_code!(committed, Code::Aborted);
        check_eq!(
            value_of(cx, "txn-blind").await?,
            some(b"from-outside"),
            "contended key after the aborted commit"
        );
        check_eq!(
            value_of(cx, "txn-blind-other").await?,
            None,
            "another key of the aborted commit"
        );
        Ok(())
    }

    /// TxnDelete is invisible outside until Commit; after Commit the key is gone.
    pub async fn txn_delete_invisible_until_commit(cx: &mut Case) -> CaseResult {
        put(cx, "txn-doomed", b"alive").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        tx.txn_delete(txn_delete(cx, &id, "txn-doomed")).await?;
        check_eq!(
            value_of(cx, "txn-doomed").await?,
            some(b"alive"),
            "outside Get before Commit of a TxnDelete"
        );
        let inside = tx.txn_get(txn_get(cx, &id, "txn-doomed")).await;
        check_code!(inside, Code::NotFound);
        tx.commit(commit(cx, &id)).await?;
        check_eq!(
            value_of(cx, "txn-doomed").await?,
            None,
            "outside Get after Commit of a TxnDelete"
        );
        Ok(())
    }

    /// TxnDelete reports found = true for an existing key and false for a missing one.
    pub async fn txn_delete_reports_found(cx: &mut Case) -> CaseResult {
        put(cx, "txn-del-present", b"here").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        let present = tx
            .txn_delete(txn_delete(cx, &id, "txn-del-present"))
            .await?;
        check!(
            present.into_inner().found,
            "TxnDelete of an existing key reported found = false"
        );
        let missing = tx
            .txn_delete(txn_delete(cx, &id, "txn-del-missing"))
            .await?;
        check!(
            !missing.into_inner().found,
            "TxnDelete of a missing key reported found = true"
        );
        tx.rollback(rollback(cx, &id)).await?;
        Ok(())
    }

    /// TxnGet of a key that exists neither outside nor in the transaction is NOT_FOUND.
    pub async fn txn_get_missing_not_found(cx: &mut Case) -> CaseResult {
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        let got = tx.txn_get(txn_get(cx, &id, "txn-nowhere")).await;
        check_code!(got, Code::NotFound);
        tx.rollback(rollback(cx, &id)).await?;
        Ok(())
    }

    /// Transactions read and commit their own namespace only, and a write to the same key in a namespace it is a prefix of (`ns`, `nsb`, `ns:`, ...) is no conflict.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::keyvalue::isolated::Transactional).await?;

        let mut tx = cx.keyvalue_transactional();
        let txn_id = tx
            .begin(cx.req(BeginRequest::default()))
            .await?
            .into_inner()
            .txn_id;
        let read = tx
            .txn_get(cx.req(TxnGetRequest {
                txn_id: txn_id.clone(),
                key: "k".into(),
                ..Default::default()
            }))
            .await;
        check_code!(read, Code::NotFound);
        tx.txn_set(cx.req(TxnSetRequest {
            txn_id: txn_id.clone(),
            key: "k".into(),
            value: b"mine".to_vec(),
            ..Default::default()
        }))
        .await?;
        for ns in crate::isolation::family(cx).iter().skip(1) {
            crate::keyvalue::put_in(cx, ns, "k", b"theirs").await?;
        }
        tx.commit(cx.req(CommitRequest {
            txn_id,
            ..Default::default()
        }))
        .await?;
        check_eq!(
            crate::keyvalue::value_of(cx, "k").await?,
            crate::keyvalue::some(b"mine"),
            "the committed value"
        );
        Ok(())
    }

    /// A commit whose key was only read (never written) and then changed outside is ABORTED.
    pub async fn read_only_key_changed_aborts(cx: &mut Case) -> CaseResult {
        put(cx, "txn-guard", b"v0").await?;
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        let read = tx.txn_get(txn_get(cx, &id, "txn-guard")).await?;
        check_eq!(read.into_inner().value, b"v0", "TxnGet of the guard key");
        tx.txn_set(txn_set(cx, &id, "txn-derived", b"from-txn"))
            .await?;
        put(cx, "txn-guard", b"changed").await?;
        let committed = tx.commit(commit(cx, &id)).await;
        check_code!(committed, Code::Aborted);
        check_eq!(
            value_of(cx, "txn-derived").await?,
            None,
            "key written by a commit whose read key had changed"
        );
        Ok(())
    }

    /// A commit that read a key as absent, which was then created outside, is ABORTED.
    pub async fn read_absent_key_created_aborts(cx: &mut Case) -> CaseResult {
        let mut tx = cx.keyvalue_transactional();
        let id = begin(cx).await?;
        let read = tx.txn_get(txn_get(cx, &id, "txn-phantom")).await;
        check_code!(read, Code::NotFound);
        tx.txn_set(txn_set(cx, &id, "txn-phantom-side", b"from-txn"))
            .await?;
        put(cx, "txn-phantom", b"created-outside").await?;
        let committed = tx.commit(commit(cx, &id)).await;
        check_code!(committed, Code::Aborted);
        check_eq!(
            value_of(cx, "txn-phantom-side").await?,
            None,
            "key written by a commit whose absent read key was created"
        );
        Ok(())
    }

    /// Of two transactions that read and then write one key, the later commit is ABORTED: no lost update.
    pub async fn concurrent_read_modify_write_loses_no_update(cx: &mut Case) -> CaseResult {
        put(cx, "txn-counter", b"0").await?;
        let mut tx = cx.keyvalue_transactional();
        let first = begin(cx).await?;
        let second = begin(cx).await?;
        for id in [&first, &second] {
            let read = tx.txn_get(txn_get(cx, id, "txn-counter")).await?;
            check_eq!(read.into_inner().value, b"0", "TxnGet of the counter");
        }
        tx.txn_set(txn_set(cx, &first, "txn-counter", b"1 from first"))
            .await?;
        tx.txn_set(txn_set(cx, &second, "txn-counter", b"1 from second"))
            .await?;
        tx.commit(commit(cx, &first)).await?;
        let later = tx.commit(commit(cx, &second)).await;
        check_code!(later, Code::Aborted);
        check_eq!(
            value_of(cx, "txn-counter").await?,
            some(b"1 from first"),
            "counter after both commits"
        );
        Ok(())
    }
}
