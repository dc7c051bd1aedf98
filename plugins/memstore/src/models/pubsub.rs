//! The five pubsub interfaces: basic, wildcards, persistent, filtering and ordering.
//!
//! Every subscription owns an unbounded queue inside the one locked state; publishing appends to the
//! queue of every matching subscription and wakes its stream. A stream takes one message from its
//! queue each time tonic polls it, so a message leaves the queue only when it is handed to a live
//! stream: delivery is lossless however slowly a client reads, and a durable subscription keeps
//! everything a cancelled stream was never handed.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll};

use prism_plugin::{check, Reply};
use prism_proto::pubsub::pub_sub_basic_interface_server::PubSubBasicInterface;
use prism_proto::pubsub::pub_sub_filtering_interface_server::PubSubFilteringInterface;
use prism_proto::pubsub::pub_sub_ordering_interface_server::PubSubOrderingInterface;
use prism_proto::pubsub::pub_sub_persistent_interface_server::PubSubPersistentInterface;
use prism_proto::pubsub::pub_sub_wildcards_interface_server::PubSubWildcardsInterface;
use prism_proto::pubsub::*;
use tokio::sync::Notify;
use tokio_stream::Stream;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Deliberately broken pubsub behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "drop_every_10th_message",
        "every 10th message of a namespace is acknowledged but delivered to nobody",
    ),
    (
        "wildcard_star_matches_many_tokens",
        "`*` in a pattern matches one or more tokens instead of exactly one",
    ),
    (
        "durable_redelivers_all",
        "a returning durable subscriber gets every message since it was created, again",
    ),
    (
        "filter_matches_any_attribute",
        "a filter matches when any of its pairs holds (OR) instead of all (AND)",
    ),
    (
        "reorder_within_key",
        "PublishOrdered delivers each second message of a key before the first",
    ),
    (
        "pubsub_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their pubsub data",
    ),
];

/// The service behind every pubsub interface.
pub(crate) fn service(faults: &Faults) -> PubSubService {
    PubSubService {
        state: Arc::new(Mutex::new(State {
            spaces: Spaces::new(faults, "pubsub_namespace_prefix_leak"),
        })),
        faults: faults.clone(),
    }
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    // A panic elsewhere must not take every later call down with it.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves every pubsub interface from one state.
#[derive(Debug, Clone)]
pub(crate) struct PubSubService {
    state: Shared,
    faults: Faults,
}

/// All namespaces, kept fully apart.
#[derive(Debug, Default)]
struct State {
    spaces: Spaces<Space>,
}

/// One namespace's subscriptions and counters.
#[derive(Debug, Default)]
struct Space {
    /// Messages published so far; the next message id is this plus one.
    published: u64,
    /// Last subscription key or stream token handed out.
    last_token: u64,
    subs: HashMap<u64, Sub>,
    /// Durable subscriptions by (topic, subscriber name).
    durables: HashMap<(String, String), u64>,
    /// Id of the last persistent message of each topic.
    last_persistent: HashMap<String, String>,
    /// Under `reorder_within_key`: the first message of a pair, by (topic, ordering key).
    held: HashMap<(String, String), PubSubMessage>,
}

/// One subscription and the messages it has not handed to a stream yet.
#[derive(Debug)]
struct Sub {
    selector: Selector,
    /// Client-chosen id for Unsubscribe; empty when anonymous or unsubscribed.
    id: String,
    queue: VecDeque<PubSubMessage>,
    /// Wakes the stream that owns the subscription.
    notify: Arc<Notify>,
    /// The stream that owns the subscription; a durable one changes owner on every return.
    stream: u64,
    /// Set by Unsubscribe: the stream ends once the queue is drained.
    closing: bool,
    /// Under `durable_redelivers_all`: every message ever queued for a durable subscription.
    history: Vec<PubSubMessage>,
}

/// Which messages a subscription gets.
#[derive(Debug)]
enum Selector {
    Topic(String),
    Pattern(Vec<String>),
    Filtered {
        topic: String,
        filter: HashMap<String, String>,
    },
    /// Persistent messages of a topic only.
    Durable(String),
}

/// How a message was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Persistent,
}

/// What a stream finds when it looks at its subscription.
enum Pop {
    Message(PubSubMessage),
    End,
    Wait(Arc<Notify>),
}

impl Space {
    /// A new message with the next id of the namespace.
    fn new_message(
        &mut self,
        topic: String,
        payload: Vec<u8>,
        attributes: HashMap<String, String>,
        ordering_key: String,
    ) -> PubSubMessage {
        self.published += 1;
        PubSubMessage {
            message_id: self.published.to_string(),
            topic,
            payload,
            attributes,
            ordering_key,
        }
    }
}

impl PubSubService {
    /// Publishes a message of any kind and answers its id.
    fn publish(
        &self,
        namespace: String,
        topic: String,
        payload: Vec<u8>,
        attributes: HashMap<String, String>,
        ordering_key: String,
        kind: Kind,
    ) -> Result<String, Status> {
        check::topic(&topic)?;
        let mut state = lock(&self.state);
        let space = state.spaces.entry(namespace).or_default();
        let message = space.new_message(topic, payload, attributes, ordering_key);
        let id = message.message_id.clone();
        if kind == Kind::Persistent {
            space
                .last_persistent
                .insert(message.topic.clone(), id.clone());
        }
        if self.faults.has("drop_every_10th_message") && space.published.is_multiple_of(10) {
            return Ok(id);
        }
        if !message.ordering_key.is_empty() && self.faults.has("reorder_within_key") {
            let key = (message.topic.clone(), message.ordering_key.clone());
            match space.held.remove(&key) {
                None => {
                    space.held.insert(key, message);
                }
                Some(first) => {
                    self.deliver(space, message, kind);
                    self.deliver(space, first, kind);
                }
            }
            return Ok(id);
        }
        self.deliver(space, message, kind);
        Ok(id)
    }

    /// Queues `message` for every matching subscription and wakes their streams.
    fn deliver(&self, space: &mut Space, message: PubSubMessage, kind: Kind) {
        for sub in space.subs.values_mut() {
            if sub.closing || !self.selects(&sub.selector, &message, kind) {
                continue;
            }
            if self.faults.has("durable_redelivers_all")
                && matches!(sub.selector, Selector::Durable(_))
            {
                sub.history.push(message.clone());
            }
            sub.queue.push_back(message.clone());
            sub.notify.notify_one();
        }
    }

    fn selects(&self, selector: &Selector, message: &PubSubMessage, kind: Kind) -> bool {
        match selector {
            Selector::Topic(topic) => *topic == message.topic,
            Selector::Pattern(pattern) => {
                let tokens: Vec<&str> = message.topic.split('.').collect();
                let star_many = self.faults.has("wildcard_star_matches_many_tokens");
                pattern_matches(pattern, &tokens, star_many)
            }
            Selector::Filtered { topic, filter } => {
                let holds = |(k, v): (&String, &String)| message.attributes.get(k) == Some(v);
                *topic == message.topic
                    && if self.faults.has("filter_matches_any_attribute") && !filter.is_empty() {
                        filter.iter().any(holds)
                    } else {
                        filter.iter().all(holds)
                    }
            }
            Selector::Durable(topic) => kind == Kind::Persistent && *topic == message.topic,
        }
    }

    /// Registers a subscription and answers the stream that owns it (live from now on).
    fn subscribe(
        &self,
        namespace: String,
        selector: Selector,
        id: String,
    ) -> Result<SubStream, Status> {
        let mut state = lock(&self.state);
        let space = state.spaces.entry(namespace.clone()).or_default();
        if !id.is_empty() && space.subs.values().any(|s| s.id == id) {
            return Err(Status::already_exists(format!(
                "subscription id {id:?} is in use"
            )));
        }
        space.last_token += 1;
        let key = space.last_token;
        space.subs.insert(
            key,
            Sub {
                selector,
                id,
                queue: VecDeque::new(),
                notify: Arc::new(Notify::new()),
                stream: key,
                closing: false,
                history: Vec::new(),
            },
        );
        Ok(SubStream::new(self.state.clone(), namespace, key, key))
    }

    /// Connects to the durable subscription (topic, name), creating it or taking it over.
    fn subscribe_durable(
        &self,
        namespace: String,
        topic: String,
        name: String,
    ) -> Result<SubStream, Status> {
        if topic.is_empty() || name.is_empty() {
            return Err(Status::invalid_argument(
                "topic and subscriber_name must not be empty",
            ));
        }
        let mut state = lock(&self.state);
        let space = state.spaces.entry(namespace.clone()).or_default();
        space.last_token += 1;
        let token = space.last_token;
        let durable = (topic, name);
        let existing = space
            .durables
            .get(&durable)
            .copied()
            .filter(|key| space.subs.contains_key(key));
        let key = match existing {
            Some(key) => {
                let sub = space
                    .subs
                    .get_mut(&key)
                    .ok_or_else(|| Status::internal("durable subscription vanished"))?;
                // The previous stream, if still open, wakes up, sees it lost ownership and ends.
                sub.notify.notify_one();
                sub.notify = Arc::new(Notify::new());
                sub.stream = token;
                if self.faults.has("durable_redelivers_all") {
                    sub.queue = sub.history.iter().cloned().collect();
                }
                key
            }
            None => {
                space.subs.insert(
                    token,
                    Sub {
                        selector: Selector::Durable(durable.0.clone()),
                        id: String::new(),
                        queue: VecDeque::new(),
                        notify: Arc::new(Notify::new()),
                        stream: token,
                        closing: false,
                        history: Vec::new(),
                    },
                );
                space.durables.insert(durable, token);
                token
            }
        };
        Ok(SubStream::new(self.state.clone(), namespace, key, token))
    }
}

/// Whether `pattern` (already validated) matches a topic split into `tokens`.
fn pattern_matches(pattern: &[String], tokens: &[&str], star_many: bool) -> bool {
    let Some((first, rest)) = pattern.split_first() else {
        return tokens.is_empty();
    };
    match first.as_str() {
        ">" => !tokens.is_empty(),
        "*" if star_many => {
            (1..=tokens.len()).any(|n| pattern_matches(rest, &tokens[n..], star_many))
        }
        "*" => !tokens.is_empty() && pattern_matches(rest, &tokens[1..], star_many),
        literal => {
            tokens.first() == Some(&literal) && pattern_matches(rest, &tokens[1..], star_many)
        }
    }
}

impl State {
    /// Takes the next message for stream `token` of subscription `key`.
    fn pop(&mut self, namespace: &str, key: u64, token: u64) -> Pop {
        let Some(space) = self.spaces.get_mut(namespace) else {
            return Pop::End;
        };
        let Some(sub) = space.subs.get_mut(&key).filter(|s| s.stream == token) else {
            return Pop::End;
        };
        if let Some(message) = sub.queue.pop_front() {
            return Pop::Message(message);
        }
        if sub.closing {
            space.subs.remove(&key);
            return Pop::End;
        }
        Pop::Wait(sub.notify.clone())
    }

    /// Stream `token` of subscription `key` is gone: a plain subscription ends, a durable one waits
    /// for its subscriber's return.
    fn disconnect(&mut self, namespace: &str, key: u64, token: u64) {
        let Some(space) = self.spaces.get_mut(namespace) else {
            return;
        };
        let Some(sub) = space.subs.get(&key).filter(|s| s.stream == token) else {
            return;
        };
        if !matches!(sub.selector, Selector::Durable(_)) {
            space.subs.remove(&key);
        }
    }
}

type Next = Pin<Box<dyn Future<Output = Option<PubSubMessage>> + Send>>;

/// The server stream of one subscription: pulls from its queue, ends when it is closed or taken
/// over, and lets go of the subscription when tonic drops it (client cancelled or went away).
pub(crate) struct SubStream {
    state: Shared,
    namespace: String,
    key: u64,
    token: u64,
    next: Option<Next>,
}

impl SubStream {
    fn new(state: Shared, namespace: String, key: u64, token: u64) -> Self {
        Self {
            state,
            namespace,
            key,
            token,
            next: None,
        }
    }

    fn next_message(&self) -> Next {
        let state = self.state.clone();
        let namespace = self.namespace.clone();
        let (key, token) = (self.key, self.token);
        Box::pin(async move {
            loop {
                // Taking the message and returning it happen in one poll: a dropped stream never
                // loses a message it took.
                let pop = lock(&state).pop(&namespace, key, token);
                match pop {
                    Pop::Message(message) => return Some(message),
                    Pop::End => return None,
                    // A permit stored by a notify before this wait makes it return at once.
                    Pop::Wait(notify) => notify.notified().await,
                }
            }
        })
    }
}

impl Stream for SubStream {
    type Item = Result<PubSubMessage, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = match &mut self.next {
            Some(next) => next,
            None => {
                let next = self.next_message();
                self.next.insert(next)
            }
        };
        let message = ready!(next.as_mut().poll(cx));
        self.next = None;
        Poll::Ready(message.map(Ok))
    }
}

impl Drop for SubStream {
    fn drop(&mut self) {
        lock(&self.state).disconnect(&self.namespace, self.key, self.token);
    }
}

#[prism_plugin::service]
impl PubSubBasicInterface for PubSubService {
    type SubscribeStream = SubStream;

    async fn publish(&self, req: PublishRequest) -> Reply<PublishResponse> {
        let message_id = self.publish(
            req.namespace,
            req.topic,
            req.payload,
            HashMap::new(),
            String::new(),
            Kind::Plain,
        )?;
        Ok(PublishResponse { message_id })
    }

    async fn subscribe(&self, req: SubscribeRequest) -> Reply<Self::SubscribeStream> {
        check::topic(&req.topic)?;
        let stream = self.subscribe(
            req.namespace,
            Selector::Topic(req.topic),
            req.subscription_id,
        )?;
        Ok(stream)
    }

    async fn unsubscribe(&self, req: UnsubscribeRequest) -> Reply<UnsubscribeResponse> {
        let mut state = lock(&self.state);
        let sub = state
            .spaces
            .get_mut(&req.namespace)
            .filter(|_| !req.subscription_id.is_empty())
            .and_then(|space| {
                space
                    .subs
                    .values_mut()
                    .find(|s| s.id == req.subscription_id)
            });
        let found = match sub {
            Some(sub) => {
                sub.closing = true;
                // The id is free again at once, though the stream may still drain.
                sub.id.clear();
                sub.notify.notify_one();
                true
            }
            None => false,
        };
        Ok(UnsubscribeResponse { found })
    }
}

#[prism_plugin::service]
impl PubSubWildcardsInterface for PubSubService {
    type SubscribePatternStream = SubStream;

    async fn subscribe_pattern(
        &self,
        req: SubscribePatternRequest,
    ) -> Reply<Self::SubscribePatternStream> {
        let pattern = check::pattern(&req.pattern)?;
        let stream = self.subscribe(
            req.namespace,
            Selector::Pattern(pattern),
            req.subscription_id,
        )?;
        Ok(stream)
    }
}

#[prism_plugin::service]
impl PubSubPersistentInterface for PubSubService {
    type SubscribeDurableStream = SubStream;

    async fn publish_persistent(
        &self,
        req: PublishPersistentRequest,
    ) -> Reply<PublishPersistentResponse> {
        let message_id = self.publish(
            req.namespace,
            req.topic,
            req.payload,
            HashMap::new(),
            String::new(),
            Kind::Persistent,
        )?;
        Ok(PublishPersistentResponse { message_id })
    }

    async fn subscribe_durable(
        &self,
        req: SubscribeDurableRequest,
    ) -> Reply<Self::SubscribeDurableStream> {
        let stream = self.subscribe_durable(req.namespace, req.topic, req.subscriber_name)?;
        Ok(stream)
    }

    async fn get_last_message_id(
        &self,
        req: GetLastMessageIdRequest,
    ) -> Reply<GetLastMessageIdResponse> {
        check::topic(&req.topic)?;
        let state = lock(&self.state);
        let message_id = state
            .spaces
            .get(&req.namespace)
            .and_then(|space| space.last_persistent.get(&req.topic))
            .cloned()
            .ok_or_else(|| {
                Status::not_found(format!(
                    "nothing was published persistently to {:?}",
                    req.topic
                ))
            })?;
        Ok(GetLastMessageIdResponse { message_id })
    }
}

#[prism_plugin::service]
impl PubSubFilteringInterface for PubSubService {
    type SubscribeFilteredStream = SubStream;

    async fn publish_with_attributes(
        &self,
        req: PublishWithAttributesRequest,
    ) -> Reply<PublishWithAttributesResponse> {
        let message_id = self.publish(
            req.namespace,
            req.topic,
            req.payload,
            req.attributes,
            String::new(),
            Kind::Plain,
        )?;
        Ok(PublishWithAttributesResponse { message_id })
    }

    async fn subscribe_filtered(
        &self,
        req: SubscribeFilteredRequest,
    ) -> Reply<Self::SubscribeFilteredStream> {
        check::topic(&req.topic)?;
        let selector = Selector::Filtered {
            topic: req.topic,
            filter: req.filter,
        };
        let stream = self.subscribe(req.namespace, selector, req.subscription_id)?;
        Ok(stream)
    }
}

#[prism_plugin::service]
impl PubSubOrderingInterface for PubSubService {
    async fn publish_ordered(&self, req: PublishOrderedRequest) -> Reply<PublishOrderedResponse> {
        if req.ordering_key.is_empty() {
            return Err(Status::invalid_argument("ordering_key must not be empty"));
        }
        let message_id = self.publish(
            req.namespace,
            req.topic,
            req.payload,
            HashMap::new(),
            req.ordering_key,
            Kind::Plain,
        )?;
        Ok(PublishOrderedResponse { message_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Request;

    use tokio_stream::StreamExt;

    fn service(faults: &str) -> PubSubService {
        PubSubService {
            state: Arc::default(),
            faults: Faults::parse(faults).expect("known faults"),
        }
    }

    fn matches(pattern: &str, topic: &str) -> bool {
        let pattern = check::pattern(pattern).expect("valid pattern");
        let tokens: Vec<&str> = topic.split('.').collect();
        pattern_matches(&pattern, &tokens, false)
    }

    fn publish(svc: &PubSubService, topic: &str, payload: &str) -> String {
        svc.publish(
            "ns".into(),
            topic.into(),
            payload.as_bytes().to_vec(),
            HashMap::new(),
            String::new(),
            Kind::Persistent,
        )
        .expect("publish")
    }

    async fn payloads(stream: &mut SubStream, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        for _ in 0..n {
            let message = stream.next().await.expect("open").expect("ok");
            out.push(String::from_utf8(message.payload).expect("utf-8"));
        }
        out
    }

    #[test]
    fn star_is_one_token_and_tail_is_one_or_more() {
        assert!(matches("a.*", "a.b"));
        assert!(!matches("a.*", "a.b.c"));
        assert!(!matches("a.*", "a"));
        assert!(matches("a.>", "a.b.c"));
        assert!(!matches("a.>", "a"));
        assert!(matches("*.b.>", "x.b.y"));
        assert!(!matches("a.b", "a.bc"));
    }

    #[test]
    fn invalid_patterns_are_rejected() {
        for pattern in ["", "a..b", "a.", "a.>.b", "a*", "b>", ">x"] {
            assert!(check::pattern(pattern).is_err(), "{pattern:?} accepted");
        }
    }

    #[tokio::test]
    async fn subscriber_gets_messages_in_order_and_ends_after_unsubscribe() {
        let svc = service("");
        let mut stream = svc
            .subscribe("ns".into(), Selector::Topic("t".into()), "s1".into())
            .expect("subscribe");
        publish(&svc, "t", "one");
        publish(&svc, "other", "nope");
        publish(&svc, "t", "two");
        let reply = PubSubBasicInterface::unsubscribe(
            &svc,
            Request::new(UnsubscribeRequest {
                namespace: "ns".into(),
                subscription_id: "s1".into(),
            }),
        )
        .await
        .expect("unsubscribe");
        assert!(reply.into_inner().found);
        assert_eq!(payloads(&mut stream, 2).await, ["one", "two"]);
        assert!(stream.next().await.is_none(), "stream goes on");
    }

    #[tokio::test]
    async fn durable_subscriber_gets_what_it_missed_once() {
        let svc = service("");
        let durable = || svc.subscribe_durable("ns".into(), "t".into(), "d".into());
        let mut stream = durable().expect("subscribe");
        publish(&svc, "t", "one");
        assert_eq!(payloads(&mut stream, 1).await, ["one"]);
        drop(stream);
        publish(&svc, "t", "two");
        publish(&svc, "t", "three");
        let mut stream = durable().expect("return");
        assert_eq!(payloads(&mut stream, 2).await, ["two", "three"]);
        drop(stream);
        publish(&svc, "t", "four");
        let mut stream = durable().expect("return again");
        assert_eq!(payloads(&mut stream, 1).await, ["four"]);
    }

    #[tokio::test]
    async fn cancelled_plain_subscription_is_forgotten() {
        let svc = service("");
        let stream = svc
            .subscribe("ns".into(), Selector::Topic("t".into()), "s".into())
            .expect("subscribe");
        drop(stream);
        publish(&svc, "t", "one");
        assert!(lock(&svc.state).spaces["ns"].subs.is_empty());
        // Its id is free again.
        svc.subscribe("ns".into(), Selector::Topic("t".into()), "s".into())
            .expect("id reused");
    }
}
