//! pubsub_basic and pubsub_wildcards over Redis PUBLISH / SUBSCRIBE / PSUBSCRIBE.
//!
//! A topic is the channel `{ns}:topic:<topic>`; a message is its 36-character id followed by the
//! payload. Every subscription owns a Redis connection that subscribes to its topic (or pattern)
//! and to a private control channel; a task forwards what arrives into an unbounded queue that
//! the gRPC stream reads, so a slow reader loses nothing (Redis never sees a backlog).
//!
//! Unsubscribe publishes "close" on the control channel: Redis delivers it after every message
//! published before, and before every message published after, which is exactly the cut the
//! proto asks for. Patterns become a Redis glob that may over-match (`*` crosses dots), then an
//! exact token match in the plugin.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use prism_plugin::{check, Reply};
use prism_proto::pubsub::pub_sub_basic_interface_server::PubSubBasicInterface;
use prism_proto::pubsub::pub_sub_wildcards_interface_server::PubSubWildcardsInterface;
use prism_proto::pubsub::*;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_stream::StreamExt;
use tonic::Status;

use super::common::OrStatus;
use crate::{keys, Backend};

const TOPIC: &str = "topic";
const CONTROL: &str = "pubsub-ctl";
/// Length of a message id (a hyphenated UUID) at the head of every Redis message.
const ID_LEN: usize = 36;

/// The service behind every pubsub interface.
pub(crate) fn service(backend: &Backend) -> PubSubService {
    PubSubService {
        backend: backend.clone(),
        subs: Arc::default(),
    }
}

/// A named live subscription: the token that tells it from a later one of the same id, and
/// its control channel.
struct Named {
    token: u64,
    control: String,
}

#[derive(Default)]
struct Subs {
    next_token: u64,
    by_id: HashMap<(String, String), Named>,
}

/// Serves pubsub_basic and pubsub_wildcards.
#[derive(Clone)]
pub(crate) struct PubSubService {
    backend: Backend,
    subs: Arc<Mutex<Subs>>,
}

/// What a subscription listens to.
enum Target {
    Topic(String),
    Pattern(Vec<String>),
}

type SubStream = UnboundedReceiverStream<Result<PubSubMessage, Status>>;

impl PubSubService {
    fn lock(&self) -> std::sync::MutexGuard<'_, Subs> {
        self.subs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets the named subscription `key` if it is still the one with `token`.
    fn release(subs: &Mutex<Subs>, key: &(String, String), token: u64) {
        let mut subs = subs.lock().unwrap_or_else(PoisonError::into_inner);
        if subs.by_id.get(key).is_some_and(|n| n.token == token) {
            subs.by_id.remove(key);
        }
    }

    /// Subscribes to `target` in `ns`; live (Redis confirmed) when this returns.
    async fn subscribe(&self, ns: String, id: String, target: Target) -> Result<SubStream, Status> {
        let control = keys::key(&ns, CONTROL, &uuid::Uuid::new_v4().to_string());
        let key = (ns.clone(), id.clone());
        let token = {
            let mut subs = self.lock();
            subs.next_token += 1;
            let token = subs.next_token;
            if !id.is_empty() {
                if subs.by_id.contains_key(&key) {
                    return Err(Status::already_exists(format!(
                        "subscription id {id:?} is live in this namespace"
                    )));
                }
                let named = Named {
                    token,
                    control: control.clone(),
                };
                subs.by_id.insert(key.clone(), named);
            }
            token
        };
        let connected = self.connect(&ns, &control, &target).await;
        let pubsub = match connected {
            Ok(p) => p,
            Err(e) => {
                Self::release(&self.subs, &key, token);
                return Err(e);
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let subs = self.subs.clone();
        tokio::spawn(async move {
            forward(pubsub, &ns, &control, &target, &tx).await;
            if !key.1.is_empty() {
                Self::release(&subs, &key, token);
            }
        });
        Ok(UnboundedReceiverStream::new(rx))
    }

    async fn connect(
        &self,
        ns: &str,
        control: &str,
        target: &Target,
    ) -> Result<redis::aio::PubSub, Status> {
        let mut pubsub = self.backend.client.get_async_pubsub().await.st()?;
        pubsub.subscribe(control).await.st()?;
        match target {
            Target::Topic(topic) => pubsub.subscribe(keys::key(ns, TOPIC, topic)).await.st()?,
            Target::Pattern(tokens) => pubsub.psubscribe(glob(ns, tokens)).await.st()?,
        }
        Ok(pubsub)
    }
}

/// Forwards the messages of `pubsub` to `tx` until the control channel says close, the gRPC
/// stream goes away or the connection breaks.
async fn forward(
    pubsub: redis::aio::PubSub,
    ns: &str,
    control: &str,
    target: &Target,
    tx: &mpsc::UnboundedSender<Result<PubSubMessage, Status>>,
) {
    let prefix = keys::prefix(ns, TOPIC);
    let mut messages = pubsub.into_on_message();
    loop {
        let msg = tokio::select! {
            msg = messages.next() => msg,
            () = tx.closed() => return,
        };
        let Some(msg) = msg else {
            let _ = tx.send(Err(Status::unavailable(
                "the Redis subscription connection broke",
            )));
            return;
        };
        let channel = msg.get_channel_name();
        if channel == control {
            return;
        }
        let Some(topic) = channel.strip_prefix(&prefix) else {
            continue;
        };
        if let Target::Pattern(tokens) = target {
            if !matches(tokens, topic) {
                continue;
            }
        }
        let Some(message) = decode(topic, msg.get_payload_bytes()) else {
            continue;
        };
        if tx.send(Ok(message)).is_err() {
            return;
        }
    }
}

/// The message carried by a Redis message body (id then payload).
fn decode(topic: &str, body: &[u8]) -> Option<PubSubMessage> {
    if body.len() < ID_LEN {
        return None;
    }
    let (id, payload) = body.split_at(ID_LEN);
    Some(PubSubMessage {
        message_id: String::from_utf8(id.to_vec()).ok()?,
        topic: topic.to_owned(),
        payload: payload.to_vec(),
        ..Default::default()
    })
}

/// Whether `topic` matches the pattern `tokens` (`*` one token, `>` one or more trailing ones).
pub(crate) fn matches(tokens: &[String], topic: &str) -> bool {
    let parts: Vec<&str> = topic.split('.').collect();
    for (i, token) in tokens.iter().enumerate() {
        match token.as_str() {
            ">" => return parts.len() > i,
            "*" => {
                if parts.get(i).is_none() {
                    return false;
                }
            }
            literal => {
                if parts.get(i) != Some(&literal) {
                    return false;
                }
            }
        }
    }
    parts.len() == tokens.len()
}

/// A Redis glob that matches at least every channel of `ns` whose topic matches `tokens`.
pub(crate) fn glob(ns: &str, tokens: &[String]) -> String {
    let body: Vec<String> = tokens
        .iter()
        .map(|t| match t.as_str() {
            "*" | ">" => "*".to_owned(),
            literal => keys::glob_escape(literal),
        })
        .collect();
    format!(
        "{}{}",
        keys::glob_escape(&keys::prefix(ns, TOPIC)),
        body.join(".")
    )
}

#[prism_plugin::service]
impl PubSubBasicInterface for PubSubService {
    type SubscribeStream = SubStream;

    async fn publish(&self, req: PublishRequest) -> Reply<PublishResponse> {
        check::topic(&req.topic)?;
        let message_id = uuid::Uuid::new_v4().to_string();
        let mut body = Vec::with_capacity(ID_LEN + req.payload.len());
        body.extend_from_slice(message_id.as_bytes());
        body.extend_from_slice(&req.payload);
        redis::cmd("PUBLISH")
            .arg(keys::key(&req.namespace, TOPIC, &req.topic))
            .arg(body)
            .query_async::<i64>(&mut self.backend.conn.clone())
            .await
            .st()?;
        Ok(PublishResponse { message_id })
    }

    async fn subscribe(&self, req: SubscribeRequest) -> Reply<Self::SubscribeStream> {
        check::topic(&req.topic)?;
        let stream = PubSubService::subscribe(
            self,
            req.namespace,
            req.subscription_id,
            Target::Topic(req.topic),
        )
        .await?;
        Ok(stream)
    }

    async fn unsubscribe(&self, req: UnsubscribeRequest) -> Reply<UnsubscribeResponse> {
        let key = (req.namespace, req.subscription_id);
        // The id is free from now on; the stream ends once Redis delivers "close".
        let named = self.lock().by_id.remove(&key);
        let Some(named) = named else {
            return Ok(UnsubscribeResponse { found: false });
        };
        redis::cmd("PUBLISH")
            .arg(&named.control)
            .arg("close")
            .query_async::<i64>(&mut self.backend.conn.clone())
            .await
            .st()?;
        Ok(UnsubscribeResponse { found: true })
    }
}

#[prism_plugin::service]
impl PubSubWildcardsInterface for PubSubService {
    type SubscribePatternStream = SubStream;

    async fn subscribe_pattern(
        &self,
        req: SubscribePatternRequest,
    ) -> Reply<Self::SubscribePatternStream> {
        let tokens = check::pattern(&req.pattern)?;
        let stream = PubSubService::subscribe(
            self,
            req.namespace,
            req.subscription_id,
            Target::Pattern(tokens),
        )
        .await?;
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, topic: &str) -> bool {
        matches(&check::pattern(pattern).expect("valid"), topic)
    }

    #[test]
    fn wildcards_match_whole_tokens() {
        assert!(m("a.*", "a.b"));
        assert!(!m("a.*", "a.b.c"));
        assert!(!m("a.*", "a"));
        assert!(m("a.>", "a.b"));
        assert!(m("a.>", "a.b.c"));
        assert!(!m("a.>", "a"));
        assert!(m("*", "x"));
        assert!(!m("*", "x.y"));
        assert!(m("a.*.c", "a.b.c"));
        assert!(!m("a.*.c", "a.b.d"));
        assert!(m("a.b", "a.b"));
        assert!(!m("a.b", "a.bc"));
    }

    #[test]
    fn invalid_patterns_are_rejected() {
        for bad in ["", "a..b", "a.", ".a", "a.>.b", "a*", "b>", "*a"] {
            assert!(check::pattern(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn globs_escape_literals_and_keep_the_namespace() {
        let tokens = check::pattern("a*b.*.>").err();
        assert!(tokens.is_some());
        let tokens = check::pattern("x[1].*.>").expect("valid");
        assert_eq!(glob("n?s", &tokens), "{n\\?s}:topic:x\\[1\\].*.*");
    }
}
