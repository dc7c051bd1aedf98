//! The five sortedset interfaces over Redis sorted sets: one key `{ns}:zset:<key>` per set.
//!
//! Redis orders equal scores by member bytes, as the protos ask. The plugin rejects NaN itself
//! (Redis would too, with a less precise error) and validates lex bounds before Redis sees them.

use prism_plugin::{check, Reply};
use prism_proto::sortedset::sorted_set_basic_interface_server::SortedSetBasicInterface;
use prism_proto::sortedset::sorted_set_lex_interface_server::SortedSetLexInterface;
use prism_proto::sortedset::sorted_set_operations_interface_server::SortedSetOperationsInterface;
use prism_proto::sortedset::sorted_set_range_interface_server::SortedSetRangeInterface;
use prism_proto::sortedset::sorted_set_rank_interface_server::SortedSetRankInterface;
use prism_proto::sortedset::*;
use redis::aio::ConnectionManager;
use tonic::Status;

use super::common::OrStatus;
use crate::{keys, Backend};

const KIND: &str = "zset";

/// The service behind every sortedset interface.
pub(crate) fn service(backend: &Backend) -> SortedSetService {
    SortedSetService {
        backend: backend.clone(),
    }
}

/// Serves every sortedset interface.
#[derive(Clone)]
pub(crate) struct SortedSetService {
    backend: Backend,
}

/// A score as Redis parses it (`+inf`, `-inf`, or a decimal that round-trips exactly).
pub(crate) fn score_arg(score: f64) -> String {
    if score == f64::INFINITY {
        "+inf".to_owned()
    } else if score == f64::NEG_INFINITY {
        "-inf".to_owned()
    } else {
        // Debug prints the shortest decimal that parses back to the same f64.
        format!("{score:?}")
    }
}

/// A score bound of ZRANGEBYSCORE: `(x` when exclusive.
pub(crate) fn score_bound(score: f64, exclusive: bool) -> String {
    let bound = score_arg(score);
    if exclusive {
        format!("({bound}")
    } else {
        bound
    }
}

/// INVALID_ARGUMENT unless `raw` is `-`, `+`, `[x` or `(x`.
pub(crate) fn check_lex_bound(raw: &str) -> Result<(), Status> {
    if raw == "-" || raw == "+" || raw.starts_with('[') || raw.starts_with('(') {
        Ok(())
    } else {
        Err(Status::invalid_argument(format!(
            "lex bound {raw:?} must be `-`, `+`, or start with `[` or `(`"
        )))
    }
}

fn scored(pairs: Vec<(String, f64)>) -> Vec<ScoredMember> {
    pairs
        .into_iter()
        .map(|(member, score)| ScoredMember { member, score })
        .collect()
}

/// LIMIT's count: -1 is "no limit" for Redis.
fn limit_arg(limit: u32) -> i64 {
    if limit == 0 {
        -1
    } else {
        i64::from(limit)
    }
}

impl SortedSetService {
    fn conn(&self) -> ConnectionManager {
        self.backend.conn.clone()
    }

    /// ZUNION / ZINTER over `names` of `ns`, with WEIGHTS and AGGREGATE, WITHSCORES.
    async fn combine(
        &self,
        command: &str,
        ns: &str,
        names: &[String],
        weights: &[f64],
        aggregate: i32,
    ) -> Result<Vec<ScoredMember>, Status> {
        check::operands(names)?;
        check::weights(weights, names.len())?;
        let aggregate = match ScoreAggregate::try_from(aggregate) {
            Ok(ScoreAggregate::Sum) => "SUM",
            Ok(ScoreAggregate::Min) => "MIN",
            Ok(ScoreAggregate::Max) => "MAX",
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "unknown aggregate {aggregate}"
                )))
            }
        };
        let mut cmd = redis::cmd(command);
        cmd.arg(names.len());
        for name in names {
            cmd.arg(keys::key(ns, KIND, name));
        }
        if !weights.is_empty() {
            cmd.arg("WEIGHTS");
            for w in weights {
                cmd.arg(score_arg(*w));
            }
        }
        cmd.arg("AGGREGATE").arg(aggregate).arg("WITHSCORES");
        let pairs: Vec<(String, f64)> = cmd.query_async(&mut self.conn()).await.st()?;
        Ok(scored(pairs))
    }
}

#[prism_plugin::service]
impl SortedSetBasicInterface for SortedSetService {
    async fn add(&self, req: AddRequest) -> Reply<AddResponse> {
        check::non_empty("key", &req.key)?;
        check::non_empty("member", &req.member)?;
        check::not_nan("score", req.score)?;
        let added: i64 = redis::cmd("ZADD")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(score_arg(req.score))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(AddResponse { added: added > 0 })
    }

    async fn remove(&self, req: RemoveRequest) -> Reply<RemoveResponse> {
        check::non_empty("key", &req.key)?;
        check::non_empty("member", &req.member)?;
        let removed: i64 = redis::cmd("ZREM")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(RemoveResponse {
            removed: removed > 0,
        })
    }

    async fn get_score(&self, req: GetScoreRequest) -> Reply<GetScoreResponse> {
        check::non_empty("key", &req.key)?;
        check::non_empty("member", &req.member)?;
        let score: Option<f64> = redis::cmd("ZSCORE")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(&req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        let score = score.ok_or_else(|| {
            Status::not_found(format!(
                "member {:?} of {:?} not found",
                req.member, req.key
            ))
        })?;
        Ok(GetScoreResponse { score })
    }
}

#[prism_plugin::service]
impl SortedSetRangeInterface for SortedSetService {
    async fn get_range(&self, req: GetRangeRequest) -> Reply<GetRangeResponse> {
        check::non_empty("key", &req.key)?;
        let mut cmd = redis::cmd("ZRANGE");
        cmd.arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.start)
            .arg(req.stop);
        if req.reverse {
            cmd.arg("REV");
        }
        cmd.arg("WITHSCORES");
        let pairs: Vec<(String, f64)> = cmd.query_async(&mut self.conn()).await.st()?;
        Ok(GetRangeResponse {
            members: scored(pairs),
        })
    }

    async fn get_range_by_score(
        &self,
        req: GetRangeByScoreRequest,
    ) -> Reply<GetRangeByScoreResponse> {
        check::valid(&req)?;
        let pairs: Vec<(String, f64)> = redis::cmd("ZRANGEBYSCORE")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(score_bound(req.min, req.min_exclusive))
            .arg(score_bound(req.max, req.max_exclusive))
            .arg("WITHSCORES")
            .arg("LIMIT")
            .arg(req.offset)
            .arg(limit_arg(req.limit))
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetRangeByScoreResponse {
            members: scored(pairs),
        })
    }
}

#[prism_plugin::service]
impl SortedSetRankInterface for SortedSetService {
    async fn get_rank(&self, req: GetRankRequest) -> Reply<GetRankResponse> {
        check::non_empty("key", &req.key)?;
        let rank: Option<u64> = redis::cmd("ZRANK")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetRankResponse {
            found: rank.is_some(),
            rank: rank.unwrap_or(0),
        })
    }

    async fn get_reverse_rank(&self, req: GetReverseRankRequest) -> Reply<GetReverseRankResponse> {
        check::non_empty("key", &req.key)?;
        let rank: Option<u64> = redis::cmd("ZREVRANK")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(req.member)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetReverseRankResponse {
            found: rank.is_some(),
            rank: rank.unwrap_or(0),
        })
    }
}

#[prism_plugin::service]
impl SortedSetOperationsInterface for SortedSetService {
    async fn union(&self, req: UnionRequest) -> Reply<UnionResponse> {
        let members = self
            .combine(
                "ZUNION",
                &req.namespace,
                &req.keys,
                &req.weights,
                req.aggregate,
            )
            .await?;
        Ok(UnionResponse { members })
    }

    async fn intersection(&self, req: IntersectionRequest) -> Reply<IntersectionResponse> {
        let members = self
            .combine(
                "ZINTER",
                &req.namespace,
                &req.keys,
                &req.weights,
                req.aggregate,
            )
            .await?;
        Ok(IntersectionResponse { members })
    }
}

#[prism_plugin::service]
impl SortedSetLexInterface for SortedSetService {
    async fn get_range_by_lex(&self, req: GetRangeByLexRequest) -> Reply<GetRangeByLexResponse> {
        check::non_empty("key", &req.key)?;
        check_lex_bound(&req.min)?;
        check_lex_bound(&req.max)?;
        let members: Vec<String> = redis::cmd("ZRANGEBYLEX")
            .arg(keys::key(&req.namespace, KIND, &req.key))
            .arg(&req.min)
            .arg(&req.max)
            .arg("LIMIT")
            .arg(req.offset)
            .arg(limit_arg(req.limit))
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetRangeByLexResponse { members })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_through_their_redis_form() {
        for s in [0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, 0.1 + 0.2, f64::MAX] {
            assert_eq!(score_arg(s).parse::<f64>().expect("parses"), s);
        }
        assert_eq!(score_arg(f64::INFINITY), "+inf");
        assert_eq!(score_arg(f64::NEG_INFINITY), "-inf");
        assert_eq!(score_bound(1.0, true), "(1.0");
    }

    #[test]
    fn lex_bounds_are_checked() {
        for ok in ["-", "+", "[a", "(a", "[", "("] {
            assert!(check_lex_bound(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "-a", "+a"] {
            assert!(check_lex_bound(bad).is_err(), "{bad}");
        }
    }
}
