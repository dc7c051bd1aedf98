//! What generated tests call: one runner per test process and registry, a case by name, its
//! failure as the test's error. Generated tests run with the registry compiled into the test
//! binary ([`EmbeddedRegistry`]) and never read its directory.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Runner, RunnerError};
use crate::catalogue::{self, CaseDef};
use crate::outcome::Rerun;
use crate::report::text;
use crate::EmbeddedRegistry;

/// This process's runners, by registry directory (one per `compliance_matrix!()` of the binary).
static RUNNERS: Mutex<Vec<(PathBuf, Runner)>> = Mutex::new(Vec::new());

/// The runner of this process for a registry compiled in, built on first use. Under nextest every
/// test is a process of its own, so this is built once per test: it parses the embedded text and
/// nothing else until a case needs its plugin.
pub(crate) fn runner_of(registry: &'static EmbeddedRegistry) -> Result<Runner, RunnerError> {
    let dir = registry.dir();
    let mut runners = RUNNERS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, runner)) = runners.iter().find(|(d, _)| d == dir) {
        return Ok(runner.clone());
    }
    let runner = Runner::builder().embedded(registry)?.from_env()?.build();
    runners.push((dir.to_path_buf(), runner.clone()));
    Ok(runner)
}

/// The runner of this process for the registry read from `dir` at run time (tools and
/// self-checks; a runner already built for that directory from its compiled-in text is reused).
fn runner_for(dir: &Path) -> Result<Runner, RunnerError> {
    let mut runners = RUNNERS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, runner)) = runners.iter().find(|(d, _)| d == dir) {
        return Ok(runner.clone());
    }
    let registry = prism_registry::load_dir(dir).map_err(|errors| RunnerError::Registry {
        dir: dir.to_path_buf(),
        errors: errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    })?;
    let runner = Runner::builder()
        .registry(Arc::new(registry))
        .from_env()?
        .build();
    runners.push((dir.to_path_buf(), runner.clone()));
    Ok(runner)
}

/// The runner generated tests of the registry at `dir` use (for tools and self-checks that run
/// a named case the way a generated test does).
pub fn generated_runner(dir: &Path) -> Result<Runner, RunnerError> {
    runner_for(dir)
}

/// What every generated test calls: runs the case against the registry compiled into the test
/// binary; its failure, rendered, as the test's error.
pub async fn run_generated(
    registry: &'static EmbeddedRegistry,
    backend: &str,
    interface: &'static str,
    case: &'static str,
) -> Result<(), TestFailure> {
    let id = || format!("{backend}::{interface}::{case}");
    let (runner, def) = prepare(registry, interface, case, &id)?;
    let Some(handle) = runner.backend(backend) else {
        return Err(TestFailure(format!(
            "case {}: backend `{backend}` is not in the registry compiled in from {}",
            id(),
            registry.dir().display()
        )));
    };
    let outcome = runner.run_case(handle, def).await;
    match outcome.failure {
        None => Ok(()),
        Some(_) => Err(TestFailure(text::failure(&outcome))),
    }
}

/// What the test `#[interface_suite]` generates for each case in its own crate calls (the one an
/// editor shows on the case function): the case on every backend of the registry compiled in that
/// implements `interface`, one backend after another, each reported on a line of its own. It
/// fails when any backend fails, or when none implements the interface.
///
/// One backend at a time: `cargo test` already runs many of these tests at once, and the backends
/// of one case all at once would multiply that by the number of backends.
pub fn run_everywhere(
    registry: &'static EmbeddedRegistry,
    test: EverywhereTest,
    interface: &'static str,
    case: &'static str,
) -> Result<(), TestFailure> {
    let id = || format!("{interface}::{case}");
    let rerun = test.rerun(case);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TestFailure(format!("case {}: cannot start a runtime: {e}", id())))?;
    rt.block_on(async {
        let (runner, def) = prepare(registry, interface, case, &id)?;
        let claimants: Vec<_> = runner
            .backends()
            .iter()
            .filter(|b| {
                b.spec()
                    .is_some_and(|s| s.implemented().any(|c| c.interface == interface))
            })
            .collect();
        if claimants.is_empty() {
            return Err(TestFailure(format!(
                "case {}: no backend of the registry compiled in from {} implements {interface}",
                id(),
                registry.dir().display()
            )));
        }
        let mut failures = Vec::new();
        for backend in &claimants {
            let mut outcome = runner.run_case(backend, def).await;
            outcome.rerun = rerun.clone();
            let verdict = if outcome.failure.is_some() {
                failures.push(text::failure(&outcome));
                "FAILED"
            } else {
                "ok"
            };
            println!(
                "{verdict:<6} {} ({} ms)",
                outcome.id,
                outcome.duration.as_millis()
            );
        }
        if failures.is_empty() {
            return Ok(());
        }
        Err(TestFailure(format!(
            "case {} failed on {} of {} backends\n{}",
            id(),
            failures.len(),
            claimants.len(),
            failures.join("\n")
        )))
    })
}

/// Where a test of [`run_everywhere`] is: its failures' rerun commands run that test again.
#[derive(Debug, Clone, Copy)]
pub struct EverywhereTest {
    /// `env!("CARGO_PKG_NAME")` of the crate the test is in.
    pub package: &'static str,
    /// `module_path!()` of the module the test is in.
    pub module: &'static str,
}

impl EverywhereTest {
    /// The commands that run the test of `case` alone: its target is the library when the
    /// module path starts with the package's crate name, else the integration test so named.
    fn rerun(&self, case: &str) -> Rerun {
        let (krate, path) = self.module.split_once("::").unwrap_or((self.module, ""));
        let target = if krate == self.package.replace('-', "_") {
            "--lib".to_owned()
        } else {
            format!("--test {krate}")
        };
        let test = if path.is_empty() {
            case.to_owned()
        } else {
            format!("{path}::{case}")
        };
        let package = self.package;
        Rerun {
            nextest: format!("cargo nextest run -p {package} {target} -E 'test(={test})'"),
            cargo_test: format!("cargo test -p {package} {target} -- --exact {test}"),
        }
    }
}

/// The runner of this process for `registry` and the case's definition, or why there are none.
fn prepare(
    registry: &'static EmbeddedRegistry,
    interface: &'static str,
    case: &'static str,
    id: &dyn Fn() -> String,
) -> Result<(Runner, &'static CaseDef), TestFailure> {
    let runner = runner_of(registry)
        .map_err(|e| TestFailure(format!("case {} failed\n  runner:    {e}\n", id())))?;
    let def = catalogue::find(interface, case).ok_or_else(|| {
        TestFailure(format!(
            "case {}: no such case in the catalogue (is the suite crate linked in?)",
            id()
        ))
    })?;
    Ok((runner, def))
}

/// A failed generated test. Returned rather than panicked, so libtest prints the message alone
/// (`Error: case ... failed ...`): a panic would add a backtrace under `RUST_BACKTRACE=1`, which
/// costs a second or more of symbolisation per failing test process under nextest.
pub struct TestFailure(pub String);

impl fmt::Debug for TestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for TestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Body of the ignored test of a planned interface: running it says so and fails.
pub fn planned(backend: &str, interface: &str) {
    panic!("{backend} declares {interface} as planned: there is nothing to test until it is implemented")
}

/// Checks the compile-time matrix against the catalogue: for every expanded backend x interface,
/// the generated cases are exactly the registered ones.
pub fn check_matrix(expanded: &[(&str, &str, &[&str])]) {
    let mut problems = Vec::new();
    for (backend, interface, generated) in expanded {
        let mut registered: Vec<&str> = catalogue::cases_of(interface)
            .iter()
            .map(|c| c.name)
            .collect();
        let mut generated = generated.to_vec();
        registered.sort_unstable();
        generated.sort_unstable();
        if registered != generated {
            problems.push(format!(
                "{backend}::{interface}: generated {generated:?}, catalogue has {registered:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "compile-time matrix and catalogue disagree:\n{}",
        problems.join("\n")
    );
    assert!(
        expanded.iter().all(|(_, _, cases)| !cases.is_empty()),
        "an expanded interface has no cases: {expanded:?}"
    );
}
