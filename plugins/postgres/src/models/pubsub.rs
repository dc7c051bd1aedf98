//! pubsub_basic over LISTEN/NOTIFY, so publishers and subscribers in different plugin processes
//! (or any SQL client) meet through the database.
//!
//! - Every plugin process holds one connection of its own that LISTENs on [`CHANNEL`]; a task
//!   reads its notifications in order and hands each to the local subscribers of its namespace and
//!   topic. Each subscriber has an unbounded queue, so a slow reader loses nothing.
//! - Publish is `pg_notify` with a JSON payload naming namespace, topic and message id. A payload
//!   that would not fit NOTIFY's 8000-byte limit goes into `prism.pubsub_spill` in the same
//!   transaction, and the notification carries its id; the listener reads it before it moves on, so
//!   order is kept.
//! - NOTIFY is delivered in commit order, so a marker notification orders membership changes
//!   exactly: Subscribe registers the subscriber inactive, publishes a marker and answers once the
//!   listener saw the marker and activated it (messages committed before the marker are not
//!   delivered to it, messages published after the answer are). Unsubscribe sends a marker on which
//!   the listener ends the stream, after everything committed before it.
//! - Subscription ids, like the subscriptions, live in this plugin process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use prism_proto::pubsub::pub_sub_basic_interface_server::{
    PubSubBasicInterface, PubSubBasicInterfaceServer,
};
use prism_proto::pubsub::*;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::AsyncMessage;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;

use super::common::{literal, Reply};
use crate::error::{describe, OrStatus};
use crate::Backend;
use prism_plugin::Services;

/// The channel every plugin process LISTENs on.
pub const CHANNEL: &str = "prism_pubsub";
/// Payload bytes carried inside the notification; larger ones are spilled to a table.
const INLINE_MAX: usize = 3000;
/// How long spilled payloads are kept for listeners to read.
const SPILL_KEPT: Duration = Duration::from_secs(600);
/// How long Subscribe and Unsubscribe wait for their marker to come back.
const MARKER_WAIT: Duration = Duration::from_secs(10);

/// Adds the pubsub service to `router`.
pub fn add_services(services: Services, backend: &Backend) -> Services {
    let svc = PubSubService {
        backend: backend.clone(),
        hub: Arc::new(Hub::default()),
        listener: Arc::new(tokio::sync::Mutex::new(None)),
    };
    tokio::spawn(reap_spill(backend.clone()));
    services.add(PubSubBasicInterfaceServer::new(svc))
}

async fn reap_spill(backend: Backend) {
    let mut every = tokio::time::interval(SPILL_KEPT / 4);
    loop {
        every.tick().await;
        if let Ok(client) = backend.pool.get().await {
            let _ = client
                .execute(
                    "DELETE FROM prism.pubsub_spill WHERE created_at < now() - $1::bigint * interval '1 second'",
                    &[&i64::try_from(SPILL_KEPT.as_secs()).unwrap_or(600)],
                )
                .await;
        }
    }
}

type Delivery = mpsc::UnboundedSender<Result<PubSubMessage, Status>>;

struct Subscriber {
    namespace: String,
    topic: String,
    name: Option<String>,
    /// Set when the subscribe marker came back: only later messages are delivered.
    active: bool,
    tx: Delivery,
}

/// The local subscribers and the markers waited for.
#[derive(Default)]
struct Hub {
    state: Mutex<HubState>,
}

#[derive(Default)]
struct HubState {
    next: u64,
    subscribers: HashMap<u64, Subscriber>,
    markers: HashMap<String, (Marker, oneshot::Sender<()>)>,
}

enum Marker {
    Activate(u64),
    End(u64),
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands one notification to the subscribers, or acts on a marker.
    fn dispatch(&self, note: Note) {
        let mut state = self.lock();
        match note {
            Note::Marker(id) => {
                if let Some((marker, done)) = state.markers.remove(&id) {
                    match marker {
                        Marker::Activate(token) => {
                            if let Some(s) = state.subscribers.get_mut(&token) {
                                s.active = true;
                            }
                        }
                        Marker::End(token) => {
                            // Dropping the sender ends the stream with OK.
                            state.subscribers.remove(&token);
                        }
                    }
                    let _ = done.send(());
                }
            }
            Note::Message { namespace, message } => {
                state.subscribers.retain(|_, s| {
                    if s.active && s.namespace == namespace && s.topic == message.topic {
                        s.tx.send(Ok(message.clone())).is_ok()
                    } else {
                        !s.tx.is_closed()
                    }
                });
            }
        }
    }

    /// Ends every subscription with `why` (the LISTEN connection is gone).
    fn fail_all(&self, why: Status) {
        let mut state = self.lock();
        for (_, s) in state.subscribers.drain() {
            let _ = s.tx.send(Err(why.clone()));
        }
        state.markers.clear();
    }
}

/// A notification, decoded.
enum Note {
    Marker(String),
    Message {
        namespace: String,
        message: PubSubMessage,
    },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

/// The LISTEN connection: its client must live as long as the task reading it.
struct Listener {
    _client: tokio_postgres::Client,
    alive: Arc<std::sync::atomic::AtomicBool>,
}

/// Serves pubsub_basic.
#[derive(Clone)]
pub struct PubSubService {
    backend: Backend,
    hub: Arc<Hub>,
    listener: Arc<tokio::sync::Mutex<Option<Listener>>>,
}

impl PubSubService {
    /// Starts the LISTEN connection unless one is alive.
    async fn ensure_listening(&self) -> Result<(), Status> {
        let mut slot = self.listener.lock().await;
        if slot
            .as_ref()
            .is_some_and(|l| l.alive.load(std::sync::atomic::Ordering::SeqCst))
        {
            return Ok(());
        }
        let (client, mut connection) = self
            .backend
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| {
                Status::unavailable(format!(
                    "cannot open the LISTEN connection to PostgreSQL: {}",
                    describe(&e)
                ))
            })?;
        let alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (notes_tx, mut notes_rx) = mpsc::unbounded_channel();
        let flag = alive.clone();
        // Drives the connection; notifications go to the dispatcher in arrival order.
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            let ended = loop {
                match messages.next().await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if notes_tx.send(Ok(n.payload().to_owned())).is_err() {
                            break "dispatcher gone".to_owned();
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break describe(&e),
                    None => break "connection closed".to_owned(),
                }
            };
            flag.store(false, std::sync::atomic::Ordering::SeqCst);
            let _ = notes_tx.send(Err(ended));
        });
        let hub = self.hub.clone();
        let backend = self.backend.clone();
        tokio::spawn(async move {
            while let Some(note) = notes_rx.recv().await {
                match note {
                    Ok(payload) => {
                        if let Some(note) = decode(&backend, &payload).await {
                            hub.dispatch(note);
                        }
                    }
                    Err(why) => {
                        hub.fail_all(Status::unavailable(format!(
                            "the LISTEN connection to PostgreSQL was lost: {why}"
                        )));
                        break;
                    }
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(|e| Status::unavailable(format!("LISTEN failed: {}", describe(&e))))?;
        *slot = Some(Listener {
            _client: client,
            alive,
        });
        Ok(())
    }

    /// Sends a marker and waits until the listener acted on it.
    async fn marker(&self, marker: Marker) -> Result<(), Status> {
        let id = uuid::Uuid::new_v4().to_string();
        let (done, wait) = oneshot::channel();
        self.hub.lock().markers.insert(id.clone(), (marker, done));
        let payload = json!({ "marker": id }).to_string();
        let client = self.backend.client().await?;
        client
            .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
            .await
            .st()?;
        match tokio::time::timeout(MARKER_WAIT, wait).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Status::unavailable(
                "the LISTEN connection to PostgreSQL was lost",
            )),
            Err(_) => {
                self.hub.lock().markers.remove(&id);
                Err(Status::unavailable(format!(
                    "no notification came back from PostgreSQL within {MARKER_WAIT:?}"
                )))
            }
        }
    }
}

/// Decodes a notification; a spilled payload is read from the table.
async fn decode(backend: &Backend, payload: &str) -> Option<Note> {
    let value: Value = serde_json::from_str(payload).ok()?;
    if let Some(marker) = value.get("marker").and_then(Value::as_str) {
        return Some(Note::Marker(marker.to_owned()));
    }
    let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
    let body = match (text("p"), text("spill")) {
        (Some(inline), _) => unhex(&inline)?,
        (None, Some(spill)) => {
            let client = backend.pool.get().await.ok()?;
            let row = client
                .query_opt(
                    "SELECT payload FROM prism.pubsub_spill WHERE id = $1::text::uuid",
                    &[&spill],
                )
                .await
                .ok()??;
            row.get(0)
        }
        _ => return None,
    };
    Some(Note::Message {
        namespace: text("ns")?,
        message: PubSubMessage {
            message_id: text("id")?,
            topic: text("topic")?,
            payload: body,
            ..Default::default()
        },
    })
}

#[prism_plugin::service]
impl PubSubBasicInterface for PubSubService {
    type SubscribeStream = UnboundedReceiverStream<Result<PubSubMessage, Status>>;

    async fn publish(&self, req: PublishRequest) -> Reply<PublishResponse> {
        prism_plugin::check::topic(&req.topic)?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut note = json!({ "ns": req.namespace, "topic": req.topic, "id": id });
        let mut client = self.backend.client().await?;
        if req.payload.len() <= INLINE_MAX {
            note["p"] = Value::String(hex(&req.payload));
            // One round trip, and no wait for the WAL flush: a notification is not durable
            // anyway (LISTEN/NOTIFY keeps nothing across a restart), and delivery order is commit
            // order either way. JSON text holds no U+0000 (it escapes it), so it fits a literal.
            client
                .batch_execute(&format!(
                    "BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_notify({}, {}); COMMIT",
                    literal(CHANNEL),
                    literal(&note.to_string())
                ))
                .await
                .st()?;
        } else {
            let spill = uuid::Uuid::new_v4().to_string();
            note["spill"] = Value::String(spill.clone());
            let txn = client.transaction().await.st()?;
            txn.batch_execute("SET LOCAL synchronous_commit = off")
                .await
                .st()?;
            txn.execute(
                "INSERT INTO prism.pubsub_spill (id, payload) VALUES ($1::text::uuid, $2)",
                &[&spill, &req.payload],
            )
            .await
            .st()?;
            txn.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &note.to_string()])
                .await
                .st()?;
            txn.commit().await.st()?;
        }
        Ok(PublishResponse { message_id: id })
    }

    async fn subscribe(&self, req: SubscribeRequest) -> Reply<Self::SubscribeStream> {
        prism_plugin::check::topic(&req.topic)?;
        self.ensure_listening().await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let name = (!req.subscription_id.is_empty()).then(|| req.subscription_id.clone());
        let token = {
            let mut state = self.hub.lock();
            if let Some(name) = &name {
                let taken = state.subscribers.values().any(|s| {
                    s.namespace == req.namespace
                        && s.name.as_ref() == Some(name)
                        && !s.tx.is_closed()
                });
                if taken {
                    return Err(Status::already_exists(format!(
                        "subscription id {name:?} is in use in namespace {:?}",
                        req.namespace
                    )));
                }
                state.subscribers.retain(|_, s| {
                    !(s.namespace == req.namespace && s.name.as_ref() == Some(name))
                });
            }
            state.next += 1;
            let token = state.next;
            state.subscribers.insert(
                token,
                Subscriber {
                    namespace: req.namespace.clone(),
                    topic: req.topic,
                    name,
                    active: false,
                    tx,
                },
            );
            token
        };
        if let Err(e) = self.marker(Marker::Activate(token)).await {
            self.hub.lock().subscribers.remove(&token);
            return Err(e);
        }
        Ok(UnboundedReceiverStream::new(rx))
    }

    async fn unsubscribe(&self, req: UnsubscribeRequest) -> Reply<UnsubscribeResponse> {
        let token = {
            let state = self.hub.lock();
            state
                .subscribers
                .iter()
                .find(|(_, s)| {
                    s.namespace == req.namespace
                        && s.name.as_deref() == Some(req.subscription_id.as_str())
                        && !s.tx.is_closed()
                })
                .map(|(t, _)| *t)
        };
        let Some(token) = token else {
            return Ok(UnsubscribeResponse { found: false });
        };
        self.marker(Marker::End(token)).await?;
        Ok(UnsubscribeResponse { found: true })
    }
}

#[cfg(test)]
mod tests {
    use super::{hex, unhex};

    #[test]
    fn hex_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&all)), Some(all));
    }
}
