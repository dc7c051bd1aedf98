//! The four set interfaces over Redis sets: one key `{ns}:set:<key>` per set.
//!
//! Redis answers members in no particular order; the protos ask for byte order, so members are
//! sorted in the plugin.

use prism_plugin::{check, Reply};
use prism_proto::set::set_basic_interface_server::SetBasicInterface;
use prism_proto::set::set_cardinality_interface_server::SetCardinalityInterface;
use prism_proto::set::set_operations_interface_server::SetOperationsInterface;
use prism_proto::set::set_random_interface_server::SetRandomInterface;
use prism_proto::set::*;
use redis::aio::ConnectionManager;
use tonic::Status;

use super::common::{count, OrStatus};
use crate::{keys, Backend};

const KIND: &str = "set";

/// The service behind every set interface.
pub(crate) fn service(backend: &Backend) -> SetService {
    SetService {
        backend: backend.clone(),
    }
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
        check::operands(names)?;
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
        check::positive("count", n.into())?;
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

#[prism_plugin::service]
impl SetBasicInterface for SetService {
    async fn add(&self, req: AddRequest) -> Reply<AddResponse> {
        check::key(&req.key)?;
        let added: i64 = redis::cmd("SADD")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(AddResponse { added: added > 0 })
    }

    async fn remove(&self, req: RemoveRequest) -> Reply<RemoveResponse> {
        check::key(&req.key)?;
        let removed: i64 = redis::cmd("SREM")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(RemoveResponse {
            removed: removed > 0,
        })
    }

    async fn contains(&self, req: ContainsRequest) -> Reply<ContainsResponse> {
        check::key(&req.key)?;
        let contains: bool = redis::cmd("SISMEMBER")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(ContainsResponse { contains })
    }

    async fn get_members(&self, req: GetMembersRequest) -> Reply<GetMembersResponse> {
        check::key(&req.key)?;
        let members: Vec<Vec<u8>> = redis::cmd("SMEMBERS")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetMembersResponse {
            members: sorted(members),
        })
    }
}

#[prism_plugin::service]
impl SetOperationsInterface for SetService {
    async fn union(&self, req: UnionRequest) -> Reply<UnionResponse> {
        let members = self.combine("SUNION", &req.namespace, &req.keys).await?;
        Ok(UnionResponse { members })
    }

    async fn intersection(&self, req: IntersectionRequest) -> Reply<IntersectionResponse> {
        let members = self.combine("SINTER", &req.namespace, &req.keys).await?;
        Ok(IntersectionResponse { members })
    }

    async fn difference(&self, req: DifferenceRequest) -> Reply<DifferenceResponse> {
        let members = self.combine("SDIFF", &req.namespace, &req.keys).await?;
        Ok(DifferenceResponse { members })
    }
}

#[prism_plugin::service]
impl SetCardinalityInterface for SetService {
    async fn get_size(&self, req: GetSizeRequest) -> Reply<GetSizeResponse> {
        check::key(&req.key)?;
        let size: i64 = redis::cmd("SCARD")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetSizeResponse { size: count(size) })
    }

    async fn is_member(&self, req: IsMemberRequest) -> Reply<IsMemberResponse> {
        check::key(&req.key)?;
        let is_member: bool = redis::cmd("SISMEMBER")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(IsMemberResponse { is_member })
    }
}

#[prism_plugin::service]
impl SetRandomInterface for SetService {
    async fn get_random_member(
        &self,
        req: GetRandomMemberRequest,
    ) -> Reply<GetRandomMemberResponse> {
        // A positive count makes SRANDMEMBER answer distinct members.
        let members = self
            .random("SRANDMEMBER", &req.namespace, &req.key, req.count)
            .await?;
        Ok(GetRandomMemberResponse { members })
    }

    async fn pop_random_member(
        &self,
        req: PopRandomMemberRequest,
    ) -> Reply<PopRandomMemberResponse> {
        let members = self
            .random("SPOP", &req.namespace, &req.key, req.count)
            .await?;
        Ok(PopRandomMemberResponse { members })
    }
}
