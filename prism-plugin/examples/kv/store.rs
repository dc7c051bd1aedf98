// keyvalue_basic over a HashMap: the smallest honest implementation of an interface, shared by the
// crate's doc examples and `examples/kv/main.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use prism_plugin::{check, reply, Reply};
use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterface;
use prism_proto::keyvalue::*;
use tonic::{Request, Status};

/// Values by (namespace, key).
type Values = HashMap<(String, String), Vec<u8>>;

/// keyvalue_basic in memory.
#[derive(Debug, Clone, Default)]
pub struct Kv {
    values: Arc<Mutex<Values>>,
}

impl Kv {
    fn map(&self) -> std::sync::MutexGuard<'_, Values> {
        self.values.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[tonic::async_trait]
impl KeyValueBasicInterface for Kv {
    async fn set(&self, request: Request<SetRequest>) -> Reply<SetResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        self.map().insert((req.namespace, req.key), req.value);
        reply(SetResponse {})
    }

    async fn get(&self, request: Request<GetRequest>) -> Reply<GetResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let value = self.map().get(&(req.namespace, req.key.clone())).cloned();
        let value =
            value.ok_or_else(|| Status::not_found(format!("key {:?} not found", req.key)))?;
        reply(GetResponse { value })
    }

    async fn delete(&self, request: Request<DeleteRequest>) -> Reply<DeleteResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let found = self.map().remove(&(req.namespace, req.key)).is_some();
        reply(DeleteResponse { found })
    }

    async fn exists(&self, request: Request<ExistsRequest>) -> Reply<ExistsResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let exists = self.map().contains_key(&(req.namespace, req.key));
        reply(ExistsResponse { exists })
    }
}
