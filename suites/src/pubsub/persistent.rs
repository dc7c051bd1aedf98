use prism_suite::interface_suite;

/// `pubsub_persistent`: PublishPersistent, SubscribeDurable (server stream), GetLastMessageID.
///
/// Rules: a durable subscription (topic, subscriber name) gets the persistent messages published
/// since its first SubscribeDurable; what was published while it was away (stream cancelled) comes
/// on its return, in order, exactly once; each name keeps its own position; GetLastMessageID answers
/// the id of the last persistent message of the topic (NOT_FOUND when none); ids are unique;
/// namespaces are kept apart.
///
/// "Away" starts when the case drops its stream; later publishes go over the same connection, so a
/// plugin has seen the cancellation before it handles them. Timing: messages must arrive within 2 s;
/// "nothing arrives" is watched for 200 ms.
#[interface_suite("pubsub_persistent")]
pub mod pubsub_persistent {
    use prism_suite::prelude::*;
    use prism_suite::proto::pubsub::*;

    use std::collections::BTreeSet;
    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::pubsub::{
        ids, numbered, recv, recv_payloads, recv_to_end, stays_quiet, strings, Sub,
    };

    /// SubscribeDurable (topic, name) in namespace `ns`; live once this returns.
    #[track_caller]
    fn durable_in(
        cx: &Case,
        ns: &str,
        topic: &str,
        name: &str,
    ) -> impl Future<Output = Result<impl Sub, CaseError>> + Send {
        let mut client = cx.pubsub_persistent();
        let req = cx.req_in(
            ns,
            SubscribeDurableRequest {
                topic: topic.into(),
                subscriber_name: name.into(),
                ..Default::default()
            },
        );
        at_caller(async move { Ok(client.subscribe_durable(req).await?.into_inner()) })
    }

    /// SubscribeDurable (topic, name) in the case's namespace.
    #[track_caller]
    fn durable(
        cx: &Case,
        topic: &str,
        name: &str,
    ) -> impl Future<Output = Result<impl Sub, CaseError>> + Send {
        durable_in(cx, cx.namespace(), topic, name)
    }

    /// PublishPersistent each payload in turn to topic in namespace `ns`; the ids.
    #[track_caller]
    fn publish_in(
        cx: &Case,
        ns: &str,
        topic: &str,
        payloads: &[&str],
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut client = cx.pubsub_persistent();
        let reqs: Vec<_> = payloads
            .iter()
            .map(|p| {
                cx.req_in(
                    ns,
                    PublishPersistentRequest {
                        topic: topic.into(),
                        payload: p.as_bytes().to_vec(),
                        ..Default::default()
                    },
                )
            })
            .collect();
        at_caller(async move {
            let mut ids = Vec::new();
            for req in reqs {
                ids.push(
                    client
                        .publish_persistent(req)
                        .await?
                        .into_inner()
                        .message_id,
                );
            }
            Ok(ids)
        })
    }

    /// PublishPersistent each payload in turn to topic in the case's namespace; the ids.
    #[track_caller]
    fn publish(
        cx: &Case,
        topic: &str,
        payloads: &[&str],
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        publish_in(cx, cx.namespace(), topic, payloads)
    }

    /// GetLastMessageID of topic: `None` when NOT_FOUND.
    #[track_caller]
    fn last_id(
        cx: &Case,
        topic: &str,
    ) -> impl Future<Output = Result<Option<String>, CaseError>> + Send {
        let mut client = cx.pubsub_persistent();
        let req = cx.req(GetLastMessageIdRequest {
            topic: topic.into(),
            ..Default::default()
        });
        at_caller(async move {
            match client.get_last_message_id(req).await {
                Ok(r) => Ok(Some(r.into_inner().message_id)),
                Err(s) if s.code() == Code::NotFound => Ok(None),
                Err(s) => Err(s.into()),
            }
        })
    }

    /// A connected durable subscriber gets the persistent messages of its topic, in order.
    pub async fn durable_subscriber_gets_live_messages(cx: &mut Case) -> CaseResult {
        let mut sub = durable(cx, "live", "d").await?;
        publish(cx, "other", &["elsewhere"]).await?;
        publish(cx, "live", &["one", "two", "three"]).await?;
        check_eq!(
            recv_payloads(&mut sub, 3).await?,
            strings(&["one", "two", "three"]),
            "delivered"
        );
        stays_quiet(&mut sub, "after the three messages").await?;
        Ok(())
    }

    /// A durable subscription starts at its first SubscribeDurable: earlier messages never come.
    pub async fn durable_starts_at_first_subscribe(cx: &mut Case) -> CaseResult {
        publish(cx, "start", &["before-1", "before-2"]).await?;
        let mut sub = durable(cx, "start", "d").await?;
        publish(cx, "start", &["after"]).await?;
        check_eq!(
            recv_payloads(&mut sub, 1).await?,
            strings(&["after"]),
            "first delivered"
        );
        stays_quiet(
            &mut sub,
            "after the one message published since subscribing",
        )
        .await?;
        Ok(())
    }

    /// On return, a durable subscriber gets what was published while it was away, in order, and
    /// nothing it had already received.
    pub async fn returning_subscriber_gets_missed_messages(cx: &mut Case) -> CaseResult {
        let mut sub = durable(cx, "away", "d").await?;
        publish(cx, "away", &["seen"]).await?;
        check_eq!(
            recv_payloads(&mut sub, 1).await?,
            strings(&["seen"]),
            "before leaving"
        );
        drop(sub);
        publish(cx, "away", &["missed-1", "missed-2", "missed-3"]).await?;
        let mut back = durable(cx, "away", "d").await?;
        check_eq!(
            recv_payloads(&mut back, 3).await?,
            strings(&["missed-1", "missed-2", "missed-3"]),
            "on return"
        );
        stays_quiet(&mut back, "after the missed messages").await?;
        Ok(())
    }

    /// Missed messages are delivered once: a second return without new publishes gets nothing, and
    /// then only what is new.
    pub async fn missed_messages_delivered_once(cx: &mut Case) -> CaseResult {
        drop(durable(cx, "once", "d").await?);
        publish(cx, "once", &["a", "b"]).await?;
        let mut back = durable(cx, "once", "d").await?;
        check_eq!(
            recv_payloads(&mut back, 2).await?,
            strings(&["a", "b"]),
            "first return"
        );
        drop(back);
        let mut again = durable(cx, "once", "d").await?;
        stays_quiet(&mut again, "second return, nothing published meanwhile").await?;
        publish(cx, "once", &["c"]).await?;
        check_eq!(
            recv_payloads(&mut again, 1).await?,
            strings(&["c"]),
            "after a new publish"
        );
        Ok(())
    }

    /// Each subscriber name keeps its own position on the topic.
    pub async fn subscriber_names_have_own_positions(cx: &mut Case) -> CaseResult {
        let mut x = durable(cx, "pos", "x").await?;
        let mut y = durable(cx, "pos", "y").await?;
        publish(cx, "pos", &["p1"]).await?;
        check_eq!(
            recv_payloads(&mut x, 1).await?,
            strings(&["p1"]),
            "x, both connected"
        );
        check_eq!(
            recv_payloads(&mut y, 1).await?,
            strings(&["p1"]),
            "y, both connected"
        );
        drop(x);
        publish(cx, "pos", &["p2"]).await?;
        check_eq!(
            recv_payloads(&mut y, 1).await?,
            strings(&["p2"]),
            "y while x is away"
        );
        drop(y);
        publish(cx, "pos", &["p3"]).await?;
        let mut x = durable(cx, "pos", "x").await?;
        check_eq!(
            recv_payloads(&mut x, 2).await?,
            strings(&["p2", "p3"]),
            "x on return"
        );
        let mut y = durable(cx, "pos", "y").await?;
        check_eq!(
            recv_payloads(&mut y, 1).await?,
            strings(&["p3"]),
            "y on return"
        );
        let quiet = tokio::join!(
            stays_quiet(&mut x, "x after catching up"),
            stays_quiet(&mut y, "y after catching up"),
        );
        quiet.0?;
        quiet.1?;
        Ok(())
    }

    /// A SubscribeDurable while the name's stream is still open takes the subscription over: the
    /// old stream ends normally and new messages go to the new stream only.
    pub async fn second_connection_takes_over(cx: &mut Case) -> CaseResult {
        let mut old = durable(cx, "take", "d").await?;
        publish(cx, "take", &["before"]).await?;
        check_eq!(
            recv_payloads(&mut old, 1).await?,
            strings(&["before"]),
            "old stream"
        );
        let mut new = durable(cx, "take", "d").await?;
        publish(cx, "take", &["after"]).await?;
        check_eq!(
            recv_to_end(old).await?.len(),
            0usize,
            "old stream after the takeover"
        );
        check_eq!(
            recv_payloads(&mut new, 1).await?,
            strings(&["after"]),
            "new stream"
        );
        stays_quiet(&mut new, "new stream, after its one message").await?;
        Ok(())
    }

    /// GetLastMessageID answers the id of the last persistent message of the topic, and only that
    /// topic's.
    pub async fn last_message_id_is_last_published(cx: &mut Case) -> CaseResult {
        let ids = publish(cx, "last", &["1", "2", "3"]).await?;
        publish(cx, "last-other", &["x"]).await?;
        check_eq!(
            last_id(cx, "last").await?,
            ids.last().cloned(),
            "GetLastMessageID(last)"
        );
        let more = publish(cx, "last", &["4"]).await?;
        check_eq!(
            last_id(cx, "last").await?,
            more.last().cloned(),
            "after one more"
        );
        Ok(())
    }

    /// GetLastMessageID of a topic nothing was published to persistently is NOT_FOUND, in this
    /// namespace even when another namespace published to it.
    pub async fn last_message_id_of_empty_topic_not_found(cx: &mut Case) -> CaseResult {
        check_eq!(
            last_id(cx, "never").await?,
            None,
            "GetLastMessageID(never) (None = NOT_FOUND)"
        );
        let other = cx.other_namespace();
        publish_in(cx, &other, "never", &["elsewhere"]).await?;
        check_eq!(
            last_id(cx, "never").await?,
            None,
            "after a publish in another namespace"
        );
        Ok(())
    }

    /// Message ids are unique, and a durable subscriber receives each with the id published.
    pub async fn message_ids_unique_and_delivered(cx: &mut Case) -> CaseResult {
        let mut sub = durable(cx, "ids", "d").await?;
        let sent = numbered("id", 10);
        let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
        let published = publish(cx, "ids", &sent).await?;
        let distinct: BTreeSet<&String> = published.iter().collect();
        check_eq!(distinct.len(), 10usize, "distinct ids among {published:?}");
        check_eq!(ids(&recv(&mut sub, 10).await?), published, "delivered ids");
        Ok(())
    }

    /// A durable subscription gets nothing from another namespace with the same topic and name.
    pub async fn durable_is_namespace_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        drop(durable(cx, "iso", "d").await?);
        drop(durable_in(cx, &other, "iso", "d").await?);
        publish_in(cx, &other, "iso", &["theirs"]).await?;
        publish(cx, "iso", &["mine"]).await?;
        let mut back = durable(cx, "iso", "d").await?;
        check_eq!(
            recv_payloads(&mut back, 1).await?,
            strings(&["mine"]),
            "this namespace"
        );
        stays_quiet(&mut back, "this namespace, after its one message").await?;
        let mut theirs = durable_in(cx, &other, "iso", "d").await?;
        check_eq!(
            recv_payloads(&mut theirs, 1).await?,
            strings(&["theirs"]),
            "other namespace"
        );
        Ok(())
    }

    /// An empty topic or subscriber name is INVALID_ARGUMENT.
    pub async fn empty_names_rejected(cx: &mut Case) -> CaseResult {
        let mut client = cx.pubsub_persistent();
        for (topic, name) in [("", "d"), ("t", ""), ("", "")] {
            let got = client
                .subscribe_durable(cx.req(SubscribeDurableRequest {
                    topic: topic.into(),
                    subscriber_name: name.into(),
                    ..Default::default()
                }))
                .await
                .map(|_| (topic, name));
            check_code!(got, Code::InvalidArgument);
        }
        let published = client
            .publish_persistent(cx.req(PublishPersistentRequest {
                topic: String::new(),
                payload: b"x".to_vec(),
                ..Default::default()
            }))
            .await;
        check_code!(published, Code::InvalidArgument);
        Ok(())
    }

    /// Durable subscriptions of the same topic and subscriber name in namespaces of which one is a prefix of the other (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...) get only their own namespace's messages, and GetLastMessageID answers each namespace's own last id.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let family = crate::isolation::family(cx);
        let mut subs = Vec::new();
        for ns in &family {
            let req = cx.req_in(
                ns,
                SubscribeDurableRequest {
                    topic: "t".into(),
                    subscriber_name: "sub".into(),
                    ..Default::default()
                },
            );
            subs.push(
                cx.pubsub_persistent()
                    .subscribe_durable(req)
                    .await?
                    .into_inner(),
            );
        }
        let mut last = vec![String::new(); family.len()];
        for step in 0..2 {
            for (tag, ns) in family.iter().enumerate() {
                let payload = &crate::pubsub::isolated::own_payloads(tag)[step];
                let req = cx.req_in(
                    ns,
                    PublishPersistentRequest {
                        topic: "t".into(),
                        payload: payload.as_bytes().to_vec(),
                        ..Default::default()
                    },
                );
                last[tag] = cx
                    .pubsub_persistent()
                    .publish_persistent(req)
                    .await?
                    .into_inner()
                    .message_id;
            }
        }
        crate::pubsub::isolated::own_only(cx, &family, &mut subs).await?;
        for (ns, id) in family.iter().zip(&last) {
            let req = cx.req_in(
                ns,
                GetLastMessageIdRequest {
                    topic: "t".into(),
                    ..Default::default()
                },
            );
            let got = cx
                .pubsub_persistent()
                .get_last_message_id(req)
                .await?
                .into_inner()
                .message_id;
            check_eq!(
                &got,
                id,
                "GetLastMessageID in {}",
                crate::isolation::label(cx, ns)
            );
        }
        Ok(())
    }

    /// Durable subscriptions get only messages published with PublishPersistent, not pubsub_basic's Publish to the same topic.
    pub async fn durable_gets_only_persistent_publishes(cx: &mut Case) -> CaseResult {
        let mut durable = cx
            .pubsub_persistent()
            .subscribe_durable(cx.req(SubscribeDurableRequest {
                topic: "mixed".into(),
                subscriber_name: "d".into(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        crate::pubsub::publish(cx, "mixed", "plain").await?;
        publish_in(cx, cx.namespace(), "mixed", &["persistent"]).await?;
        let got = crate::pubsub::recv_payloads(&mut durable, 1).await?;
        check_eq!(
            got,
            vec!["persistent".to_owned()],
            "the durable subscription's first message"
        );
        crate::pubsub::stays_quiet(
            &mut durable,
            "a durable subscriber after the persistent message",
        )
        .await
    }

    /// Persistent messages also reach live pubsub_basic subscribers of the topic, with the id PublishPersistent answered.
    pub async fn persistent_messages_reach_live_subscribers(cx: &mut Case) -> CaseResult {
        let mut live = crate::pubsub::subscribe(cx, "both").await?;
        let ids = publish_in(cx, cx.namespace(), "both", &["p1", "p2"]).await?;
        let got = crate::pubsub::recv(&mut live, 2).await?;
        check_eq!(
            crate::pubsub::payloads(&got),
            vec!["p1".to_owned(), "p2".to_owned()],
            "what a pubsub_basic subscriber got of two persistent messages"
        );
        check_eq!(
            crate::pubsub::ids(&got),
            ids,
            "ids of the persistent messages delivered live"
        );
        Ok(())
    }
}
