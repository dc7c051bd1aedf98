//! The stream model of the differential cases (see [`crate::differential`]).

use prism_suite::proto::stream::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::wait::collect;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::Status;

use crate::differential::Model;

/// Two streams and the empty name (INVALID_ARGUMENT).
const STREAMS: &[&str] = &["s", "t", ""];
/// Read positions: negative (INVALID_ARGUMENT), the start, inside, the next offset and beyond it
/// (OUT_OF_RANGE) for the short streams a sequence makes.
const FROM: &[i64] = &[0, 1, 2, 4, -1];
/// Read limits, 0 meaning all.
const MAX: &[u32] = &[0, 1, 2];

/// `stream_basic`: Append, Read and GetLatestOffset. Timestamps are the server's, so only offsets
/// and payloads are compared.
pub(crate) struct Basic;

/// An operation of [`Basic`].
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    Append(&'static str, Vec<u8>),
    Read(&'static str, i64, u32),
    Latest(&'static str),
}

/// What an operation of [`Basic`] answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BasicAnswer {
    Offset(i64),
    Records(Vec<(i64, Vec<u8>)>),
    Latest(i64),
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let stream = proptest::sample::select(STREAMS);
        let op = prop_oneof![
            (stream.clone(), proptest::collection::vec(any::<u8>(), 0..3))
                .prop_map(|(s, p)| BasicOp::Append(s, p)),
            (
                stream.clone(),
                proptest::sample::select(FROM),
                proptest::sample::select(MAX)
            )
                .prop_map(|(s, f, m)| BasicOp::Read(s, f, m)),
            stream.prop_map(BasicOp::Latest),
        ];
        proptest::collection::vec(op, 1..16)
    }

    async fn apply<S: InterfaceClients<Channel = CaseChannel> + Sync>(
        &self,
        cx: &Case,
        side: &S,
        ns: &str,
        _state: &mut (),
        op: &BasicOp,
    ) -> Result<BasicAnswer, Status> {
        let mut streams = side.stream_basic();
        let answer = match op {
            BasicOp::Append(stream, payload) => streams
                .append(cx.req_in(
                    ns,
                    AppendRequest {
                        stream: (*stream).to_owned(),
                        payload: payload.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Offset(r.into_inner().offset)),
            BasicOp::Read(stream, from, max) => {
                let read = streams
                    .read(cx.req_in(
                        ns,
                        ReadRequest {
                            stream: (*stream).to_owned(),
                            from_offset: *from,
                            max: *max,
                            ..Default::default()
                        },
                    ))
                    .await;
                match read {
                    Ok(records) => collect(records.into_inner()).await.map(|records| {
                        BasicAnswer::Records(
                            records.into_iter().map(|r| (r.offset, r.payload)).collect(),
                        )
                    }),
                    Err(status) => Err(status),
                }
            }
            BasicOp::Latest(stream) => streams
                .get_latest_offset(cx.req_in(
                    ns,
                    GetLatestOffsetRequest {
                        stream: (*stream).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Latest(r.into_inner().latest_offset)),
        };
        answer
    }
}
