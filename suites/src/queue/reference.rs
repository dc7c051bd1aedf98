//! The queue model of the differential cases (see [`crate::differential`]).

use prism_suite::proto::queue::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::Status;

use crate::differential::Model;

/// Two queues, one beyond ASCII, and the empty name (INVALID_ARGUMENT).
const QUEUES: &[&str] = &["q", "ä", ""];

/// `queue_basic`: Enqueue, Dequeue and Peek on a few queues.
pub(crate) struct Basic;

/// An operation of [`Basic`]; payloads are short byte strings, the empty one included.
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    Enqueue(&'static str, Vec<u8>),
    Dequeue(&'static str),
    Peek(&'static str),
}

/// What an operation of [`Basic`] answered: message ids are the backend's own, so a message is
/// its payload and receive count (1 for Dequeue, 0 for Peek: queue_basic has no other receives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BasicAnswer {
    Enqueued,
    Message {
        payload: Vec<u8>,
        receive_count: u32,
    },
    Empty,
    /// found = true without a message.
    FoundNothing,
}

impl BasicAnswer {
    fn received(found: bool, message: Option<QueueMessage>) -> BasicAnswer {
        match (found, message) {
            (false, _) => BasicAnswer::Empty,
            (true, None) => BasicAnswer::FoundNothing,
            (true, Some(m)) => BasicAnswer::Message {
                payload: m.payload,
                receive_count: m.receive_count,
            },
        }
    }
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let queue = proptest::sample::select(QUEUES);
        let op = prop_oneof![
            2 => (queue.clone(), proptest::collection::vec(any::<u8>(), 0..3))
                .prop_map(|(q, p)| BasicOp::Enqueue(q, p)),
            1 => queue.clone().prop_map(BasicOp::Dequeue),
            1 => queue.prop_map(BasicOp::Peek),
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
        let mut q = side.queue_basic();
        let answer = match op {
            BasicOp::Enqueue(queue, payload) => q
                .enqueue(cx.req_in(
                    ns,
                    EnqueueRequest {
                        queue: (*queue).to_owned(),
                        payload: payload.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| BasicAnswer::Enqueued),
            BasicOp::Dequeue(queue) => q
                .dequeue(cx.req_in(
                    ns,
                    DequeueRequest {
                        queue: (*queue).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| {
                    let r = r.into_inner();
                    BasicAnswer::received(r.found, r.message)
                }),
            BasicOp::Peek(queue) => q
                .peek(cx.req_in(
                    ns,
                    PeekRequest {
                        queue: (*queue).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| {
                    let r = r.into_inner();
                    BasicAnswer::received(r.found, r.message)
                }),
        };
        answer
    }
}
