use prism_suite::interface_suite;

/// `stream_partitioning`: GetPartitions, AppendToPartition.
///
/// Rules: the partition count is at least 2 and fixed for a stream's lifetime; records of one key
/// share a partition; an explicit partition is honoured; offsets are per partition, from 0, by
/// exactly 1 in append order, also under concurrent appends to other keys; GetPartitions answers
/// each partition's latest offset (-1 when empty); an explicit partition >= count is OUT_OF_RANGE
/// and appends nothing; a request without key or partition is INVALID_ARGUMENT.
#[interface_suite("stream_partitioning")]
pub mod stream_partitioning {
    use prism_suite::prelude::*;
    use prism_suite::proto::stream::append_to_partition_request::Target;
    use prism_suite::proto::stream::*;

    use std::collections::{BTreeMap, BTreeSet};
    use std::future::Future;

    use crate::keyvalue::at_caller;

    const STREAM: &str = "clicks";

    /// GetPartitions of `stream` in namespace `ns` as (count, latest offset per partition).
    #[track_caller]
    fn partitions_in(
        cx: &Case,
        ns: &str,
        stream: &str,
    ) -> impl Future<Output = Result<(u32, Vec<(u32, i64)>), CaseError>> + Send {
        let mut client = cx.stream_partitioning();
        let req = cx.req_in(
            ns,
            GetPartitionsRequest {
                stream: stream.into(),
                ..Default::default()
            },
        );
        at_caller(async move {
            let r = client.get_partitions(req).await?.into_inner();
            let latest = r
                .partitions
                .into_iter()
                .map(|p| (p.partition, p.latest_offset))
                .collect();
            Ok((r.count, latest))
        })
    }

    /// GetPartitions of [`STREAM`] in the case's namespace.
    #[track_caller]
    fn partitions(
        cx: &Case,
    ) -> impl Future<Output = Result<(u32, Vec<(u32, i64)>), CaseError>> + Send {
        partitions_in(cx, cx.namespace(), STREAM)
    }

    fn append_req(target: Option<Target>, payload: &str) -> AppendToPartitionRequest {
        AppendToPartitionRequest {
            stream: STREAM.into(),
            payload: payload.as_bytes().to_vec(),
            target,
            ..Default::default()
        }
    }

    /// AppendToPartition to [`STREAM`] as (partition, offset), or the code it failed with.
    fn try_append(
        cx: &Case,
        target: Option<Target>,
    ) -> impl Future<Output = Result<(u32, i64), Code>> + Send {
        let mut client = cx.stream_partitioning();
        let req = cx.req(append_req(target, "payload"));
        async move {
            let r = client
                .append_to_partition(req)
                .await
                .map_err(|s| s.code())?;
            let r = r.into_inner();
            Ok((r.partition, r.offset))
        }
    }

    /// AppendToPartition by `key` to [`STREAM`] as (partition, offset).
    #[track_caller]
    fn by_key(cx: &Case, key: &str) -> impl Future<Output = Result<(u32, i64), CaseError>> + Send {
        let mut client = cx.stream_partitioning();
        let req = cx.req(append_req(Some(Target::Key(key.into())), key));
        at_caller(async move {
            let r = client.append_to_partition(req).await?.into_inner();
            Ok((r.partition, r.offset))
        })
    }

    /// AppendToPartition to explicit `partition` of [`STREAM`]; the offset answered.
    #[track_caller]
    fn to_partition(
        cx: &Case,
        partition: u32,
    ) -> impl Future<Output = Result<(u32, i64), CaseError>> + Send {
        let mut client = cx.stream_partitioning();
        let req = cx.req(append_req(Some(Target::Partition(partition)), "explicit"));
        at_caller(async move {
            let r = client.append_to_partition(req).await?.into_inner();
            Ok((r.partition, r.offset))
        })
    }

    /// What GetPartitions answers for `count` partitions holding `len[p]` records each.
    fn expected(count: u32, len: &BTreeMap<u32, i64>) -> Vec<(u32, i64)> {
        (0..count)
            .map(|p| (p, len.get(&p).copied().unwrap_or(0) - 1))
            .collect()
    }

    /// Checks that the offsets handed out in every partition are exactly 0..n.
    fn contiguous(by_partition: &BTreeMap<u32, Vec<i64>>) -> CaseResult {
        for (partition, offsets) in by_partition {
            let mut sorted = offsets.clone();
            sorted.sort_unstable();
            check_eq!(
                sorted,
                (0..offsets.len() as i64).collect::<Vec<_>>(),
                "offsets handed out in partition {partition}"
            );
        }
        Ok(())
    }

    /// The partition count is at least 2 and the same before and after appends.
    pub async fn partition_count_is_fixed_and_at_least_two(cx: &mut Case) -> CaseResult {
        let (count, before) = partitions(cx).await?;
        check!(count >= 2, "GetPartitions answered count {count}");
        check_eq!(
            before,
            expected(count, &BTreeMap::new()),
            "partitions of a new stream"
        );
        for i in 0..12 {
            by_key(cx, &format!("user-{i}")).await?;
        }
        let (after, list) = partitions(cx).await?;
        check_eq!(after, count, "partition count after 12 appends");
        check_eq!(
            list.len(),
            count as usize,
            "partitions listed after 12 appends"
        );
        Ok(())
    }

    /// Every record of one key goes to the same partition.
    pub async fn same_key_same_partition(cx: &mut Case) -> CaseResult {
        let keys: Vec<String> = (0..8).map(|i| format!("customer-{i}")).collect();
        let mut seen: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
        for _ in 0..5 {
            for key in &keys {
                let (partition, _) = by_key(cx, key).await?;
                seen.entry(key).or_default().insert(partition);
            }
        }
        for (key, parts) in &seen {
            check_eq!(parts.len(), 1usize, "partitions of key {key:?}: {parts:?}");
        }
        Ok(())
    }

    /// An explicit partition is honoured: the record lands there, at offset 0 of an empty partition.
    pub async fn explicit_partition_is_honoured(cx: &mut Case) -> CaseResult {
        let (count, _) = partitions(cx).await?;
        for p in (0..count).rev() {
            check_eq!(
                to_partition(cx, p).await?,
                (p, 0i64),
                "AppendToPartition(partition {p})"
            );
        }
        let all_one: BTreeMap<u32, i64> = (0..count).map(|p| (p, 1)).collect();
        check_eq!(
            partitions(cx).await?.1,
            expected(count, &all_one),
            "GetPartitions"
        );
        Ok(())
    }

    /// Offsets are per partition: from 0 and up by exactly 1 per record, in append order.
    pub async fn offsets_are_per_partition_in_append_order(cx: &mut Case) -> CaseResult {
        let mut zero = Vec::new();
        let mut one = Vec::new();
        for i in 0..4 {
            zero.push(to_partition(cx, 0).await?.1);
            if i < 3 {
                one.push(to_partition(cx, 1).await?.1);
            }
        }
        check_eq!(zero, vec![0i64, 1, 2, 3], "offsets in partition 0");
        check_eq!(
            one,
            vec![0i64, 1, 2],
            "offsets in partition 1 (interleaved)"
        );
        let (count, latest) = partitions(cx).await?;
        let len = BTreeMap::from([(0, 4), (1, 3)]);
        check_eq!(latest, expected(count, &len), "GetPartitions");
        Ok(())
    }

    /// Records appended by key get per-partition offsets in append order, and GetPartitions agrees.
    pub async fn key_appends_are_ordered_per_partition(cx: &mut Case) -> CaseResult {
        let mut by_partition: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
        for round in 0..4 {
            for key in ["k-a", "k-b", "k-c", "k-d", "k-e"] {
                let (partition, offset) = by_key(cx, key).await?;
                let offsets = by_partition.entry(partition).or_default();
                let want = offsets.len() as i64;
                check_eq!(
                    offset,
                    want,
                    "round {round}: offset of key {key:?} in partition {partition}"
                );
                offsets.push(offset);
            }
        }
        let (count, latest) = partitions(cx).await?;
        let len: BTreeMap<u32, i64> = by_partition
            .iter()
            .map(|(p, o)| (*p, o.len() as i64))
            .collect();
        check_eq!(
            latest,
            expected(count, &len),
            "GetPartitions after 20 appends"
        );
        Ok(())
    }

    /// Under concurrent appends to other keys, each key's records keep one partition and their order.
    pub async fn concurrent_appends_keep_order_per_key(cx: &mut Case) -> CaseResult {
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..4 {
            let key = format!("stream-key-{k}");
            let client = cx.stream_partitioning();
            let reqs: Vec<_> = (0..15)
                .map(|i| {
                    cx.req(append_req(
                        Some(Target::Key(key.clone())),
                        &format!("{key}/{i}"),
                    ))
                })
                .collect();
            tasks.spawn(async move {
                let mut got = Vec::new();
                for req in reqs {
                    let r = client.clone().append_to_partition(req).await?.into_inner();
                    got.push((r.partition, r.offset));
                }
                Ok::<_, CaseError>((key, got))
            });
        }
        let mut by_partition: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (key, got) =
                joined.map_err(|e| CaseError::check(format!("append task: {e}")))??;
            let parts: BTreeSet<u32> = got.iter().map(|(p, _)| *p).collect();
            check_eq!(parts.len(), 1usize, "partitions of key {key:?}: {parts:?}");
            let offsets: Vec<i64> = got.iter().map(|(_, o)| *o).collect();
            check!(
                offsets.windows(2).all(|w| w[0] < w[1]),
                "offsets of key {key:?} not increasing in append order: {offsets:?}"
            );
            for (p, o) in got {
                by_partition.entry(p).or_default().push(o);
            }
        }
        contiguous(&by_partition)
    }

    /// An explicit partition at or beyond the count is OUT_OF_RANGE and appends nothing.
    pub async fn partition_out_of_range_rejected(cx: &mut Case) -> CaseResult {
        let (count, _) = partitions(cx).await?;
        check_eq!(
            try_append(cx, Some(Target::Partition(count))).await,
            Err(Code::OutOfRange),
            "AppendToPartition(partition = count {count})"
        );
        check_eq!(
            partitions(cx).await?.1,
            expected(count, &BTreeMap::new()),
            "GetPartitions after the rejected append"
        );
        Ok(())
    }

    /// A request with neither key nor partition is INVALID_ARGUMENT.
    pub async fn missing_target_rejected(cx: &mut Case) -> CaseResult {
        check_eq!(
            try_append(cx, None).await,
            Err(Code::InvalidArgument),
            "AppendToPartition without a target"
        );
        Ok(())
    }

    /// Namespaces are kept apart: appends elsewhere do not show in this namespace's partitions.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        let mut client = cx.stream_partitioning();
        for _ in 0..3 {
            client
                .append_to_partition(
                    cx.req_in(&other, append_req(Some(Target::Partition(0)), "elsewhere")),
                )
                .await?;
        }
        let (count, latest) = partitions(cx).await?;
        check_eq!(
            latest,
            expected(count, &BTreeMap::new()),
            "GetPartitions in this namespace"
        );
        check_eq!(
            to_partition(cx, 0).await?,
            (0u32, 0i64),
            "first append to partition 0 here"
        );
        let (_, theirs) = partitions_in(cx, &other, STREAM).await?;
        check_eq!(
            theirs.first().copied(),
            Some((0u32, 2i64)),
            "partition 0 in the other namespace"
        );
        Ok(())
    }

    /// Partitioned appends and their offsets in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::stream::isolated::Streams::new(crate::stream::isolated::Uses::Partitioning),
        )
        .await
    }

    /// A partitioned stream is apart from stream_basic's single log of the same name: appends to either leave the other as it was. A backend without stream_basic has no such log.
    pub async fn partitions_apart_from_the_basic_log(cx: &mut Case) -> CaseResult {
        let mut part = cx.stream_partitioning();
        part.append_to_partition(cx.req(append_req(Some(Target::Partition(0)), "partitioned")))
            .await?;
        let mut basic = cx.stream_basic();
        let latest = basic
            .get_latest_offset(cx.req(GetLatestOffsetRequest {
                stream: STREAM.into(),
                ..Default::default()
            }))
            .await;
        if matches!(&latest, Err(s) if s.code() == Code::Unimplemented) {
            return Ok(());
        }
        check_eq!(
            latest?.into_inner().latest_offset,
            -1,
            "stream_basic's latest offset after a partitioned append of the same name"
        );
        let offset = basic
            .append(cx.req(AppendRequest {
                stream: STREAM.into(),
                payload: b"single".to_vec(),
                ..Default::default()
            }))
            .await?
            .into_inner()
            .offset;
        check_eq!(offset, 0, "first stream_basic Append of the name");
        let got = part
            .get_partitions(cx.req(GetPartitionsRequest {
                stream: STREAM.into(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        let latest: Vec<i64> = got.partitions.iter().map(|p| p.latest_offset).collect();
        let mut expected = vec![-1; got.count as usize];
        if let Some(first) = expected.first_mut() {
            *first = 0;
        }
        check_eq!(
            latest,
            expected,
            "partition latest offsets after a stream_basic Append"
        );
        Ok(())
    }
}
