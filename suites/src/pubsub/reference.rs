//! The pubsub model of the differential cases (see [`crate::differential`]).

use std::collections::BTreeMap;
use std::time::Duration;

use prism_suite::proto::pubsub::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::{Code, Status, Streaming};

use crate::differential::Model;

/// Two topics and the empty one (INVALID_ARGUMENT).
const TOPICS: &[&str] = &["t", "u", ""];
/// Subscription ids: named, so that Unsubscribe can end them and what they got can be compared.
const SUBSCRIPTIONS: &[&str] = &["s1", "s2"];
/// How long an ended subscription may take to end its stream after Unsubscribe answered.
const DRAIN: Duration = Duration::from_secs(1);

/// `pubsub_basic`: Subscribe with an id, Publish (one or a burst), Unsubscribe. What a subscription received is
/// compared when it is ended (Unsubscribe ends its stream, OK, after every message published
/// before it), and every sequence ends by unsubscribing all; message ids are the backend's own,
/// so topics and payloads are compared.
pub(crate) struct Basic;

/// An operation of [`Basic`].
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    Subscribe(&'static str, &'static str),
    Publish(&'static str, Vec<u8>),
    /// `n` Publishes in a row, payloads 0, 1, ...: a fault that strikes every few messages of a
    /// namespace needs more messages than single Publishes give.
    Burst(&'static str, u8),
    Unsubscribe(&'static str),
    /// Appended to every sequence: unsubscribes every subscription the side still holds.
    UnsubscribeAll,
}

/// What the stream of an ended subscription delivered, as (topic, payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivered {
    /// The stream ended (OK) with these messages.
    Ended(Vec<(String, Vec<u8>)>),
    /// The stream ended with an error after these messages.
    Failed(Vec<(String, Vec<u8>)>, Code),
    /// The stream had not ended [`DRAIN`] after Unsubscribe answered.
    StillOpen(Vec<(String, Vec<u8>)>),
}

/// What an operation of [`Basic`] answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BasicAnswer {
    Subscribed,
    Published,
    /// Unsubscribe's `found`, and what the subscription's stream delivered if this side held one.
    Unsubscribed(bool, Option<Delivered>),
    All(Vec<(&'static str, BasicAnswer)>),
    Error(Code),
}

/// The live subscription streams of one side.
pub(crate) type Streams = BTreeMap<&'static str, Streaming<PubSubMessage>>;

async fn drain(mut stream: Streaming<PubSubMessage>) -> Delivered {
    let mut got = Vec::new();
    let ended = tokio::time::timeout(DRAIN, async {
        loop {
            match stream.message().await {
                Ok(Some(m)) => got.push((m.topic, m.payload)),
                Ok(None) => return None,
                Err(status) => return Some(status.code()),
            }
        }
    })
    .await;
    match ended {
        Ok(None) => Delivered::Ended(got),
        Ok(Some(code)) => Delivered::Failed(got, code),
        Err(_) => Delivered::StillOpen(got),
    }
}

async fn publish<S: InterfaceClients<Channel = CaseChannel> + Sync>(
    cx: &Case,
    side: &S,
    ns: &str,
    topic: &str,
    payload: Vec<u8>,
) -> Result<(), Code> {
    side.pubsub_basic()
        .publish(cx.req_in(
            ns,
            PublishRequest {
                topic: topic.to_owned(),
                payload,
                ..Default::default()
            },
        ))
        .await
        .map(|_| ())
        .map_err(|s| s.code())
}

impl Basic {
    async fn unsubscribe<S: InterfaceClients<Channel = CaseChannel> + Sync>(
        cx: &Case,
        side: &S,
        ns: &str,
        streams: &mut Streams,
        id: &'static str,
    ) -> BasicAnswer {
        let found = side
            .pubsub_basic()
            .unsubscribe(cx.req_in(
                ns,
                UnsubscribeRequest {
                    subscription_id: id.to_owned(),
                    ..Default::default()
                },
            ))
            .await;
        match found {
            Ok(r) => {
                let delivered = match streams.remove(id) {
                    Some(stream) => Some(drain(stream).await),
                    None => None,
                };
                BasicAnswer::Unsubscribed(r.into_inner().found, delivered)
            }
            Err(status) => BasicAnswer::Error(status.code()),
        }
    }
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = Streams;

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let topic = proptest::sample::select(TOPICS);
        let id = proptest::sample::select(SUBSCRIPTIONS);
        let op = prop_oneof![
            2 => (id.clone(), topic.clone()).prop_map(|(i, t)| BasicOp::Subscribe(i, t)),
            3 => (topic.clone(), proptest::collection::vec(any::<u8>(), 0..3))
                .prop_map(|(t, p)| BasicOp::Publish(t, p)),
            1 => (topic, 1..12u8).prop_map(|(t, n)| BasicOp::Burst(t, n)),
            1 => id.prop_map(BasicOp::Unsubscribe),
        ];
        proptest::collection::vec(op, 1..12).prop_map(|mut ops| {
            ops.push(BasicOp::UnsubscribeAll);
            ops
        })
    }

    async fn apply<S: InterfaceClients<Channel = CaseChannel> + Sync>(
        &self,
        cx: &Case,
        side: &S,
        ns: &str,
        streams: &mut Streams,
        op: &BasicOp,
    ) -> Result<BasicAnswer, Status> {
        // Answers nest (UnsubscribeAll), so errors are answers here, never `Err`.
        Ok(match op {
            BasicOp::Subscribe(id, topic) => {
                let subscribed = side
                    .pubsub_basic()
                    .subscribe(cx.req_in(
                        ns,
                        SubscribeRequest {
                            topic: (*topic).to_owned(),
                            subscription_id: (*id).to_owned(),
                            ..Default::default()
                        },
                    ))
                    .await;
                match subscribed {
                    Ok(stream) => {
                        streams.insert(id, stream.into_inner());
                        BasicAnswer::Subscribed
                    }
                    Err(status) => BasicAnswer::Error(status.code()),
                }
            }
            BasicOp::Publish(topic, payload) => publish(cx, side, ns, topic, payload.clone())
                .await
                .map_or_else(BasicAnswer::Error, |()| BasicAnswer::Published),
            BasicOp::Burst(topic, n) => {
                for i in 0..*n {
                    if let Err(code) = publish(cx, side, ns, topic, vec![i]).await {
                        return Ok(BasicAnswer::Error(code));
                    }
                }
                BasicAnswer::Published
            }
            BasicOp::Unsubscribe(id) => Self::unsubscribe(cx, side, ns, streams, id).await,
            BasicOp::UnsubscribeAll => {
                let mut all = Vec::new();
                let ids: Vec<&'static str> = streams.keys().copied().collect();
                for id in ids {
                    all.push((id, Self::unsubscribe(cx, side, ns, streams, id).await));
                }
                BasicAnswer::All(all)
            }
        })
    }
}
