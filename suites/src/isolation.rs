//! Namespace isolation under shared prefixes, for every interface.
//!
//! A plugin that files data under `namespace + ":" + name`, scans a namespace with an unescaped
//! `LIKE 'ns%'` or a Redis glob `ns*`, or cuts the namespace short, keeps unrelated namespaces apart
//! and still mixes up namespaces where one is a prefix of another. Each interface therefore has a
//! case named `prefix_namespaces_are_isolated` that works in a *family* of namespaces: the case's
//! own namespace `ns` and `nsb`, `ns:`, `ns%`, `ns_`, `ns*`, `ns}` (so also siblings such as `ns_` and
//! `nsb`, which `LIKE 'ns_%'` confuses), writing the same names in each.
//!
//! Naming scheme: every case that pins namespace isolation has `isolated` in its name:
//! `namespaces_are_isolated` (and `<what>_is_namespace_isolated`) against an unrelated namespace,
//! `prefix_namespaces_are_isolated` against the family, so `cargo test -- --list | grep isolat`
//! lists at least one per backend x interface.
//!
//! For stateful interfaces, [`check`] drives a [`Probe`]: it writes in `ns` only and reads every
//! namespace of the family, then writes the same names with other data in every other namespace and
//! reads them all again, then erases (or otherwise changes) in `ns` and reads them all once more. Every read must show
//! exactly what was written in that namespace.

use std::fmt::Debug;
use std::future::Future;

use futures_util::future::try_join_all;
use prism_suite::{Case, CaseError, CaseResult, Site};

/// What is appended to the case's namespace to make the rest of the family: characters that
/// separators, SQL `LIKE`, Redis globs and hash tags give a meaning to, and a plain letter.
pub(crate) const SUFFIXES: &[&str] = &["b", ":", "%", "_", "*", "}"];

/// The case's namespace, then every namespace it is a prefix of (one per [`SUFFIXES`] entry).
///
/// No other case uses these: they all extend this case's own, unique, namespace.
pub(crate) fn family(cx: &Case) -> Vec<String> {
    let base = cx.namespace();
    std::iter::once(base.to_owned())
        .chain(SUFFIXES.iter().map(|s| format!("{base}{s}")))
        .collect()
}

/// How a namespace of the family is named in failure messages: by its suffix.
pub(crate) fn label(cx: &Case, ns: &str) -> String {
    match ns.strip_prefix(cx.namespace()) {
        Some("") => "the case's namespace `ns`".to_owned(),
        Some(suffix) => format!("namespace `ns{suffix}`"),
        None => format!("namespace {ns:?}"),
    }
}

/// What an isolation case does in one namespace of the family, for [`check`].
///
/// `tag` is the namespace's position in the family: data written with it must differ from the
/// data of every other tag, under the same names (keys, queues, topics, collections, ids).
pub(crate) trait Probe: Sync {
    /// What the reads of one namespace answer, compared with [`Probe::expected`].
    type View: Debug + PartialEq + Send;

    /// Writes the data of `tag` in `ns`.
    fn write(&self, cx: &Case, ns: &str, tag: usize) -> impl Future<Output = CaseResult> + Send;

    /// Reads `ns` back, without changing it: [`check`] reads the family's namespaces at once.
    fn view(
        &self,
        cx: &Case,
        ns: &str,
    ) -> impl Future<Output = Result<Self::View, CaseError>> + Send;

    /// What [`Probe::view`] must answer when `ns` holds the data of `tag`, or nothing (`None`).
    fn expected(&self, tag: Option<usize>) -> Self::View;

    /// Erases in `ns` what [`Probe::write`] wrote there with `tag` (delete, pop, drop, ...), or,
    /// where the interface cannot erase, changes it.
    fn change(&self, cx: &Case, ns: &str, tag: usize) -> impl Future<Output = CaseResult> + Send;

    /// What [`Probe::view`] must answer in a namespace after [`Probe::change`] with `tag`: by
    /// default nothing, as after an erase.
    fn changed(&self, tag: usize) -> Self::View {
        let _ = tag;
        self.expected(None)
    }
}

/// Writes, overwrites and erases across the family with `probe`, checking after each step that
/// every namespace shows exactly its own data.
#[track_caller]
pub(crate) fn check<'a, P: Probe>(
    cx: &'a Case,
    probe: &'a P,
) -> impl Future<Output = CaseResult> + Send + 'a {
    let at = Site::caller();
    async move {
        let family = family(cx);
        let base = &family[0];

        probe.write(cx, base, 0).await?;
        let mut held: Vec<Option<usize>> = vec![None; family.len()];
        held[0] = Some(0);
        expect_all(cx, probe, &family, &held, "after writing in `ns` only", at).await?;

        for (tag, ns) in family.iter().enumerate().skip(1) {
            probe.write(cx, ns, tag).await?;
            held[tag] = Some(tag);
        }
        expect_all(
            cx,
            probe,
            &family,
            &held,
            "after writing the same names in every namespace",
            at,
        )
        .await?;

        probe.change(cx, base, 0).await?;
        let views: Vec<P::View> = family
            .iter()
            .enumerate()
            .map(|(tag, _)| match tag {
                0 => probe.changed(0),
                _ => probe.expected(Some(tag)),
            })
            .collect();
        expect_views(
            cx,
            probe,
            &family,
            views,
            "after erasing (or changing) in `ns` only",
            at,
        )
        .await
    }
}

/// Checks that each namespace of `family` shows what `held` says it holds.
async fn expect_all<P: Probe>(
    cx: &Case,
    probe: &P,
    family: &[String],
    held: &[Option<usize>],
    step: &str,
    at: Site,
) -> CaseResult {
    let views = held.iter().map(|tag| probe.expected(*tag)).collect();
    expect_views(cx, probe, family, views, step, at).await
}

/// Checks that each namespace of `family` shows the view of the same position in `views`.
async fn expect_views<P: Probe>(
    cx: &Case,
    probe: &P,
    family: &[String],
    views: Vec<P::View>,
    step: &str,
    at: Site,
) -> CaseResult {
    // Views only read, and the namespaces are independent when the plugin is right, so the
    // family is read at once: one view's latency per step instead of seven. Read in turn, the
    // PostgreSQL keyvalue_basic case took 2 s alone and more than its 5 s under the full matrix.
    let got = try_join_all(family.iter().map(|ns| probe.view(cx, ns))).await?;
    for ((ns, expected), got) in family.iter().zip(views).zip(got) {
        if got != expected {
            return Err(CaseError::check_at(
                format!(
                    "{step}, {} does not show its own data alone (family: `ns` + {:?})\n      got: {}\n expected: {}",
                    label(cx, ns),
                    SUFFIXES,
                    prism_suite::error::brief(&got),
                    prism_suite::error::brief(&expected),
                ),
                at,
            ));
        }
    }
    Ok(())
}

/// `name-<tag>`: a value that tells the namespaces apart.
pub(crate) fn tagged(name: &str, tag: usize) -> String {
    format!("{name}-{tag}")
}
