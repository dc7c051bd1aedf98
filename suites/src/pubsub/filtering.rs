use prism_suite::interface_suite;

/// `pubsub_filtering`: PublishWithAttributes, SubscribeFiltered (server stream).
///
/// Rules: a filtered subscriber gets exactly the messages of its topic whose attributes hold every
/// pair of its filter (AND, exact case-sensitive equality; a missing attribute does not match);
/// extra message attributes do not matter; an empty filter matches the whole topic; attributes
/// arrive unchanged; namespaces are kept apart.
///
/// Timing: messages must arrive within 2 s; "nothing arrives" is watched for 200 ms.
#[interface_suite("pubsub_filtering")]
pub mod pubsub_filtering {
    use prism_suite::prelude::*;
    use prism_suite::proto::pubsub::*;

    use std::collections::HashMap;
    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::pubsub::{recv, recv_payloads, stays_quiet, strings, Sub};

    fn attrs(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// SubscribeFiltered on topic with `filter` in namespace `ns`; live once this returns.
    #[track_caller]
    fn subscribe_in(
        cx: &Case,
        ns: &str,
        topic: &str,
        filter: &[(&str, &str)],
    ) -> impl Future<Output = Result<impl Sub, CaseError>> + Send {
        let mut client = cx.pubsub_filtering();
        let req = cx.req_in(
            ns,
            SubscribeFilteredRequest {
                topic: topic.into(),
                filter: attrs(filter),
                ..Default::default()
            },
        );
        at_caller(async move { Ok(client.subscribe_filtered(req).await?.into_inner()) })
    }

    /// SubscribeFiltered in the case's namespace.
    #[track_caller]
    fn subscribe(
        cx: &Case,
        topic: &str,
        filter: &[(&str, &str)],
    ) -> impl Future<Output = Result<impl Sub, CaseError>> + Send {
        subscribe_in(cx, cx.namespace(), topic, filter)
    }

    /// PublishWithAttributes payload with `attributes` to topic in namespace `ns`; the id.
    #[track_caller]
    fn publish_in(
        cx: &Case,
        ns: &str,
        topic: &str,
        payload: &str,
        attributes: &[(&str, &str)],
    ) -> impl Future<Output = Result<String, CaseError>> + Send {
        let mut client = cx.pubsub_filtering();
        let req = cx.req_in(
            ns,
            PublishWithAttributesRequest {
                topic: topic.into(),
                payload: payload.as_bytes().to_vec(),
                attributes: attrs(attributes),
                ..Default::default()
            },
        );
        at_caller(async move {
            Ok(client
                .publish_with_attributes(req)
                .await?
                .into_inner()
                .message_id)
        })
    }

    /// Publishes each (payload, attributes) to topic in the case's namespace, in order.
    #[track_caller]
    fn publish_each(
        cx: &Case,
        topic: &str,
        messages: &[(&str, &[(&str, &str)])],
    ) -> impl Future<Output = CaseResult> + Send {
        let publishes: Vec<_> = messages
            .iter()
            .map(|(payload, attributes)| publish_in(cx, cx.namespace(), topic, payload, attributes))
            .collect();
        at_caller(async move {
            for publish in publishes {
                publish.await?;
            }
            Ok(())
        })
    }

    /// A filter of several pairs matches only messages that hold all of them (AND, not OR).
    pub async fn filter_requires_every_pair(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "shop", &[("color", "red"), ("size", "L")]).await?;
        publish_each(
            cx,
            "shop",
            &[
                ("red-M", &[("color", "red"), ("size", "M")]),
                ("blue-L", &[("color", "blue"), ("size", "L")]),
                ("red-L", &[("color", "red"), ("size", "L")]),
                ("red", &[("color", "red")]),
                ("L", &[("size", "L")]),
                ("none", &[]),
                ("red-L-again", &[("size", "L"), ("color", "red")]),
            ],
        )
        .await?;
        check_eq!(
            recv_payloads(&mut sub, 2).await?,
            strings(&["red-L", "red-L-again"]),
            "messages matching color=red AND size=L"
        );
        stays_quiet(&mut sub, "messages matching only some pairs").await?;
        Ok(())
    }

    /// Values compare exactly: case, blanks and prefixes differ.
    pub async fn values_compare_exactly(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "geo", &[("region", "eu")]).await?;
        publish_each(
            cx,
            "geo",
            &[
                ("EU", &[("region", "EU")]),
                ("eu-space", &[("region", "eu ")]),
                ("eu-west", &[("region", "eu-west")]),
                ("e", &[("region", "e")]),
                ("eu", &[("region", "eu")]),
                ("key-case", &[("Region", "eu")]),
            ],
        )
        .await?;
        check_eq!(
            recv_payloads(&mut sub, 1).await?,
            strings(&["eu"]),
            "region = eu"
        );
        stays_quiet(&mut sub, "values that differ from `eu`").await?;
        Ok(())
    }

    /// A missing attribute does not match, even a filter value that is empty.
    pub async fn missing_attribute_does_not_match(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "opt", &[("note", "")]).await?;
        publish_each(
            cx,
            "opt",
            &[
                ("absent", &[("other", "")]),
                ("empty", &[("note", "")]),
                ("set", &[("note", "x")]),
                ("bare", &[]),
            ],
        )
        .await?;
        check_eq!(
            recv_payloads(&mut sub, 1).await?,
            strings(&["empty"]),
            "note = \"\""
        );
        stays_quiet(&mut sub, "messages without `note` or with another value").await?;
        Ok(())
    }

    /// Attributes of the message beyond the filter's do not matter.
    pub async fn extra_attributes_do_not_matter(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "extra", &[("kind", "a")]).await?;
        publish_each(
            cx,
            "extra",
            &[
                ("many", &[("kind", "a"), ("x", "1"), ("y", "2"), ("z", "")]),
                ("other", &[("kind", "b"), ("x", "1")]),
                ("one", &[("kind", "a")]),
            ],
        )
        .await?;
        check_eq!(
            recv_payloads(&mut sub, 2).await?,
            strings(&["many", "one"]),
            "kind = a"
        );
        stays_quiet(&mut sub, "after the two matching messages").await?;
        Ok(())
    }

    /// An empty filter matches every message of its topic (and nothing of other topics).
    pub async fn empty_filter_matches_whole_topic(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "all", &[]).await?;
        publish_each(
            cx,
            "all",
            &[
                ("plain", &[]),
                ("tagged", &[("k", "v")]),
                ("two", &[("a", "1"), ("b", "2")]),
            ],
        )
        .await?;
        publish_in(cx, cx.namespace(), "not-all", "elsewhere", &[]).await?;
        check_eq!(
            recv_payloads(&mut sub, 3).await?,
            strings(&["plain", "tagged", "two"]),
            "empty filter"
        );
        stays_quiet(&mut sub, "a message to another topic").await?;
        Ok(())
    }

    /// A filter sees only its own topic, even when another topic's message matches it.
    pub async fn filter_sees_only_its_topic(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "mine", &[("k", "v")]).await?;
        publish_in(cx, cx.namespace(), "theirs", "wrong-topic", &[("k", "v")]).await?;
        publish_in(cx, cx.namespace(), "mine.sub", "sub-topic", &[("k", "v")]).await?;
        publish_in(cx, cx.namespace(), "mine", "right", &[("k", "v")]).await?;
        check_eq!(
            recv_payloads(&mut sub, 1).await?,
            strings(&["right"]),
            "topic mine"
        );
        stays_quiet(&mut sub, "matching messages of other topics").await?;
        Ok(())
    }

    /// A delivered message carries its attributes and payload unchanged, with the published id.
    pub async fn attributes_arrive_unchanged(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe(cx, "round", &[("lang", "日本語")]).await?;
        let sent = [
            ("lang", "日本語"),
            ("emoji", "😀"),
            ("empty", ""),
            ("spaces", " a b "),
            ("Case", "MiXeD"),
        ];
        let id = publish_in(cx, cx.namespace(), "round", "payload ✓", &sent).await?;
        let got = recv(&mut sub, 1).await?;
        check_eq!(got[0].attributes, attrs(&sent), "attributes");
        check_eq!(got[0].payload, "payload ✓".as_bytes().to_vec(), "payload");
        check_eq!(got[0].message_id, id, "message id");
        check_eq!(got[0].topic, "round", "topic");
        Ok(())
    }

    /// Two filtered subscribers of one topic each get exactly their matches, in publish order.
    pub async fn subscribers_get_their_own_matches(cx: &mut Case) -> CaseResult {
        let mut xs = subscribe(cx, "mix", &[("t", "x")]).await?;
        let mut ys = subscribe(cx, "mix", &[("t", "y")]).await?;
        publish_each(
            cx,
            "mix",
            &[
                ("x1", &[("t", "x")]),
                ("y1", &[("t", "y")]),
                ("x2", &[("t", "x")]),
                ("y2", &[("t", "y")]),
            ],
        )
        .await?;
        check_eq!(
            recv_payloads(&mut xs, 2).await?,
            strings(&["x1", "x2"]),
            "t = x"
        );
        check_eq!(
            recv_payloads(&mut ys, 2).await?,
            strings(&["y1", "y2"]),
            "t = y"
        );
        let quiet = tokio::join!(
            stays_quiet(&mut xs, "t = x, after its two"),
            stays_quiet(&mut ys, "t = y, after its two"),
        );
        quiet.0?;
        quiet.1?;
        Ok(())
    }

    /// A filtered subscriber gets nothing from another namespace.
    pub async fn filtered_is_namespace_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        let mut mine = subscribe(cx, "iso", &[("k", "v")]).await?;
        let mut theirs = subscribe_in(cx, &other, "iso", &[("k", "v")]).await?;
        publish_in(cx, &other, "iso", "theirs", &[("k", "v")]).await?;
        publish_in(cx, cx.namespace(), "iso", "mine", &[("k", "v")]).await?;
        check_eq!(
            recv_payloads(&mut mine, 1).await?,
            strings(&["mine"]),
            "this namespace"
        );
        check_eq!(
            recv_payloads(&mut theirs, 1).await?,
            strings(&["theirs"]),
            "other namespace"
        );
        stays_quiet(&mut mine, "this namespace, after its one message").await?;
        Ok(())
    }

    /// Filtered subscribers in namespaces of which one is a prefix of the other (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...) get only their own namespace's messages, whose attributes match all the same.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let family = crate::isolation::family(cx);
        let attributes =
            std::collections::HashMap::from([("kind".to_owned(), "wanted".to_owned())]);
        let mut subs = Vec::new();
        for ns in &family {
            let req = cx.req_in(
                ns,
                SubscribeFilteredRequest {
                    topic: "t".into(),
                    filter: attributes.clone(),
                    subscription_id: "sub".into(),
                    ..Default::default()
                },
            );
            subs.push(
                cx.pubsub_filtering()
                    .subscribe_filtered(req)
                    .await?
                    .into_inner(),
            );
        }
        for step in 0..2 {
            for (tag, ns) in family.iter().enumerate() {
                let payload = &crate::pubsub::isolated::own_payloads(tag)[step];
                let req = cx.req_in(
                    ns,
                    PublishWithAttributesRequest {
                        topic: "t".into(),
                        payload: payload.as_bytes().to_vec(),
                        attributes: attributes.clone(),
                        ..Default::default()
                    },
                );
                cx.pubsub_filtering().publish_with_attributes(req).await?;
            }
        }
        crate::pubsub::isolated::own_only(cx, &family, &mut subs).await
    }

    /// `subscription_id` works as in pubsub_basic and is shared with it: an id in use by a filtered subscription is ALREADY_EXISTS for another one and for pubsub_basic's Subscribe, and pubsub_basic's Unsubscribe by that id ends the stream normally.
    pub async fn subscription_id_shared_with_pubsub_basic(cx: &mut Case) -> CaseResult {
        let mut sub = cx
            .pubsub_filtering()
            .subscribe_filtered(cx.req(SubscribeFilteredRequest {
                topic: "s".into(),
                subscription_id: "shared-id".into(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        let again = cx
            .pubsub_filtering()
            .subscribe_filtered(cx.req(SubscribeFilteredRequest {
                topic: "other".into(),
                subscription_id: "shared-id".into(),
                ..Default::default()
            }))
            .await;
        check_code!(again, Code::AlreadyExists);
        let plain = cx
            .pubsub_basic()
            .subscribe(cx.req(SubscribeRequest {
                topic: "plain".into(),
                subscription_id: "shared-id".into(),
                ..Default::default()
            }))
            .await;
        check_code!(plain, Code::AlreadyExists);
        crate::pubsub::publish(cx, "s", "before").await?;
        let first = crate::pubsub::recv_payloads(&mut sub, 1).await?;
        check_eq!(
            first,
            vec!["before".to_owned()],
            "the message published before Unsubscribe"
        );
        let found = cx
            .pubsub_basic()
            .unsubscribe(cx.req(UnsubscribeRequest {
                subscription_id: "shared-id".into(),
                ..Default::default()
            }))
            .await?
            .into_inner()
            .found;
        check!(
            found,
            "pubsub_basic's Unsubscribe did not find the filtered subscription's id"
        );
        let rest = crate::pubsub::recv_to_end(sub).await?;
        check!(
            rest.is_empty(),
            "messages after Unsubscribe: {:?}",
            crate::pubsub::payloads(&rest)
        );
        Ok(())
    }

    /// An empty topic is INVALID_ARGUMENT for PublishWithAttributes and SubscribeFiltered.
    pub async fn empty_topic_rejected(cx: &mut Case) -> CaseResult {
        let publish = cx
            .pubsub_filtering()
            .publish_with_attributes(cx.req(PublishWithAttributesRequest {
                topic: String::new(),
                payload: b"payload".to_vec(),
                attributes: attrs(&[("k", "v")]),
                ..Default::default()
            }))
            .await;
        check_code!(publish, Code::InvalidArgument);
        let subscribe = cx
            .pubsub_filtering()
            .subscribe_filtered(cx.req(SubscribeFilteredRequest {
                topic: String::new(),
                ..Default::default()
            }))
            .await;
        check_code!(subscribe, Code::InvalidArgument);
        Ok(())
    }
}
