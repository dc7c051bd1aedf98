use prism_suite::interface_suite;

/// `pubsub_ordering`: PublishOrdered (ordering key).
///
/// Rules: per ordering key, every subscriber gets the messages in the order their PublishOrdered
/// calls returned, also while other publishers publish concurrently on other keys; nothing is lost
/// or duplicated; messages carry their key and id; other topics and namespaces get nothing; an empty
/// ordering key is INVALID_ARGUMENT. Subscribers use pubsub_basic's Subscribe (this interface cannot
/// read).
///
/// Timing: messages must arrive within 2 s; "nothing arrives" is watched for 200 ms.
#[interface_suite("pubsub_ordering")]
pub mod pubsub_ordering {
    use prism_suite::prelude::*;
    use prism_suite::proto::pubsub::*;

    use std::collections::BTreeMap;
    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::pubsub::{numbered, payloads, recv, stays_quiet, subscribe, subscribe_in};

    /// PublishOrdered payload with key to topic in namespace `ns`; the id.
    #[track_caller]
    fn publish_in(
        cx: &Case,
        ns: &str,
        topic: &str,
        key: &str,
        payload: &str,
    ) -> impl Future<Output = Result<String, CaseError>> + Send {
        let mut client = cx.pubsub_ordering();
        let req = cx.req_in(
            ns,
            PublishOrderedRequest {
                topic: topic.into(),
                ordering_key: key.into(),
                payload: payload.as_bytes().to_vec(),
                ..Default::default()
            },
        );
        at_caller(async move { Ok(client.publish_ordered(req).await?.into_inner().message_id) })
    }

    /// PublishOrdered in the case's namespace.
    #[track_caller]
    fn publish(
        cx: &Case,
        topic: &str,
        key: &str,
        payload: &str,
    ) -> impl Future<Output = Result<String, CaseError>> + Send {
        publish_in(cx, cx.namespace(), topic, key, payload)
    }

    /// Payloads of `messages` grouped by ordering key, each group in delivery order.
    fn by_key(messages: &[PubSubMessage]) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in messages {
            out.entry(m.ordering_key.clone())
                .or_default()
                .push(String::from_utf8_lossy(&m.payload).into_owned());
        }
        out
    }

    /// `keys` x `per_key` payloads `<key>-<i>`, grouped as [`by_key`] answers them.
    fn expected(keys: &[&str], per_key: usize) -> BTreeMap<String, Vec<String>> {
        keys.iter()
            .map(|k| ((*k).to_owned(), numbered(k, per_key)))
            .collect()
    }

    /// Publishes `<key>-0..per_key` for each key, round-robin over the keys, one call at a time.
    #[track_caller]
    fn publish_interleaved(
        cx: &Case,
        topic: &str,
        keys: &[&str],
        per_key: usize,
    ) -> impl Future<Output = CaseResult> + Send {
        let publishes: Vec<_> = (0..per_key)
            .flat_map(|i| keys.iter().map(move |k| (*k, i)))
            .map(|(k, i)| publish(cx, topic, k, &format!("{k}-{i}")))
            .collect();
        at_caller(async move {
            for publish in publishes {
                publish.await?;
            }
            Ok(())
        })
    }

    /// Messages of one key arrive in publish order.
    pub async fn one_key_arrives_in_publish_order(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "seq").await?;
        publish_interleaved(cx, "seq", &["k"], 20).await?;
        check_eq!(
            payloads(&recv(&mut sub, 20).await?),
            numbered("k", 20),
            "key k"
        );
        Ok(())
    }

    /// With concurrent publishers on other keys, each key's messages still arrive in the order
    /// its publisher published them.
    pub async fn order_per_key_with_concurrent_publishers(cx: &mut Case) -> CaseResult {
        let keys = ["alpha", "beta", "gamma", "delta"];
        let mut sub = subscribe(cx, "conc").await?;
        let mut publishers = tokio::task::JoinSet::new();
        for key in keys {
            let mut client = cx.pubsub_ordering();
            let ns = cx.namespace().to_owned();
            publishers.spawn(async move {
                for i in 0..25 {
                    client
                        .publish_ordered(PublishOrderedRequest {
                            namespace: ns.clone(),
                            topic: "conc".into(),
                            ordering_key: key.into(),
                            payload: format!("{key}-{i}").into_bytes(),
                        })
                        .await?;
                }
                Ok::<_, CaseError>(())
            });
        }
        while let Some(done) = publishers.join_next().await {
            done.map_err(|e| CaseError::check(format!("publisher task: {e}")))??;
        }
        check_eq!(
            by_key(&recv(&mut sub, 100).await?),
            expected(&keys, 25),
            "per key"
        );
        stays_quiet(&mut sub, "after the 100 published messages").await?;
        Ok(())
    }

    /// Every subscriber sees each key's messages in publish order.
    pub async fn every_subscriber_sees_the_same_order(cx: &mut Case) -> CaseResult {
        let keys = ["a", "b", "c"];
        let mut first = subscribe(cx, "fan").await?;
        let mut second = subscribe(cx, "fan").await?;
        publish_interleaved(cx, "fan", &keys, 8).await?;
        check_eq!(
            by_key(&recv(&mut first, 24).await?),
            expected(&keys, 8),
            "first subscriber"
        );
        check_eq!(
            by_key(&recv(&mut second, 24).await?),
            expected(&keys, 8),
            "second subscriber"
        );
        Ok(())
    }

    /// Nothing is lost or duplicated: exactly the published messages arrive.
    pub async fn nothing_lost_or_duplicated(cx: &mut Case) -> CaseResult {
        let keys = ["x", "y", "z"];
        let mut sub = subscribe(cx, "count").await?;
        publish_interleaved(cx, "count", &keys, 7).await?;
        let mut got = payloads(&recv(&mut sub, 21).await?);
        stays_quiet(&mut sub, "after the 21 published messages").await?;
        got.sort();
        let mut want: Vec<String> = keys.iter().flat_map(|k| numbered(k, 7)).collect();
        want.sort();
        check_eq!(got, want, "payloads received, sorted");
        Ok(())
    }

    /// A delivered message carries its ordering key and the id PublishOrdered answered.
    pub async fn delivered_with_key_and_id(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "meta").await?;
        let first = publish(cx, "meta", "user-1", "one").await?;
        let second = publish(cx, "meta", "user-2", "two").await?;
        check_ne!(first, second);
        let got: Vec<(String, String)> = recv(&mut sub, 2)
            .await?
            .into_iter()
            .map(|m| (m.ordering_key, m.message_id))
            .collect();
        check_eq!(
            got,
            vec![("user-1".to_owned(), first), ("user-2".to_owned(), second)],
            "(ordering key, id) delivered"
        );
        Ok(())
    }

    /// Ordered messages reach only subscribers of their topic in their namespace.
    pub async fn other_topics_and_namespaces_get_nothing(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        let mut other_topic = subscribe(cx, "elsewhere").await?;
        let mut other_ns = subscribe_in(cx, &other, "here").await?;
        let mut here = subscribe(cx, "here").await?;
        publish(cx, "here", "k", "k-0").await?;
        publish(cx, "here", "k", "k-1").await?;
        check_eq!(
            payloads(&recv(&mut here, 2).await?),
            numbered("k", 2),
            "topic here"
        );
        let quiet = tokio::join!(
            stays_quiet(&mut other_topic, "a subscriber of another topic"),
            stays_quiet(&mut other_ns, "a subscriber in another namespace"),
        );
        quiet.0?;
        quiet.1?;
        Ok(())
    }

    /// An empty ordering key is INVALID_ARGUMENT.
    pub async fn empty_ordering_key_rejected(cx: &mut Case) -> CaseResult {
        let mut client = cx.pubsub_ordering();
        let got = client
            .publish_ordered(cx.req(PublishOrderedRequest {
                topic: "t".into(),
                payload: b"x".to_vec(),
                ..Default::default()
            }))
            .await;
        check_code!(got, Code::InvalidArgument);
        Ok(())
    }

    /// Ordered publishes in namespaces of which one is a prefix of the other (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), on the same topic and ordering key, reach only their own namespace's subscribers.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let family = crate::isolation::family(cx);
        let mut subs = Vec::new();
        for ns in &family {
            subs.push(crate::pubsub::subscribe_in(cx, ns, "t").await?);
        }
        for step in 0..2 {
            for (tag, ns) in family.iter().enumerate() {
                let payload = &crate::pubsub::isolated::own_payloads(tag)[step];
                let req = cx.req_in(
                    ns,
                    PublishOrderedRequest {
                        topic: "t".into(),
                        payload: payload.as_bytes().to_vec(),
                        ordering_key: "k".into(),
                        ..Default::default()
                    },
                );
                cx.pubsub_ordering().publish_ordered(req).await?;
            }
        }
        crate::pubsub::isolated::own_only(cx, &family, &mut subs).await
    }

    /// An empty topic is INVALID_ARGUMENT for PublishOrdered, like an empty ordering key.
    pub async fn empty_topic_rejected(cx: &mut Case) -> CaseResult {
        let got = cx
            .pubsub_ordering()
            .publish_ordered(cx.req(PublishOrderedRequest {
                topic: String::new(),
                ordering_key: "k".into(),
                payload: b"payload".to_vec(),
                ..Default::default()
            }))
            .await;
        check_code!(got, Code::InvalidArgument);
        Ok(())
    }
}
