//! The four list interfaces over Redis lists: one key `{ns}:list:<key>` per list.
//!
//! Redis semantics are the contract here (LPUSH order, LREM counts, LRANGE/LTRIM clamping), so
//! each call is one Redis command; blocking pops run BLPOP/BRPOP on a connection of their own.

use std::time::{Duration, Instant};

use prism_plugin::{check, Reply};
use prism_proto::list::list_basic_interface_server::ListBasicInterface;
use prism_proto::list::list_blocking_interface_server::ListBlockingInterface;
use prism_proto::list::list_indexing_interface_server::ListIndexingInterface;
use prism_proto::list::list_range_interface_server::ListRangeInterface;
use prism_proto::list::*;
use redis::aio::ConnectionManager;
use tonic::Status;

use super::common::{count, OrStatus};
use crate::{keys, Backend};

const KIND: &str = "list";

/// The service behind every list interface.
pub(crate) fn service(backend: &Backend) -> ListService {
    ListService {
        backend: backend.clone(),
    }
}

/// Serves every list interface.
#[derive(Clone)]
pub(crate) struct ListService {
    backend: Backend,
}

impl ListService {
    fn conn(&self) -> ConnectionManager {
        self.backend.conn.clone()
    }

    async fn push(&self, command: &str, req: PushRequest) -> Reply<PushResponse> {
        check::key(&req.key)?;
        if req.values.is_empty() {
            return Err(Status::invalid_argument("a push needs at least one value"));
        }
        let length: i64 = redis::cmd(command)
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.values)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(PushResponse {
            length: count(length),
        })
    }

    async fn pop(&self, command: &str, req: PopRequest) -> Reply<PopResponse> {
        check::key(&req.key)?;
        let value: Option<Vec<u8>> = redis::cmd(command)
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(PopResponse {
            found: value.is_some(),
            value: value.unwrap_or_default(),
        })
    }

    async fn blocking_pop(
        &self,
        command: &str,
        req: BlockingPopRequest,
    ) -> Reply<BlockingPopResponse> {
        check::key(&req.key)?;
        check::positive("timeout_ms", req.timeout_ms)?;
        let timeout = Duration::from_millis(req.timeout_ms.unsigned_abs());
        let arrived = Instant::now();
        // A blocked connection serves nothing else: one per call, dropped (closed) after it.
        let mut conn = self.backend.dedicated(timeout).await.st()?;
        let popped: Option<(String, Vec<u8>)> = redis::cmd(command)
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(timeout.as_secs_f64())
            .query_async(&mut conn)
            .await
            .st()?;
        let Some((_, value)) = popped else {
            // Redis rounds its timer; the contract is "no earlier than timeout_ms".
            tokio::time::sleep_until((arrived + timeout).into()).await;
            return Ok(BlockingPopResponse::default());
        };
        Ok(BlockingPopResponse { found: true, value })
    }
}

/// OUT_OF_RANGE for an index outside the list.
fn out_of_range(key: &str, index: i64) -> Status {
    Status::out_of_range(format!("index {index} is outside list {key:?}"))
}

#[prism_plugin::service]
impl ListBasicInterface for ListService {
    async fn push_left(&self, req: PushRequest) -> Reply<PushResponse> {
        self.push("LPUSH", req).await
    }

    async fn push_right(&self, req: PushRequest) -> Reply<PushResponse> {
        self.push("RPUSH", req).await
    }

    async fn pop_left(&self, req: PopRequest) -> Reply<PopResponse> {
        self.pop("LPOP", req).await
    }

    async fn pop_right(&self, req: PopRequest) -> Reply<PopResponse> {
        self.pop("RPOP", req).await
    }

    async fn length(&self, req: LengthRequest) -> Reply<LengthResponse> {
        check::key(&req.key)?;
        let length: i64 = redis::cmd("LLEN")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(LengthResponse {
            length: count(length),
        })
    }
}

#[prism_plugin::service]
impl ListIndexingInterface for ListService {
    async fn get(&self, req: ListGetRequest) -> Reply<ListGetResponse> {
        check::key(&req.key)?;
        let value: Option<Vec<u8>> = redis::cmd("LINDEX")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.index)
            .query_async(&mut self.conn())
            .await
            .st()?;
        let value = value.ok_or_else(|| out_of_range(&req.key, req.index))?;
        Ok(ListGetResponse { value })
    }

    async fn set(&self, req: ListSetRequest) -> Reply<ListSetResponse> {
        check::key(&req.key)?;
        let done: redis::RedisResult<()> = redis::cmd("LSET")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.index)
            .arg(req.value)
            .query_async(&mut self.conn())
            .await;
        match done {
            Ok(()) => Ok(ListSetResponse {}),
            // "ERR no such key" (missing list) and "ERR index out of range".
            Err(e)
                if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) =>
            {
                Err(out_of_range(&req.key, req.index))
            }
            Err(e) => Err(super::common::rerr(e)),
        }
    }

    async fn insert(&self, req: ListInsertRequest) -> Reply<ListInsertResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("LINSERT")
            .arg(&rkey)
            .arg(if req.after { "AFTER" } else { "BEFORE" })
            .arg(req.pivot)
            .arg(req.value)
            .cmd("LLEN")
            .arg(&rkey);
        let (inserted, length): (i64, i64) = pipe.query_async(&mut self.conn()).await.st()?;
        Ok(ListInsertResponse {
            found: inserted > 0,
            length: count(length),
        })
    }

    async fn remove(&self, req: ListRemoveRequest) -> Reply<ListRemoveResponse> {
        check::key(&req.key)?;
        let removed: i64 = redis::cmd("LREM")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.count)
            .arg(req.value)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(ListRemoveResponse {
            removed: count(removed),
        })
    }
}

#[prism_plugin::service]
impl ListRangeInterface for ListService {
    async fn get_range(&self, req: GetRangeRequest) -> Reply<GetRangeResponse> {
        check::key(&req.key)?;
        let values: Vec<Vec<u8>> = redis::cmd("LRANGE")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.start)
            .arg(req.stop)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetRangeResponse { values })
    }

    async fn trim(&self, req: TrimRequest) -> Reply<TrimResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("LTRIM")
            .arg(&rkey)
            .arg(req.start)
            .arg(req.stop)
            .ignore()
            .cmd("LLEN")
            .arg(&rkey);
        let (length,): (i64,) = pipe.query_async(&mut self.conn()).await.st()?;
        Ok(TrimResponse {
            length: count(length),
        })
    }
}

#[prism_plugin::service]
impl ListBlockingInterface for ListService {
    async fn blocking_pop_left(&self, req: BlockingPopRequest) -> Reply<BlockingPopResponse> {
        self.blocking_pop("BLPOP", req).await
    }

    async fn blocking_pop_right(&self, req: BlockingPopRequest) -> Reply<BlockingPopResponse> {
        self.blocking_pop("BRPOP", req).await
    }
}
