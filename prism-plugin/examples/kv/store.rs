// keyvalue_basic over a HashMap: the smallest honest implementation of an interface, shared by the
// crate's doc examples and `examples/kv/main.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use prism_plugin::{check, Reply};
use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterface;
use prism_proto::keyvalue::*;
use tonic::Status;

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

// Methods on messages: `service` writes tonic's Request/Response wrapping.
#[prism_plugin::service]
impl KeyValueBasicInterface for Kv {
    async fn set(&self, req: SetRequest) -> Reply<SetResponse> {
        check::key(&req.key)?;
        self.map().insert((req.namespace, req.key), req.value);
        Ok(SetResponse {})
    }

    async fn get(&self, req: GetRequest) -> Reply<GetResponse> {
        check::key(&req.key)?;
        let value = self.map().get(&(req.namespace, req.key.clone())).cloned();
        let value =
            value.ok_or_else(|| Status::not_found(format!("key {:?} not found", req.key)))?;
        Ok(GetResponse { value })
    }

    async fn delete(&self, req: DeleteRequest) -> Reply<DeleteResponse> {
        check::key(&req.key)?;
        let found = self.map().remove(&(req.namespace, req.key)).is_some();
        Ok(DeleteResponse { found })
    }

    async fn exists(&self, req: ExistsRequest) -> Reply<ExistsResponse> {
        check::key(&req.key)?;
        let exists = self.map().contains_key(&(req.namespace, req.key));
        Ok(ExistsResponse { exists })
    }
}
