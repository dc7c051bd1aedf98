//! The list interfaces' probes for [`crate::isolation::check`]: the lists `l` and `:l` in every
//! namespace of the family, the namespace of tag `t` holding `t + 2` values that name it.

use prism_suite::prelude::*;
use prism_suite::proto::list::*;

use crate::isolation::{tagged, Probe};
use crate::list::{bytes, texts};

/// Lists written in every namespace (`:l` in `ns` and `l` in `ns:` are both `ns::l` when joined).
const KEYS: &[&str] = &["l", ":l"];

/// The values of `key` in the namespace of `tag`, head first: more values for higher tags, so that
/// lengths alone tell namespaces apart.
fn values(key: &str, tag: usize) -> Vec<String> {
    (0..tag + 2)
        .map(|i| tagged(&format!("{key}{i}"), tag))
        .collect()
}

/// list_basic PushRight of the values of `tag` to every key.
async fn push_all(cx: &Case, ns: &str, tag: usize) -> CaseResult {
    let mut list = cx.list_basic();
    for key in KEYS {
        let values = values(key, tag);
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let length = list
            .push_right(cx.req_in(
                ns,
                PushRequest {
                    key: (*key).into(),
                    values: bytes(&values),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .length;
        check_eq!(
            length,
            values.len() as u64,
            "PushRight onto {key:?}, absent in this namespace, answered another length"
        );
    }
    Ok(())
}

/// list_basic Length of every key.
async fn lengths(cx: &Case, ns: &str) -> Result<Vec<u64>, CaseError> {
    let mut list = cx.list_basic();
    let mut out = Vec::new();
    for key in KEYS {
        let req = cx.req_in(
            ns,
            LengthRequest {
                key: (*key).into(),
                ..Default::default()
            },
        );
        out.push(list.length(req).await?.into_inner().length);
    }
    Ok(out)
}

/// The lengths a namespace holding `tag` has.
fn expected_lengths(tag: Option<usize>) -> Vec<u64> {
    KEYS.iter()
        .map(|key| tag.map_or(0, |t| values(key, t).len() as u64))
        .collect()
}

/// list_basic: PushRight, Length, PopLeft and PopRight.
pub(crate) struct Basic;

impl Probe for Basic {
    type View = Vec<u64>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        push_all(cx, ns, tag).await
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        lengths(cx, ns).await
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        expected_lengths(tag)
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut list = cx.list_basic();
        for key in KEYS {
            let mut popped = Vec::new();
            for left in [true, false].into_iter().cycle() {
                let req = cx.req_in(
                    ns,
                    PopRequest {
                        key: (*key).into(),
                        ..Default::default()
                    },
                );
                let got = if left {
                    list.pop_left(req).await?.into_inner()
                } else {
                    list.pop_right(req).await?.into_inner()
                };
                if !got.found || popped.len() > 100 {
                    break;
                }
                popped.push(String::from_utf8_lossy(&got.value).into_owned());
            }
            // Popped alternately from the head and the tail: head, tail, second, second last, ...
            let mut own = values(key, tag);
            let mut expected = Vec::new();
            while !own.is_empty() {
                expected.push(own.remove(0));
                if let Some(last) = own.pop() {
                    expected.push(last);
                }
            }
            check_eq!(
                popped,
                expected,
                "values popped from {key:?} in this namespace"
            );
        }
        Ok(())
    }
}

/// list_indexing: Get by index, Set, Insert and Remove.
pub(crate) struct Indexing;

impl Probe for Indexing {
    type View = Vec<Vec<String>>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        push_all(cx, ns, tag).await?;
        let mut list = cx.list_indexing();
        for key in KEYS {
            list.set(cx.req_in(
                ns,
                ListSetRequest {
                    key: (*key).into(),
                    index: -1,
                    value: tagged("set", tag).into_bytes(),
                    ..Default::default()
                },
            ))
            .await?;
            let inserted = list
                .insert(cx.req_in(
                    ns,
                    ListInsertRequest {
                        key: (*key).into(),
                        pivot: tagged("set", tag).into_bytes(),
                        value: tagged("ins", tag).into_bytes(),
                        after: false,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            check!(
                inserted.found,
                "Insert before the value just Set in {key:?} found no pivot"
            );
        }
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut list = cx.list_indexing();
        let mut out = Vec::new();
        for key in KEYS {
            let mut got = Vec::new();
            for index in 0..20 {
                let req = cx.req_in(
                    ns,
                    ListGetRequest {
                        key: (*key).into(),
                        index,
                        ..Default::default()
                    },
                );
                match list.get(req).await {
                    Ok(r) => got.push(String::from_utf8_lossy(&r.into_inner().value).into_owned()),
                    Err(s) if s.code() == Code::OutOfRange => break,
                    Err(s) => return Err(s.into()),
                }
            }
            out.push(got);
        }
        Ok(out)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        KEYS.iter()
            .map(|key| match tag {
                None => Vec::new(),
                Some(t) => {
                    let mut v = values(key, t);
                    v.pop();
                    v.push(tagged("ins", t));
                    v.push(tagged("set", t));
                    v
                }
            })
            .collect()
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut list = cx.list_indexing();
        for key in KEYS {
            let mut own = values(key, tag);
            own.pop();
            own.push(tagged("ins", tag));
            own.push(tagged("set", tag));
            for value in own {
                let removed = list
                    .remove(cx.req_in(
                        ns,
                        ListRemoveRequest {
                            key: (*key).into(),
                            value: value.clone().into_bytes(),
                            count: 0,
                            ..Default::default()
                        },
                    ))
                    .await?
                    .into_inner()
                    .removed;
                check_eq!(
                    removed,
                    1,
                    "Remove of {value:?} from {key:?} in this namespace"
                );
            }
        }
        Ok(())
    }
}

/// list_range: GetRange and Trim.
pub(crate) struct Range;

impl Probe for Range {
    type View = Vec<Vec<String>>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        push_all(cx, ns, tag).await?;
        let mut list = cx.list_range();
        for key in KEYS {
            // Drops the head: what is left names the namespace, and a Trim that reached another
            // namespace's list shows there.
            list.trim(cx.req_in(
                ns,
                TrimRequest {
                    key: (*key).into(),
                    start: 1,
                    stop: -1,
                    ..Default::default()
                },
            ))
            .await?;
        }
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut list = cx.list_range();
        let mut out = Vec::new();
        for key in KEYS {
            let req = cx.req_in(
                ns,
                GetRangeRequest {
                    key: (*key).into(),
                    start: 0,
                    stop: -1,
                    ..Default::default()
                },
            );
            out.push(texts(&list.get_range(req).await?.into_inner().values));
        }
        Ok(out)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        KEYS.iter()
            .map(|key| tag.map_or_else(Vec::new, |t| values(key, t).split_off(1)))
            .collect()
    }

    async fn change(&self, cx: &Case, ns: &str, _tag: usize) -> CaseResult {
        let mut list = cx.list_range();
        for key in KEYS {
            let left = list
                .trim(cx.req_in(
                    ns,
                    TrimRequest {
                        key: (*key).into(),
                        start: 1,
                        stop: 0,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner()
                .length;
            check_eq!(left, 0, "length of {key:?} after a Trim to nothing");
        }
        Ok(())
    }
}
