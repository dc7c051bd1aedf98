//! The four set interfaces over Redis sets: one key `{ns}:set:<key>` per set.
//!
//! Redis answers members in no particular order; the protos ask for byte order, so members are
//! sorted in the plugin.

use prism_plugin::Services;
use prism_plugin::{check, Reply};
use prism_proto::set::set_basic_interface_server::{SetBasicInterface, SetBasicInterfaceServer};
use prism_proto::set::set_cardinality_interface_server::{
    SetCardinalityInterface, SetCardinalityInterfaceServer,
};
use prism_proto::set::set_operations_interface_server::{
    SetOperationsInterface, SetOperationsInterfaceServer,
};
use prism_proto::set::set_random_interface_server::{SetRandomInterface, SetRandomInterfaceServer};
use prism_proto::set::*;
use redis::aio::ConnectionManager;
use tonic::{Request, Response, Status};

use super::common::{count, OrStatus};
use crate::{keys, Backend};

const KIND: &str = "set";

/// Adds the set services to `router`.
pub(crate) fn add_services(services: Services, backend: &Backend) -> Services {
    let svc = SetService {
        backend: backend.clone(),
    };
    services
        .add(SetBasicInterfaceServer::new(svc.clone()))
        .add(SetOperationsInterfaceServer::new(svc.clone()))
        .add(SetCardinalityInterfaceServer::new(svc.clone()))
        .add(SetRandomInterfaceServer::new(svc))
}

/// Serves every set interface.
#[derive(Clone)]
pub(crate) struct SetService {
    backend: Backend,
}

impl SetService {
    fn conn(&self) -> ConnectionManager {
        self.backend.conn.clone()
    }

    /// Runs `command` (SUNION, SINTER, SDIFF) over `keys` of `ns`; the members in byte order.
    async fn combine(
        &self,
        command: &str,
        ns: &str,
        names: &[String],
    ) -> Result<Vec<Vec<u8>>, Status> {
        if names.is_empty() {
            return Err(Status::invalid_argument("keys must name at least one set"));
        }
        names.iter().try_for_each(|k| check::key(k))?;
        let rkeys: Vec<String> = names.iter().map(|k| keys::key(ns, KIND, k)).collect();
        let members: Vec<Vec<u8>> = redis::cmd(command)
            .arg(rkeys)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(sorted(members))
    }

    /// SRANDMEMBER or SPOP with a positive count.
    async fn random(
        &self,
        command: &str,
        ns: &str,
        key: &str,
        n: u32,
    ) -> Result<Vec<Vec<u8>>, Status> {
        check::key(key)?;
        if n == 0 {
            return Err(Status::invalid_argument("count must be positive"));
        }
        redis::cmd(command)
            .arg(keys::key(ns, KIND, key))
            .arg(n)
            .query_async(&mut self.conn())
            .await
            .st()
    }
}

/// `members` in byte order.
fn sorted(mut members: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    members.sort();
    members
}

#[tonic::async_trait]
impl SetBasicInterface for SetService {
    async fn add(&self, request: Request<AddRequest>) -> Reply<AddResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let added: i64 = redis::cmd("SADD")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(Response::new(AddResponse { added: added > 0 }))
    }

    async fn remove(&self, request: Request<RemoveRequest>) -> Reply<RemoveResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let removed: i64 = redis::cmd("SREM")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(Response::new(RemoveResponse {
            removed: removed > 0,
        }))
    }

    async fn contains(&self, request: Request<ContainsRequest>) -> Reply<ContainsResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let contains: bool = redis::cmd("SISMEMBER")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(Response::new(ContainsResponse { contains }))
    }

    async fn get_members(&self, request: Request<GetMembersRequest>) -> Reply<GetMembersResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let members: Vec<Vec<u8>> = redis::cmd("SMEMBERS")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(Response::new(GetMembersResponse {
            members: sorted(members),
        }))
    }
}

#[tonic::async_trait]
impl SetOperationsInterface for SetService {
    async fn union(&self, request: Request<UnionRequest>) -> Reply<UnionResponse> {
        let req = request.into_inner();
        let members = self.combine("SUNION", &req.namespace, &req.keys).await?;
        Ok(Response::new(UnionResponse { members }))
    }

    async fn intersection(
        &self,
        request: Request<IntersectionRequest>,
    ) -> Reply<IntersectionResponse> {
        let req = request.into_inner();
        let members = self.combine("SINTER", &req.namespace, &req.keys).await?;
        Ok(Response::new(IntersectionResponse { members }))
    }

    async fn difference(&self, request: Request<DifferenceRequest>) -> Reply<DifferenceResponse> {
        let req = request.into_inner();
        let members = self.combine("SDIFF", &req.namespace, &req.keys).await?;
        Ok(Response::new(DifferenceResponse { members }))
    }
}

#[tonic::async_trait]
impl SetCardinalityInterface for SetService {
    async fn get_size(&self, request: Request<GetSizeRequest>) -> Reply<GetSizeResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let size: i64 = redis::cmd("SCARD")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(Response::new(GetSizeResponse { size: count(size) }))
    }

    async fn is_member(&self, request: Request<IsMemberRequest>) -> Reply<IsMemberResponse> {
        let req = request.into_inner();
        check::key(&req.key)?;
        let is_member: bool = redis::cmd("SISMEMBER")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(Response::new(IsMemberResponse { is_member }))
    }
}

#[tonic::async_trait]
impl SetRandomInterface for SetService {
    async fn get_random_member(
        &self,
        request: Request<GetRandomMemberRequest>,
    ) -> Reply<GetRandomMemberResponse> {
        let req = request.into_inner();
        // A positive count makes SRANDMEMBER answer distinct members.
        let members = self
            .random("SRANDMEMBER", &req.namespace, &req.key, req.count)
            .await?;
        Ok(Response::new(GetRandomMemberResponse { members }))
    }

    async fn pop_random_member(
        &self,
        request: Request<PopRandomMemberRequest>,
    ) -> Reply<PopRandomMemberResponse> {
        let req = request.into_inner();
        let members = self
            .random("SPOP", &req.namespace, &req.key, req.count)
            .await?;
        Ok(Response::new(PopRandomMemberResponse { members }))
    }
}
