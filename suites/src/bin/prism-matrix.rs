//! Runs the compliance matrix of the registry and prints it: per backend, per interface.
//!
//! ```text
//! prism-matrix [--registry DIR] [--backend NAME]... [--markdown FILE]
//! ```
//!
//! Exits 1 when a claimed interface fails (any failure kind, a panicked or lost case included).
//! With `GITHUB_STEP_SUMMARY` set, the Markdown table is appended to the CI job summary too.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use prism_suite::report::{markdown, text};
use prism_suite::runner::{runtime, RerunTarget, Runner};

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

fn runner(args: &Args) -> Result<Runner, String> {
    let registry = prism_registry::load_dir(&args.registry).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    if let Some(unknown) = args.backends.iter().find(|b| registry.backend(b).is_none()) {
        return Err(format!(
            "no backend `{unknown}` in {}",
            args.registry.display()
        ));
    }
    Ok(Runner::builder()
        .registry(Arc::new(registry))
        .from_env()
        .map_err(|e| e.to_string())?
        .rerun_target(RerunTarget::compliance())
        .build())
}

fn main() -> ExitCode {
    let (args, runner) = match args().and_then(|a| runner(&a).map(|r| (a, r))) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("prism-matrix: {e}");
            return ExitCode::from(2);
        }
    };
    let backends: Vec<&str> = args.backends.iter().map(String::as_str).collect();
    let plan = runner.plan(&backends);
    let report = runtime().block_on(runner.run(&plan));

    print!("{}", text::matrix(&report));
    eprint!("{}", text::failures(&report));
    let md = markdown::matrix(&report);
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
    ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(1))
}
