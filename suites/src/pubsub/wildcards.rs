use prism_suite::interface_suite;

/// `pubsub_wildcards`: SubscribePattern.
///
/// Rules: `.`-separated tokens; `*` matches exactly one token, `>` (last token only) one or more
/// trailing tokens, anything else itself; `a.*` matches `a.b`, not `a` nor `a.b.c`. Each matching
/// message arrives once, in publish order, with the topic it was published to and its id; other
/// namespaces get nothing; an invalid pattern is INVALID_ARGUMENT. Messages are published with
/// pubsub_basic's Publish (this interface cannot publish).
///
/// Timing: messages must arrive within 2 s; "nothing arrives" is watched for 200 ms.
#[interface_suite("pubsub_wildcards")]
pub mod pubsub_wildcards {
    use prism_suite::prelude::*;
    use prism_suite::proto::pubsub::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::pubsub::{
        payloads, publish, publish_in, recv, recv_payloads, stays_quiet, strings, subscribe, Sub,
    };

    /// SubscribePattern in namespace `ns`; live once this returns.
    #[track_caller]
    fn subscribe_pattern_in(
        cx: &Case,
        ns: &str,
        pattern: &str,
    ) -> impl Future<Output = Result<impl Sub, CaseError>> + Send {
        let mut client = cx.pubsub_wildcards();
        let req = cx.req_in(
            ns,
            SubscribePatternRequest {
                pattern: pattern.into(),
                ..Default::default()
            },
        );
        at_caller(async move { Ok(client.subscribe_pattern(req).await?.into_inner()) })
    }

    /// SubscribePattern in the case's namespace.
    #[track_caller]
    fn subscribe_pattern(
        cx: &Case,
        pattern: &str,
    ) -> impl Future<Output = Result<impl Sub, CaseError>> + Send {
        subscribe_pattern_in(cx, cx.namespace(), pattern)
    }

    /// Publishes one message to each topic, in order, with the topic as payload.
    #[track_caller]
    fn publish_to(cx: &Case, topics: &[&str]) -> impl Future<Output = CaseResult> + Send {
        let publishes: Vec<_> = topics.iter().map(|t| publish(cx, t, t)).collect();
        at_caller(async move {
            for publish in publishes {
                publish.await?;
            }
            Ok(())
        })
    }

    /// Subscribes to `pattern`, publishes to `topics` in order (payload = topic), and checks that
    /// exactly `matching` arrive, in that order.
    #[track_caller]
    fn expect_matches<'a>(
        cx: &'a Case,
        pattern: &'a str,
        topics: &'a [&'a str],
        matching: &'a [&'a str],
    ) -> impl Future<Output = CaseResult> + Send + 'a {
        let subscribed = subscribe_pattern(cx, pattern);
        let published = publish_to(cx, topics);
        at_caller(async move {
            let mut sub = subscribed.await?;
            published.await?;
            check_eq!(
                recv_payloads(&mut sub, matching.len()).await?,
                strings(matching),
                "topics delivered for pattern {pattern:?} out of {topics:?}"
            );
            stays_quiet(&mut sub, "after the matching topics").await?;
            Ok(())
        })
    }

    /// `*` matches exactly one token: `a.*` gets `a.b` and `a.c`, not `a`, `a.b.c` or `b.a`.
    pub async fn star_matches_exactly_one_token(cx: &mut Case) -> CaseResult {
        expect_matches(
            cx,
            "a.*",
            &["a", "a.b", "a.b.c", "b.a", "a.c", "ab.c", "a.c.d.e"],
            &["a.b", "a.c"],
        )
        .await
    }

    /// `*` in the middle stands for one token: `a.*.c` gets `a.b.c`, not `a.c` or `a.b.b.c`.
    pub async fn star_in_the_middle_matches_one_token(cx: &mut Case) -> CaseResult {
        expect_matches(
            cx,
            "a.*.c",
            &["a.c", "a.b.c", "a.b.b.c", "a.b.c.d", "a.x.c", "b.b.c"],
            &["a.b.c", "a.x.c"],
        )
        .await
    }

    /// A lone `*` matches every one-token topic and no longer one.
    pub async fn lone_star_matches_single_token_topics(cx: &mut Case) -> CaseResult {
        expect_matches(cx, "*", &["a", "a.b", "b", "x.y.z", "c"], &["a", "b", "c"]).await
    }

    /// `>` matches one or more trailing tokens: `a.>` gets `a.b` and `a.b.c.d`, not `a` or `b.a`.
    pub async fn tail_matches_one_or_more_tokens(cx: &mut Case) -> CaseResult {
        expect_matches(
            cx,
            "a.>",
            &["a", "a.b", "b.a", "a.b.c.d", "ab.c", "a.x"],
            &["a.b", "a.b.c.d", "a.x"],
        )
        .await
    }

    /// A pattern without wildcards matches only its own topic, token for token.
    pub async fn literal_pattern_matches_only_its_topic(cx: &mut Case) -> CaseResult {
        expect_matches(
            cx,
            "a.b",
            &["a.bc", "a.b.c", "a", "a.b", "ab", "A.b", "a.b"],
            &["a.b", "a.b"],
        )
        .await
    }

    /// A delivered message carries the topic it was published to and the id Publish answered.
    pub async fn delivered_with_topic_and_id(cx: &mut Case) -> CaseResult {
        let mut sub = subscribe_pattern(cx, "orders.>").await?;
        let first = publish(cx, "orders.eu.paid", "one").await?;
        let second = publish(cx, "orders.us", "two").await?;
        let got = recv(&mut sub, 2).await?;
        let seen: Vec<(String, String)> = got
            .iter()
            .map(|m| (m.topic.clone(), m.message_id.clone()))
            .collect();
        check_eq!(
            seen,
            vec![
                ("orders.eu.paid".to_owned(), first),
                ("orders.us".to_owned(), second)
            ],
            "(topic, id) of the delivered messages"
        );
        check_eq!(payloads(&got), strings(&["one", "two"]), "payloads");
        Ok(())
    }

    /// Each subscriber gets a matching message once, whatever else matches it (patterns that
    /// overlap, an exact subscriber of the same topic).
    pub async fn each_subscriber_gets_a_message_once(cx: &mut Case) -> CaseResult {
        let mut star = subscribe_pattern(cx, "a.*").await?;
        let mut tail = subscribe_pattern(cx, "a.>").await?;
        let mut exact = subscribe(cx, "a.b").await?;
        publish_to(cx, &["a.b", "a.b", "a.b"]).await?;
        check_eq!(recv(&mut star, 3).await?.len(), 3usize, "messages for a.*");
        check_eq!(recv(&mut tail, 3).await?.len(), 3usize, "messages for a.>");
        check_eq!(
            recv(&mut exact, 3).await?.len(),
            3usize,
            "messages for the exact subscriber"
        );
        let quiet = tokio::join!(
            stays_quiet(&mut star, "a.*, after the three messages"),
            stays_quiet(&mut tail, "a.>, after the three messages"),
            stays_quiet(&mut exact, "exact subscriber, after the three messages"),
        );
        quiet.0?;
        quiet.1?;
        quiet.2?;
        Ok(())
    }

    /// A pattern subscriber gets nothing from another namespace.
    pub async fn patterns_are_namespace_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        let mut mine = subscribe_pattern(cx, ">").await?;
        let mut theirs = subscribe_pattern_in(cx, &other, ">").await?;
        publish_in(cx, &other, "x.y", "theirs").await?;
        publish(cx, "x.y", "mine").await?;
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

    /// Invalid patterns are INVALID_ARGUMENT: empty, an empty token, `>` not last, a wildcard
    /// inside a longer token.
    pub async fn invalid_patterns_rejected(cx: &mut Case) -> CaseResult {
        let mut client = cx.pubsub_wildcards();
        for pattern in ["", "a..b", "a.", ".a", "a.>.b", "a*", "a.b>", "*x.y", ">>"] {
            let got = client
                .subscribe_pattern(cx.req(SubscribePatternRequest {
                    pattern: pattern.into(),
                    ..Default::default()
                }))
                .await
                .map(|_| pattern);
            check_code!(got, Code::InvalidArgument);
        }
        Ok(())
    }

    /// Pattern subscribers in namespaces of which one is a prefix of the other (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...) get only their own namespace's messages.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let family = crate::isolation::family(cx);
        let mut subs = Vec::new();
        for ns in &family {
            let req = cx.req_in(
                ns,
                SubscribePatternRequest {
                    pattern: "t.*".into(),
                    subscription_id: "sub".into(),
                    ..Default::default()
                },
            );
            subs.push(
                cx.pubsub_wildcards()
                    .subscribe_pattern(req)
                    .await?
                    .into_inner(),
            );
        }
        for step in 0..2 {
            for (tag, ns) in family.iter().enumerate() {
                let payload = &crate::pubsub::isolated::own_payloads(tag)[step];
                crate::pubsub::publish_in(cx, ns, "t.x", payload).await?;
            }
        }
        crate::pubsub::isolated::own_only(cx, &family, &mut subs).await
    }

    /// `subscription_id` works as in pubsub_basic and is shared with it: an id in use by a pattern subscription is ALREADY_EXISTS for another one and for pubsub_basic's Subscribe, and pubsub_basic's Unsubscribe by that id ends the stream normally.
    pub async fn subscription_id_shared_with_pubsub_basic(cx: &mut Case) -> CaseResult {
        let mut sub = cx
            .pubsub_wildcards()
            .subscribe_pattern(cx.req(SubscribePatternRequest {
                pattern: "s.*".into(),
                subscription_id: "shared-id".into(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        let again = cx
            .pubsub_wildcards()
            .subscribe_pattern(cx.req(SubscribePatternRequest {
                pattern: "other.*".into(),
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
        crate::pubsub::publish(cx, "s.x", "before").await?;
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
            "pubsub_basic's Unsubscribe did not find the pattern subscription's id"
        );
        let rest = crate::pubsub::recv_to_end(sub).await?;
        check!(
            rest.is_empty(),
            "messages after Unsubscribe: {:?}",
            crate::pubsub::payloads(&rest)
        );
        Ok(())
    }
}
