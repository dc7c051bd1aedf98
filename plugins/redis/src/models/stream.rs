//! stream_basic, stream_consumer_groups, stream_replay and stream_retention over Redis streams.
//!
//! Layout per stream `<name>` of namespace `ns`:
//! - `{ns}:stream:<name>`: the Redis stream; offset `o` is the entry ID `0-(o+1)` (XADD refuses
//!   `0-0`), with fields `p` (payload) and `t` (append timestamp, ms).
//! - `{ns}:stream-meta:<name>`: a hash of `next` (next offset), `low` (low watermark), `ts` (last
//!   timestamp, so timestamps never decrease), `max_records` and `max_age_ms` (the policy).
//! - `{ns}:stream-acks:<name>`: a hash of acknowledged counts by group.
//! - `{ns}:stream-orphans:<len>:<name>:<group>`: IDs a departed consumer left unacknowledged.
//!
//! Append and Compact are Lua scripts (atomic offsets, timestamps from Redis TIME, trimming with
//! XTRIM MINID); reads run HMGET + XRANGE in one MULTI so bounds and records agree. Consumer groups
//! are Redis consumer groups (XREADGROUP hands each entry to one consumer); what Redis lacks is
//! done here: the live consumer set, and redelivery of a departed consumer's pending entries
//! (its task pushes them to the orphan list on leaving; every consumer claims orphans with XCLAIM
//! before it reads new entries).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prism_plugin::{check, stream, ItemStream, Reply};
use prism_proto::stream::stream_basic_interface_server::StreamBasicInterface;
use prism_proto::stream::stream_consumer_groups_interface_server::StreamConsumerGroupsInterface;
use prism_proto::stream::stream_replay_interface_server::StreamReplayInterface;
use prism_proto::stream::stream_retention_interface_server::StreamRetentionInterface;
use prism_proto::stream::*;
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{Script, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;

use super::common::{count, rerr, OrStatus};
use crate::{keys, Backend};

/// The service behind every stream interface.
pub(crate) fn service(backend: &Backend) -> StreamService {
    StreamService {
        backend: backend.clone(),
        live: Arc::default(),
        append: Arc::new(Script::new(APPEND)),
        compact: Arc::new(Script::new(COMPACT)),
        ack: Arc::new(Script::new(ACK)),
    }
}

// KEYS[1] stream, KEYS[2] meta; ARGV[1] payload. Answers {offset, timestamp}.
const APPEND: &str = r#"
local off = redis.call('HINCRBY', KEYS[2], 'next', 1) - 1
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('HGET', KEYS[2], 'ts') or '0')
if now < last then now = last end
redis.call('HSET', KEYS[2], 'ts', string.format('%d', now))
redis.call('XADD', KEYS[1], '0-' .. string.format('%d', off + 1), 'p', ARGV[1], 't', string.format('%d', now))
return {off, now}
"#;

// KEYS[1] stream, KEYS[2] meta. Applies the policy; answers {low watermark, removed}.
const COMPACT: &str = r#"
local function num(field)
  return tonumber(redis.call('HGET', KEYS[2], field) or '0')
end
local nxt, low, maxr, maxage = num('next'), num('low'), num('max_records'), num('max_age_ms')
local newlow = low
if maxr > 0 and nxt - maxr > newlow then newlow = nxt - maxr end
if maxage > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local entries = redis.call('XRANGE', KEYS[1], '0-' .. string.format('%d', newlow + 1), '+')
  for _, e in ipairs(entries) do
    local fields, ts = e[2], nil
    for i = 1, #fields, 2 do
      if fields[i] == 't' then ts = tonumber(fields[i + 1]) end
    end
    if ts ~= nil and now - ts >= maxage then
      newlow = tonumber(string.sub(e[1], 3))
    else
      break
    end
  end
end
if newlow > low then
  redis.call('XTRIM', KEYS[1], 'MINID', '0-' .. string.format('%d', newlow + 1))
  redis.call('HSET', KEYS[2], 'low', string.format('%d', newlow))
end
return {newlow, newlow - low}
"#;

// KEYS[1] stream, KEYS[2] acks; ARGV[1] group, ARGV[2] id. 1 when the entry was pending.
const ACK: &str = r#"
local n = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if n == 1 then redis.call('HINCRBY', KEYS[2], ARGV[1], 1) end
return n
"#;

/// The Redis entry ID of `offset`.
pub(crate) fn entry_id(offset: i64) -> String {
    format!("0-{}", i128::from(offset) + 1)
}

/// The offset of the Redis entry ID `id` (`0-(offset+1)`).
pub(crate) fn offset_of(id: &str) -> Option<i64> {
    let seq: i64 = id.strip_prefix("0-")?.parse().ok()?;
    Some(seq - 1)
}

fn bulk(v: &Value) -> Option<&[u8]> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

/// A record from an XRANGE / XREADGROUP / XCLAIM entry `[id, [field, value, ...]]`.
fn record(entry: &Value) -> Option<StreamRecord> {
    let Value::Array(parts) = entry else {
        return None;
    };
    let id = std::str::from_utf8(bulk(parts.first()?)?).ok()?;
    let Value::Array(fields) = parts.get(1)? else {
        return None;
    };
    let mut rec = StreamRecord {
        offset: offset_of(id)?,
        ..Default::default()
    };
    for pair in fields.chunks(2) {
        let [name, value] = pair else { continue };
        match bulk(name)? {
            b"p" => rec.payload = bulk(value)?.to_vec(),
            b"t" => rec.timestamp_ms = std::str::from_utf8(bulk(value)?).ok()?.parse().ok()?,
            _ => {}
        }
    }
    Some(rec)
}

fn records(entries: &Value) -> Vec<StreamRecord> {
    match entries {
        Value::Array(items) => items.iter().filter_map(record).collect(),
        _ => Vec::new(),
    }
}

/// The keys of one stream.
struct Keys {
    stream: String,
    meta: String,
    acks: String,
}

impl Keys {
    fn new(ns: &str, name: &str) -> Self {
        Keys {
            stream: keys::key(ns, "stream", name),
            meta: keys::key(ns, "stream-meta", name),
            acks: keys::key(ns, "stream-acks", name),
        }
    }

    fn orphans(ns: &str, name: &str, group: &str) -> String {
        // The length keeps `a:b`+`c` apart from `a`+`b:c`.
        keys::key(
            ns,
            "stream-orphans",
            &format!("{}:{name}:{group}", name.len()),
        )
    }
}

/// Joined consumers by (namespace, stream, group).
type Live = Arc<Mutex<HashMap<(String, String, String), BTreeSet<String>>>>;

/// Serves the four stream interfaces.
#[derive(Clone)]
pub(crate) struct StreamService {
    backend: Backend,
    live: Live,
    append: Arc<Script>,
    compact: Arc<Script>,
    ack: Arc<Script>,
}

/// OK when reading may start at `start`: a retained offset or the next one.
fn check_start(start: i64, low: i64, next: i64) -> Result<(), Status> {
    if start < 0 {
        return Err(Status::invalid_argument(format!(
            "offset {start} is negative"
        )));
    }
    if start < low {
        return Err(Status::out_of_range(format!(
            "offset {start} is below the low watermark {low}"
        )));
    }
    if start > next {
        return Err(Status::out_of_range(format!(
            "offset {start} is beyond the next offset {next}"
        )));
    }
    Ok(())
}

impl StreamService {
    fn conn(&self) -> ConnectionManager {
        self.backend.conn.clone()
    }

    /// (low watermark, next offset) and the records from `start` to `end` inclusive (None: to
    /// the end), at most `max` (0 = all), all read at one instant.
    async fn snapshot(
        &self,
        k: &Keys,
        start: i64,
        end: Option<i64>,
        max: u32,
    ) -> Result<(i64, i64, Vec<StreamRecord>), Status> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HMGET")
            .arg(&k.meta)
            .arg("low")
            .arg("next")
            .cmd("XRANGE")
            .arg(&k.stream)
            .arg(entry_id(start.max(0)))
            .arg(end.map_or_else(|| "+".to_owned(), entry_id));
        if max > 0 {
            pipe.arg("COUNT").arg(max);
        }
        let ((low, next), entries): ((Option<i64>, Option<i64>), Value) =
            pipe.query_async(&mut self.conn()).await.st()?;
        Ok((low.unwrap_or(0), next.unwrap_or(0), records(&entries)))
    }

    /// Records from `start` (validated) to `end` inclusive (None: to the end), at most `max`.
    async fn range(
        &self,
        ns: &str,
        name: &str,
        start: i64,
        end: Option<i64>,
        max: u32,
    ) -> Result<Vec<StreamRecord>, Status> {
        check::non_empty("stream", name)?;
        if start < 0 {
            return Err(Status::invalid_argument(format!(
                "offset {start} is negative"
            )));
        }
        let (low, next, recs) = self.snapshot(&Keys::new(ns, name), start, end, max).await?;
        check_start(start, low, next)?;
        Ok(recs)
    }

    /// (last delivered offset + 1, pending count, lowest pending offset) of `group`, or NOT_FOUND.
    async fn group(
        &self,
        ns: &str,
        name: &str,
        group: &str,
    ) -> Result<(i64, u64, Option<i64>), Status> {
        let k = Keys::new(ns, name);
        let groups: Result<Vec<Vec<Value>>, _> = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&k.stream)
            .query_async(&mut self.conn())
            .await;
        let unknown = || Status::not_found(format!("stream {name:?} has no group {group:?}"));
        let groups = match groups {
            Ok(g) => g,
            // No such stream: no such group.
            Err(e) if matches!(e.kind(), redis::ErrorKind::Server(_)) => return Err(unknown()),
            Err(e) => return Err(rerr(e)),
        };
        let found = groups.iter().find(|fields| {
            fields.chunks(2).any(|p| {
                bulk(&p[0]) == Some(b"name") && p.get(1).and_then(bulk) == Some(group.as_bytes())
            })
        });
        let Some(fields) = found else {
            return Err(unknown());
        };
        let last = fields
            .chunks(2)
            .find(|p| bulk(&p[0]) == Some(b"last-delivered-id"))
            .and_then(|p| p.get(1).and_then(bulk))
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(offset_of)
            .ok_or_else(|| Status::internal("XINFO GROUPS without last-delivered-id"))?;
        let (pending, min_id, _, _): (u64, Option<String>, Value, Value) = redis::cmd("XPENDING")
            .arg(&k.stream)
            .arg(group)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok((last + 1, pending, min_id.as_deref().and_then(offset_of)))
    }
}

#[prism_plugin::service]
impl StreamBasicInterface for StreamService {
    type ReadStream = ItemStream<StreamRecord>;

    async fn append(&self, req: AppendRequest) -> Reply<AppendResponse> {
        check::valid(&req)?;
        let k = Keys::new(&req.namespace, &req.stream);
        let (offset, timestamp_ms): (i64, i64) = self
            .append
            .key(&k.stream)
            .key(&k.meta)
            .arg(req.payload)
            .invoke_async(&mut self.conn())
            .await
            .st()?;
        Ok(AppendResponse {
            offset,
            timestamp_ms,
        })
    }

    async fn read(&self, req: ReadRequest) -> Reply<Self::ReadStream> {
        let recs = self
            .range(&req.namespace, &req.stream, req.from_offset, None, req.max)
            .await?;
        stream(recs)
    }

    async fn get_latest_offset(
        &self,
        req: GetLatestOffsetRequest,
    ) -> Reply<GetLatestOffsetResponse> {
        check::non_empty("stream", &req.stream)?;
        let next: Option<i64> = redis::cmd("HGET")
            .arg(Keys::new(&req.namespace, &req.stream).meta)
            .arg("next")
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetLatestOffsetResponse {
            latest_offset: next.unwrap_or(0) - 1,
        })
    }
}

#[prism_plugin::service]
impl StreamReplayInterface for StreamService {
    type SeekToOffsetStream = ItemStream<StreamRecord>;
    type SeekToTimestampStream = ItemStream<StreamRecord>;
    type ReplayRangeStream = ItemStream<StreamRecord>;

    async fn seek_to_offset(&self, req: SeekToOffsetRequest) -> Reply<Self::SeekToOffsetStream> {
        let recs = self
            .range(&req.namespace, &req.stream, req.offset, None, req.max)
            .await?;
        stream(recs)
    }

    async fn seek_to_timestamp(
        &self,
        req: SeekToTimestampRequest,
    ) -> Reply<Self::SeekToTimestampStream> {
        check::non_empty("stream", &req.stream)?;
        let k = Keys::new(&req.namespace, &req.stream);
        let (_, _, recs) = self.snapshot(&k, 0, None, 0).await?;
        let limit = if req.max == 0 {
            usize::MAX
        } else {
            req.max as usize
        };
        // Timestamps never decrease along a stream: the first match starts the answer.
        let recs: Vec<StreamRecord> = recs
            .into_iter()
            .skip_while(|r| r.timestamp_ms < req.timestamp_ms)
            .take(limit)
            .collect();
        stream(recs)
    }

    async fn replay_range(&self, req: ReplayRangeRequest) -> Reply<Self::ReplayRangeStream> {
        check::valid(&req)?;
        let recs = self
            .range(
                &req.namespace,
                &req.stream,
                req.start_offset,
                Some(req.end_offset),
                0,
            )
            .await?;
        stream(recs)
    }
}

#[prism_plugin::service]
impl StreamRetentionInterface for StreamService {
    async fn set_retention(&self, req: SetRetentionRequest) -> Reply<SetRetentionResponse> {
        check::valid(&req)?;
        redis::cmd("HSET")
            .arg(Keys::new(&req.namespace, &req.stream).meta)
            .arg("max_records")
            .arg(req.max_records)
            .arg("max_age_ms")
            .arg(req.max_age_ms)
            .query_async::<()>(&mut self.conn())
            .await
            .st()?;
        Ok(SetRetentionResponse {})
    }

    async fn get_retention(&self, req: GetRetentionRequest) -> Reply<GetRetentionResponse> {
        check::valid(&req)?;
        let (max_records, max_age_ms): (Option<u64>, Option<i64>) = redis::cmd("HMGET")
            .arg(Keys::new(&req.namespace, &req.stream).meta)
            .arg("max_records")
            .arg("max_age_ms")
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetRetentionResponse {
            max_records: max_records.unwrap_or(0),
            max_age_ms: max_age_ms.unwrap_or(0),
        })
    }

    async fn compact(&self, req: CompactRequest) -> Reply<CompactResponse> {
        check::valid(&req)?;
        let k = Keys::new(&req.namespace, &req.stream);
        let (low_watermark, removed): (i64, i64) = self
            .compact
            .key(&k.stream)
            .key(&k.meta)
            .invoke_async(&mut self.conn())
            .await
            .st()?;
        Ok(CompactResponse {
            low_watermark,
            removed: count(removed),
        })
    }
}

/// One joined consumer: its own connection (XREADGROUP blocks), its delivery queue.
struct Consumer {
    conn: MultiplexedConnection,
    manager: ConnectionManager,
    stream_key: String,
    orphans: String,
    group: String,
    name: String,
    tx: mpsc::UnboundedSender<Result<StreamRecord, Status>>,
}

/// How long one XREADGROUP waits for new entries before the consumer checks for orphans and
/// for its client having gone.
const POLL_MS: u64 = 50;

impl Consumer {
    /// Delivers until the client goes away (or Redis fails), then hands its pending entries on.
    async fn run(mut self) {
        while !self.tx.is_closed() {
            if let Err(e) = self.round().await {
                let _ = self.tx.send(Err(rerr(e)));
                break;
            }
        }
        // Entries this consumer read but never had acknowledged, including any read after its
        // client left, are pending under its name: the next consumer claims them.
        let _ = self.hand_on().await;
    }

    async fn deliver(&self, recs: Vec<StreamRecord>) {
        for rec in recs {
            if self.tx.send(Ok(rec)).is_err() {
                return;
            }
        }
    }

    /// Claims orphans, then waits (at most [`POLL_MS`]) for new entries, delivering both.
    async fn round(&mut self) -> redis::RedisResult<()> {
        let ids: Option<Vec<String>> = redis::cmd("LPOP")
            .arg(&self.orphans)
            .arg(100)
            .query_async(&mut self.conn)
            .await?;
        if let Some(ids) = ids.filter(|ids| !ids.is_empty()) {
            let claimed: Value = redis::cmd("XCLAIM")
                .arg(&self.stream_key)
                .arg(&self.group)
                .arg(&self.name)
                .arg(0)
                .arg(&ids)
                .query_async(&mut self.conn)
                .await?;
            let mut recs = records(&claimed);
            recs.sort_by_key(|r| r.offset);
            self.deliver(recs).await;
            return Ok(());
        }
        // Never cancelled half-way: what Redis hands out is then surely pending under our name.
        let read: Value = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.group)
            .arg(&self.name)
            .arg("COUNT")
            .arg(100)
            .arg("BLOCK")
            .arg(POLL_MS)
            .arg("STREAMS")
            .arg(&self.stream_key)
            .arg(">")
            .query_async(&mut self.conn)
            .await?;
        if let Value::Array(streams) = read {
            for s in streams {
                if let Value::Array(parts) = s {
                    if let Some(entries) = parts.get(1) {
                        self.deliver(records(entries)).await;
                    }
                }
            }
        }
        Ok(())
    }

    async fn hand_on(&mut self) -> redis::RedisResult<()> {
        let pending: Vec<(String, Value, Value, Value)> = redis::cmd("XPENDING")
            .arg(&self.stream_key)
            .arg(&self.group)
            .arg("-")
            .arg("+")
            .arg(1_000_000)
            .arg(&self.name)
            .query_async(&mut self.conn)
            .await?;
        let ids: Vec<String> = pending.into_iter().map(|(id, ..)| id).collect();
        if !ids.is_empty() {
            redis::cmd("RPUSH")
                .arg(&self.orphans)
                .arg(ids)
                .query_async::<()>(&mut self.manager)
                .await?;
        }
        Ok(())
    }
}

#[prism_plugin::service]
impl StreamConsumerGroupsInterface for StreamService {
    type JoinConsumerGroupStream = UnboundedReceiverStream<Result<StreamRecord, Status>>;

    async fn create_consumer_group(
        &self,
        req: CreateConsumerGroupRequest,
    ) -> Reply<CreateConsumerGroupResponse> {
        check::non_empty("stream", &req.stream)?;
        check::non_empty("group", &req.group)?;
        let k = Keys::new(&req.namespace, &req.stream);
        let (low, next): (Option<i64>, Option<i64>) = redis::cmd("HMGET")
            .arg(&k.meta)
            .arg("low")
            .arg("next")
            .query_async(&mut self.conn())
            .await
            .st()?;
        check_start(req.start_offset, low.unwrap_or(0), next.unwrap_or(0))?;
        // The group's last delivered ID is the one just before its start.
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&k.stream)
            .arg(&req.group)
            .arg(format!("0-{}", req.start_offset))
            .arg("MKSTREAM")
            .query_async(&mut self.conn())
            .await;
        match created {
            Ok(()) => Ok(CreateConsumerGroupResponse {}),
            Err(e) if e.code() == Some("BUSYGROUP") => Err(Status::already_exists(format!(
                "stream {:?} already has group {:?}",
                req.stream, req.group
            ))),
            Err(e) => Err(rerr(e)),
        }
    }

    async fn join_consumer_group(
        &self,
        req: JoinConsumerGroupRequest,
    ) -> Reply<Self::JoinConsumerGroupStream> {
        check::non_empty("stream", &req.stream)?;
        check::non_empty("group", &req.group)?;
        check::non_empty("consumer", &req.consumer)?;
        self.group(&req.namespace, &req.stream, &req.group).await?;
        let conn = self
            .backend
            .dedicated(Duration::from_millis(POLL_MS))
            .await
            .st()?;
        let live_key = (req.namespace.clone(), req.stream.clone(), req.group.clone());
        {
            let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
            if !live
                .entry(live_key.clone())
                .or_default()
                .insert(req.consumer.clone())
            {
                return Err(Status::already_exists(format!(
                    "consumer {:?} is joined to group {:?}",
                    req.consumer, req.group
                )));
            }
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let consumer = Consumer {
            conn,
            manager: self.conn(),
            stream_key: Keys::new(&req.namespace, &req.stream).stream,
            orphans: Keys::orphans(&req.namespace, &req.stream, &req.group),
            group: req.group,
            name: req.consumer.clone(),
            tx,
        };
        let live = self.live.clone();
        tokio::spawn(async move {
            consumer.run().await;
            let mut live = live.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(names) = live.get_mut(&live_key) {
                names.remove(&req.consumer);
                if names.is_empty() {
                    live.remove(&live_key);
                }
            }
        });
        Ok(UnboundedReceiverStream::new(rx))
    }

    async fn ack(&self, req: AckRequest) -> Reply<AckResponse> {
        check::valid(&req)?;
        self.group(&req.namespace, &req.stream, &req.group).await?;
        if req.offset < 0 {
            return Ok(AckResponse { acked: false });
        }
        let k = Keys::new(&req.namespace, &req.stream);
        let n: i64 = self
            .ack
            .key(&k.stream)
            .key(&k.acks)
            .arg(&req.group)
            .arg(entry_id(req.offset))
            .invoke_async(&mut self.conn())
            .await
            .st()?;
        Ok(AckResponse { acked: n > 0 })
    }

    async fn get_consumer_group_info(
        &self,
        req: GetConsumerGroupInfoRequest,
    ) -> Reply<GetConsumerGroupInfoResponse> {
        check::non_empty("stream", &req.stream)?;
        check::non_empty("group", &req.group)?;
        let (delivered_to, pending_count, lowest_pending) =
            self.group(&req.namespace, &req.stream, &req.group).await?;
        let acked: Option<u64> = redis::cmd("HGET")
            .arg(Keys::new(&req.namespace, &req.stream).acks)
            .arg(&req.group)
            .query_async(&mut self.conn())
            .await
            .st()?;
        let consumers = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(req.namespace, req.stream, req.group))
            .map(|names| names.iter().cloned().collect())
            .unwrap_or_default();
        Ok(GetConsumerGroupInfoResponse {
            consumers,
            pending_count,
            acked_count: acked.unwrap_or(0),
            committed_offset: lowest_pending.map_or(delivered_to, |p| p.min(delivered_to)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_entry_ids_and_back() {
        for offset in [0, 1, 41, i64::MAX - 1] {
            assert_eq!(offset_of(&entry_id(offset)), Some(offset));
        }
        assert_eq!(entry_id(0), "0-1");
        assert_eq!(offset_of("5-1"), None);
        assert_eq!(offset_of("0-x"), None);
    }

    #[test]
    fn starts_are_checked_against_the_watermarks() {
        assert!(check_start(0, 0, 0).is_ok());
        assert!(check_start(3, 2, 3).is_ok());
        assert_eq!(
            check_start(1, 2, 5).unwrap_err().code(),
            tonic::Code::OutOfRange
        );
        assert_eq!(
            check_start(6, 2, 5).unwrap_err().code(),
            tonic::Code::OutOfRange
        );
        assert_eq!(
            check_start(-1, 0, 5).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
    }
}
