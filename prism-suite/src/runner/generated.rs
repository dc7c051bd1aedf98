//! What generated tests call: one runner per test process and registry, a case by name, its
//! failure as the test's error. Generated tests run with the registry compiled into the test
//! binary ([`EmbeddedRegistry`]) and never read its directory.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Runner, RunnerError};
use crate::catalogue;
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
    let runner = runner_of(registry)
        .map_err(|e| TestFailure(format!("case {} failed\n  runner:    {e}\n", id())))?;
    let Some(def) = catalogue::find(interface, case) else {
        return Err(TestFailure(format!(
            "case {}: no such case in the catalogue (is the suite crate linked in?)",
            id()
        )));
    };
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
