//! Runs the compliance matrix of the registry and prints it: per backend, per interface.
//!
//! ```text
//! prism-matrix [--registry DIR] [--backend NAME]... [--markdown FILE]
//! ```
//!
//! Exits 1 when a claimed interface fails. With `GITHUB_STEP_SUMMARY` set, the Markdown table is
//! appended to the CI job summary too.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use prism_registry::ClaimStatus;
use prism_suite::catalogue;
use prism_suite::harness::{self, run_case, runtime};
use prism_suite::report::{Cell, Report};

use prism_suites as _;

struct Args {
    registry: PathBuf,
    backends: Vec<String>,
    markdown: Option<PathBuf>,
}

fn args() -> Result<Args, String> {
    let default = prism_registry::locate(env!("CARGO_MANIFEST_DIR").as_ref());
    let mut registry = default;
    let mut backends = Vec::new();
    let mut markdown = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--registry" => registry = Some(PathBuf::from(value()?)),
            "--backend" => backends.push(value()?),
            "--markdown" => markdown = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                return Err(
                    "usage: prism-matrix [--registry DIR] [--backend NAME]... [--markdown FILE]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument `{other}` (see --help)")),
        }
    }
    let registry = registry.ok_or("no registry/backends directory found; pass --registry DIR")?;
    Ok(Args {
        registry,
        backends,
        markdown,
    })
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("prism-matrix: {e}");
            return ExitCode::from(2);
        }
    };
    let registry = match harness::registry(&args.registry) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("prism-matrix: {e}");
            return ExitCode::from(2);
        }
    };
    let report = runtime().block_on(run(&args, &registry));

    print!("{}", report.text());
    for failure in report.failures() {
        eprintln!("\n{failure}");
    }
    let md = report.markdown();
    if let Some(path) = &args.markdown {
        if let Err(e) = std::fs::create_dir_all(path.parent().unwrap_or(path))
            .and_then(|()| std::fs::write(path, &md))
        {
            eprintln!("prism-matrix: cannot write {}: {e}", path.display());
        }
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(summary)
            .and_then(|mut f| f.write_all(md.as_bytes()));
        if let Err(e) = appended {
            eprintln!("prism-matrix: cannot append to GITHUB_STEP_SUMMARY: {e}");
        }
    }
    if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn run(args: &Args, registry: &prism_registry::Registry) -> Report {
    let mut report = Report::default();
    for backend in &registry.backends {
        if !args.backends.is_empty() && !args.backends.contains(&backend.name) {
            continue;
        }
        let plugin = harness::plugin(&args.registry, &backend.name).await;
        for claim in &backend.claims {
            let iface = claim.interface.as_str();
            let cases = catalogue::cases_of(iface);
            let cell = match (&plugin, claim.status) {
                (_, ClaimStatus::Planned) => Some(Cell::Planned),
                (Err(e), _) => Some(Cell::Unavailable(e.clone())),
                _ if cases.is_empty() => Some(Cell::NoSuite),
                (Ok(_), ClaimStatus::Implemented) => None,
            };
            if let Some(cell) = cell {
                report.set(&backend.name, iface, cell);
                continue;
            }
            let Ok(plugin) = &plugin else { continue };
            let mut set = tokio::task::JoinSet::new();
            for case in cases {
                let (plugin, name) = (Arc::clone(plugin), backend.name.clone());
                set.spawn(async move { run_case(&name, &plugin, case).await });
            }
            let mut outcomes = Vec::new();
            while let Some(done) = set.join_next().await {
                match done {
                    Ok(o) => outcomes.push(o),
                    Err(e) => eprintln!("prism-matrix: a case task panicked: {e}"),
                }
            }
            report.ran(&backend.name, iface, &outcomes);
        }
    }
    report
}
