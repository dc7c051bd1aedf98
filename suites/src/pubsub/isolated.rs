//! Namespace isolation of the pubsub interfaces under shared prefixes (see [`crate::isolation`]):
//! a subscriber in every namespace of the family, on the same topic and with the same subscription
//! id or subscriber name; every namespace publishes `msg-<tag>`, then `end-<tag>`; each subscriber
//! must receive exactly its own two messages, in that order.

use prism_suite::prelude::*;
use prism_suite::Site;

use crate::isolation::{label, tagged};
use crate::pubsub::{recv, stays_quiet, Sub};

/// The payloads every namespace publishes, in order: what its subscriber must receive.
pub(crate) fn own_payloads(tag: usize) -> [String; 2] {
    [tagged("msg", tag), tagged("end", tag)]
}

/// Reads each subscriber of `family` (by position) up to its namespace's `end-<tag>`, and checks
/// that it received its own messages alone.
#[track_caller]
pub(crate) fn own_only<'a, S: Sub>(
    cx: &'a Case,
    family: &'a [String],
    subs: &'a mut [S],
) -> impl std::future::Future<Output = CaseResult> + Send + 'a {
    let at = Site::caller();
    async move {
        for (tag, (ns, sub)) in family.iter().zip(subs.iter_mut()).enumerate() {
            let end = tagged("end", tag);
            let mut got = Vec::new();
            while got.len() < 2 * family.len() {
                let message = recv(sub, 1).await?.remove(0);
                let payload = String::from_utf8_lossy(&message.payload).into_owned();
                let done = payload == end;
                got.push(payload);
                if done {
                    break;
                }
            }
            let expected = own_payloads(tag).to_vec();
            if got != expected {
                return Err(CaseError::check_at(
                    format!(
                        "the subscriber in {} received messages of other namespaces\n      got: {got:?}\n expected: {expected:?}",
                        label(cx, ns)
                    ),
                    at,
                ));
            }
        }
        // Every `msg-` was published before any `end-`, so a message leaked on one channel arrived
        // before its end above; one window on `ns`, which every other name extends, catches the rest.
        match subs.first_mut() {
            Some(sub) => stays_quiet(sub, "the subscriber in `ns` after its last message").await,
            None => Ok(()),
        }
    }
}
