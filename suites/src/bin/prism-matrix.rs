//! The compliance matrix from the command line: run it, list it, validate a registry, plan CI's
//! jobs, and merge a test run's results into a report.
//!
//! ```text
//! prism-matrix run [--backend NAME]... [--interface NAME]... [--registry DIR] [--markdown FILE] [--json FILE] ...
//! prism-matrix list [--cases] [--backend NAME]...
//! prism-matrix validate [DIR]
//! prism-matrix plan [--shape cell|backend] [--partitions N] [--github-output]
//! prism-matrix report --junit FILE... [--libtest-json FILE]... [--format summary|text|markdown|json|junit|html]
//! ```
//!
//! The registry is the one compiled into this binary (`embedded_registry!()` embeds the same files
//! the `compliance` test embeds), so `list` and `plan` describe the tests built from this checkout;
//! `run --registry DIR` and `validate DIR` read a directory instead. `run` and `report` exit 1
//! when a claimed interface failed or (for `report`) reported no result; usage and registry errors
//! exit 2.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use prism_registry::{ClaimStatus, Registry};
use prism_suite::catalogue;
use prism_suite::report::{html, json, junit, markdown, merge, summary, text, RunReport};
use prism_suite::runner::{runtime, Event, RerunTarget, Runner};
use serde::Serialize;

use prism_suites as _;

/// The registry the `compliance` test of this checkout was expanded from (same directory, same
/// `PRISM_REGISTRY_DIR`), so `list` and `plan` describe exactly the tests that were built.
static REGISTRY: prism_suite::EmbeddedRegistry = prism_suite::embedded_registry!();

/// Prints to stdout; a closed pipe (`prism-matrix plan | head`) ends the output quietly rather
/// than with a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = write!(stdout, $($arg)*).and_then(|()| stdout.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

macro_rules! outln {
    ($($arg:tt)*) => {{
        out!($($arg)*);
        out!("\n");
    }};
}

/// The package and test target the compiled-in registry's tests live in.
const PACKAGE: &str = "prism-suites";
const TEST: &str = "compliance";

#[derive(Parser)]
#[command(
    name = "prism-matrix",
    version,
    about = "The interface compliance matrix: run, list, validate, plan, report."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the matrix in this process and print it (exit 1 when a claimed interface fails).
    Run(RunArgs),
    /// List backends, their interfaces and cases, from the compiled-in registry.
    List(ListArgs),
    /// Validate a registry directory: every error as file:line:col, exit 1 on any.
    Validate(ValidateArgs),
    /// Print CI's job matrix as JSON: one cell per backend x implemented interface.
    Plan(PlanArgs),
    /// Merge test results (nextest JUnit, libtest JSON) into the matrix and render it.
    Report(ReportArgs),
}

#[derive(Args)]
struct RunArgs {
    /// Read this registry directory instead of the compiled-in registry.
    #[arg(long, value_name = "DIR")]
    registry: Option<PathBuf>,
    /// Run only this backend (repeatable; default: all).
    #[arg(long = "backend", value_name = "NAME")]
    backends: Vec<String>,
    /// Run only this interface, on every backend that claims it (repeatable; default: all).
    #[arg(long = "interface", value_name = "NAME")]
    interfaces: Vec<String>,
    #[command(flatten)]
    outputs: Outputs,
}

#[derive(Args)]
struct ListArgs {
    /// List only this backend (repeatable).
    #[arg(long = "backend", value_name = "NAME")]
    backends: Vec<String>,
    /// List every case of each interface too.
    #[arg(long)]
    cases: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ValidateArgs {
    /// The registry directory (default: the nearest registry/backends from the current directory).
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct PlanArgs {
    /// One job per backend x interface (`cell`), or per backend split into nextest partitions
    /// (`backend`, for large registries).
    #[arg(long, value_enum, default_value_t = Shape::Cell)]
    shape: Shape,
    /// Partitions per backend with `--shape backend`.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    partitions: u32,
    /// Plan only this backend (repeatable).
    #[arg(long = "backend", value_name = "NAME")]
    backends: Vec<String>,
    /// Also append `matrix=<json>` and `planned=<json>` to the file in $GITHUB_OUTPUT.
    #[arg(long)]
    github_output: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
enum Shape {
    Cell,
    Backend,
}

#[derive(Args)]
struct ReportArgs {
    /// A nextest JUnit file (repeatable; `cargo nextest run --profile ci` writes one).
    #[arg(long, value_name = "FILE")]
    junit: Vec<PathBuf>,
    /// A directory searched recursively for `*.xml` JUnit files (downloaded CI artifacts).
    #[arg(long, value_name = "DIR")]
    junit_dir: Vec<PathBuf>,
    /// A libtest JSON file (`cargo test -- -Z unstable-options --format json`; repeatable).
    #[arg(long, value_name = "FILE")]
    libtest_json: Vec<PathBuf>,
    /// Only these backends' cells (repeatable; default: every backend of the registry).
    #[arg(long = "backend", value_name = "NAME")]
    backends: Vec<String>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Summary)]
    format: Format,
    #[command(flatten)]
    outputs: Outputs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The RFC's summary: `Backend: redis (25/25 interfaces PASS)` ... `Total: ...`.
    Summary,
    /// One line per backend x interface, then every failure in full.
    Text,
    /// The Markdown table with ✅/❌/planned and each failure's rerun command.
    Markdown,
    /// JSON (schema/report.schema.json).
    Json,
    /// JUnit XML.
    Junit,
    /// One self-contained HTML page.
    Html,
}

/// Files every rendering can also be written to.
#[derive(Args)]
struct Outputs {
    /// Write the Markdown table here.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    junit_out: Option<PathBuf>,
    /// Write the HTML page here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the RFC summary here.
    #[arg(long, value_name = "FILE")]
    summary_out: Option<PathBuf>,
}

/// A failure that ends the command with status 2.
#[derive(Debug)]
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let colour = colour_enabled();
    console::set_colors_enabled(colour);
    console::set_colors_enabled_stderr(colour);
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::List(a) => list(a),
        Command::Validate(a) => validate(a),
        Command::Plan(a) => plan(a),
        Command::Report(a) => report(a),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(e)) => {
            eprintln!("prism-matrix: {e}");
            ExitCode::from(2)
        }
    }
}

/// Colour on a terminal unless NO_COLOR is set to anything non-empty (no-color.org).
fn colour_enabled() -> bool {
    let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_colour && std::io::stderr().is_terminal()
}

fn compiled_in() -> Result<&'static Registry, Fatal> {
    Ok(REGISTRY.registry()?)
}

fn check_backends(registry: &Registry, names: &[String]) -> Result<(), Fatal> {
    match names.iter().find(|b| registry.backend(b).is_none()) {
        Some(unknown) => Err(Fatal(format!(
            "no backend `{unknown}` in the registry (it has {})",
            registry
                .backends
                .iter()
                .map(|b| b.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => Ok(()),
    }
}

fn load_dir(dir: &Path) -> Result<Registry, Fatal> {
    prism_registry::load_dir(dir).map_err(|errors| {
        Fatal(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// run

fn run(args: RunArgs) -> Result<ExitCode, Fatal> {
    let builder = match &args.registry {
        Some(dir) => {
            let registry = load_dir(dir)?;
            check_backends(&registry, &args.backends)?;
            Runner::builder().registry(Arc::new(registry))
        }
        None => {
            check_backends(compiled_in()?, &args.backends)?;
            Runner::builder().embedded(&REGISTRY)?
        }
    };
    let progress = Progress::new();
    let runner = builder
        .from_env()?
        .rerun_target(RerunTarget::compliance())
        .subscribe(progress)
        .build();
    let backends: Vec<&str> = args.backends.iter().map(String::as_str).collect();
    let mut plan = runner.plan(&backends);
    if !args.interfaces.is_empty() {
        if let Some(unknown) = args
            .interfaces
            .iter()
            .find(|i| !plan.items.iter().any(|item| &item.interface == *i))
        {
            let among = if args.backends.is_empty() {
                String::new()
            } else {
                format!(" among {}", args.backends.join(", "))
            };
            return Err(Fatal(format!(
                "no backend{among} claims interface `{unknown}`"
            )));
        }
        plan.items
            .retain(|item| args.interfaces.contains(&item.interface));
    }
    let report = runtime().block_on(runner.run(&plan));

    out!("{}", text::matrix(&report));
    eprint!("{}", text::failures(&report));
    args.outputs.write(&report)?;
    append_step_summary(&report);
    Ok(exit(&report))
}

fn exit(report: &RunReport) -> ExitCode {
    ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(1))
}

/// With `GITHUB_STEP_SUMMARY` set (a GitHub Actions step), the Markdown goes into the job summary.
fn append_step_summary(report: &RunReport) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let appended = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(markdown::matrix(report).as_bytes()));
    if let Err(e) = appended {
        eprintln!("prism-matrix: cannot append to GITHUB_STEP_SUMMARY: {e}");
    }
}

impl Outputs {
    fn write(&self, report: &RunReport) -> Result<(), Fatal> {
        let files: [(&Option<PathBuf>, Format); 5] = [
            (&self.markdown, Format::Markdown),
            (&self.json, Format::Json),
            (&self.junit_out, Format::Junit),
            (&self.html, Format::Html),
            (&self.summary_out, Format::Summary),
        ];
        for (path, format) in files {
            let Some(path) = path else { continue };
            let rendered = render(report, format)?;
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Fatal(format!("cannot create {}: {e}", parent.display())))?;
            }
            std::fs::write(path, rendered)
                .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
        }
        Ok(())
    }
}

fn render(report: &RunReport, format: Format) -> Result<String, Fatal> {
    Ok(match format {
        Format::Summary => summary::render(report),
        Format::Text => format!("{}{}", text::matrix(report), text::failures(report)),
        Format::Markdown => markdown::matrix(report),
        Format::Json => json::to_string(report)? + "\n",
        Format::Junit => junit::to_string(report, "prism-matrix")?,
        Format::Html => html::page(report, "Interface compliance"),
    })
}

/// The run's progress on stderr: a bar on a terminal, one line per finished case otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress { bar }
    }
}

impl prism_suite::runner::EventSink for Progress {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::RunStarted { plan } => {
                let cases: usize = plan
                    .items
                    .iter()
                    .map(|i| match &i.work {
                        prism_suite::runner::Work::Cases(c) => c.len(),
                        _ => 0,
                    })
                    .sum();
                if let Some(bar) = &self.bar {
                    bar.set_length(cases as u64);
                } else {
                    eprintln!("running {cases} cases of {} cells", plan.items.len());
                }
            }
            Event::CaseFinished { outcome } => {
                let line = if outcome.passed() {
                    format!("{} {}", console::style("pass").green(), outcome.id)
                } else {
                    format!(
                        "{} {} ({})",
                        console::style("FAIL").red().bold(),
                        outcome.id,
                        outcome.kind().map(|k| k.name()).unwrap_or_default()
                    )
                };
                match &self.bar {
                    Some(bar) => {
                        if !outcome.passed() {
                            bar.println(line);
                        }
                        bar.set_message(outcome.id.to_string());
                        bar.inc(1);
                    }
                    None => eprintln!("{line}"),
                }
            }
            Event::PluginUnavailable { backend, reason } => {
                let line = format!(
                    "{} {backend}: plugin unavailable: {}",
                    console::style("FAIL").red().bold(),
                    reason.lines().next().unwrap_or_default()
                );
                match &self.bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
            Event::RunFinished { .. } => {
                if let Some(bar) = &self.bar {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// list

#[derive(Serialize)]
struct ListedBackend<'a> {
    backend: &'a str,
    description: &'a str,
    file: String,
    interfaces: Vec<ListedInterface<'a>>,
}

#[derive(Serialize)]
struct ListedInterface<'a> {
    interface: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    cases: Vec<&'static str>,
}

fn list(args: ListArgs) -> Result<ExitCode, Fatal> {
    let registry = compiled_in()?;
    check_backends(registry, &args.backends)?;
    let listed: Vec<ListedBackend> = registry
        .backends
        .iter()
        .filter(|b| args.backends.is_empty() || args.backends.contains(&b.name))
        .map(|b| ListedBackend {
            backend: &b.name,
            description: &b.description,
            file: b.file.display().to_string(),
            interfaces: b
                .claims
                .iter()
                .map(|c| ListedInterface {
                    interface: &c.interface,
                    status: match c.status {
                        ClaimStatus::Implemented => "implemented",
                        ClaimStatus::Planned => "planned",
                    },
                    reason: c.reason.as_deref(),
                    cases: catalogue::cases_of(&c.interface)
                        .iter()
                        .map(|d| d.name)
                        .collect(),
                })
                .collect(),
        })
        .collect();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(ExitCode::SUCCESS);
    }
    for b in &listed {
        let implemented = b
            .interfaces
            .iter()
            .filter(|i| i.status == "implemented")
            .count();
        outln!(
            "{} ({}; {implemented}/{} interfaces implemented)",
            console::style(b.backend).bold(),
            b.file,
            b.interfaces.len()
        );
        for i in &b.interfaces {
            let status = match i.status {
                "planned" => console::style("planned").dim().to_string(),
                other => other.to_owned(),
            };
            outln!("  {:<26} {status:<12} {} cases", i.interface, i.cases.len());
            if args.cases {
                for case in &i.cases {
                    outln!("    {}::{}::{case}", b.backend, i.interface);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// validate

fn validate(args: ValidateArgs) -> Result<ExitCode, Fatal> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => {
            let cwd = std::env::current_dir()?;
            prism_registry::locate(&cwd).ok_or_else(|| {
                Fatal(format!(
                    "no registry/backends directory in {} or its parents; pass DIR",
                    cwd.display()
                ))
            })?
        }
    };
    match prism_registry::load_dir(&dir) {
        Ok(registry) => {
            let claims: usize = registry.backends.iter().map(|b| b.claims.len()).sum();
            outln!(
                "{}: {} backends, {claims} claims: valid",
                dir.display(),
                registry.backends.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{}: {e}", console::style("error").red().bold());
            }
            eprintln!("{}: {} error(s)", dir.display(), errors.len());
            Ok(ExitCode::FAILURE)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// plan

#[derive(Serialize)]
struct PlanDoc {
    shape: Shape,
    /// GitHub's `strategy.matrix` (`include` only, so no key becomes a dimension).
    matrix: Matrix,
    planned: Vec<PlannedCell>,
}

#[derive(Serialize)]
struct Matrix {
    include: Vec<Job>,
}

#[derive(Serialize)]
struct Job {
    /// The job's display name.
    name: String,
    backend: String,
    /// Empty for a per-backend job.
    interface: String,
    /// `cargo nextest run -E <filter>`.
    filter: String,
    /// `cargo nextest run --partition <partition>` (empty: none).
    partition: String,
    /// Cases the job runs (the whole backend's for a partitioned job).
    cases: usize,
}

#[derive(Serialize)]
struct PlannedCell {
    backend: String,
    interface: String,
    reason: Option<String>,
}

fn plan(args: PlanArgs) -> Result<ExitCode, Fatal> {
    let registry = compiled_in()?;
    check_backends(registry, &args.backends)?;
    let binary = format!("binary_id({PACKAGE}::{TEST})");
    let mut include = Vec::new();
    let mut planned = Vec::new();
    for b in registry
        .backends
        .iter()
        .filter(|b| args.backends.is_empty() || args.backends.contains(&b.name))
    {
        let mut backend_cases = 0;
        for c in &b.claims {
            match c.status {
                ClaimStatus::Planned => planned.push(PlannedCell {
                    backend: b.name.clone(),
                    interface: c.interface.clone(),
                    reason: c.reason.clone(),
                }),
                ClaimStatus::Implemented => {
                    let cases = catalogue::cases_of(&c.interface).len();
                    backend_cases += cases;
                    if args.shape == Shape::Cell {
                        include.push(Job {
                            name: format!("{} / {}", b.name, c.interface),
                            backend: b.name.clone(),
                            interface: c.interface.clone(),
                            filter: format!("{binary} & test(/^{}::{}::/)", b.name, c.interface),
                            partition: String::new(),
                            cases,
                        });
                    }
                }
            }
        }
        if args.shape == Shape::Backend {
            for p in 1..=args.partitions {
                include.push(Job {
                    name: format!("{} ({p}/{})", b.name, args.partitions),
                    backend: b.name.clone(),
                    interface: String::new(),
                    filter: format!("{binary} & test(/^{}::/)", b.name),
                    partition: format!("hash:{p}/{}", args.partitions),
                    cases: backend_cases,
                });
            }
        }
    }
    let doc = PlanDoc {
        shape: args.shape,
        matrix: Matrix { include },
        planned,
    };
    outln!("{}", serde_json::to_string_pretty(&doc)?);
    if args.github_output {
        let path = std::env::var_os("GITHUB_OUTPUT")
            .filter(|p| !p.is_empty())
            .ok_or_else(|| Fatal("--github-output: GITHUB_OUTPUT is not set".into()))?;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)?;
        writeln!(f, "matrix={}", serde_json::to_string(&doc.matrix)?)?;
        writeln!(f, "planned={}", serde_json::to_string(&doc.planned)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// report

fn report(args: ReportArgs) -> Result<ExitCode, Fatal> {
    let started = Instant::now();
    let registry = compiled_in()?;
    check_backends(registry, &args.backends)?;
    let mut junit_files = args.junit.clone();
    for dir in &args.junit_dir {
        collect_xml(dir, &mut junit_files)?;
    }
    if junit_files.is_empty() && args.libtest_json.is_empty() {
        return Err(Fatal(
            "no results given: pass --junit FILE, --junit-dir DIR or --libtest-json FILE".into(),
        ));
    }
    let mut results = merge::Results::default();
    for path in &junit_files {
        let xml = std::fs::read_to_string(path)
            .map_err(|e| Fatal(format!("cannot read {}: {e}", path.display())))?;
        results.add_junit(&path.display().to_string(), &xml)?;
    }
    for path in &args.libtest_json {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Fatal(format!("cannot read {}: {e}", path.display())))?;
        results.add_libtest_json(&path.display().to_string(), &text)?;
    }
    let only: Vec<&str> = args.backends.iter().map(String::as_str).collect();
    let target = RerunTarget {
        package: PACKAGE.into(),
        test: TEST.into(),
    };
    let report = merge::merge(registry, &only, &results, &target);
    out!("{}", render(&report, args.format)?);
    args.outputs.write(&report)?;
    append_step_summary(&report);
    eprintln!(
        "prism-matrix report: {} results from {} files merged in {} ms",
        results.len(),
        junit_files.len() + args.libtest_json.len(),
        started.elapsed().as_millis()
    );
    Ok(exit(&report))
}

fn collect_xml(dir: &Path, into: &mut Vec<PathBuf>) -> Result<(), Fatal> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Fatal(format!("cannot read {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_xml(&path, into)?;
        } else if path.extension().is_some_and(|e| e == "xml") {
            into.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    /// clap checks the definitions (unique names, valid defaults) only when asked.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "prism-matrix",
            "report",
            "--junit",
            "a.xml",
            "--junit-out",
            "b.xml",
            "--format",
            "html",
        ])
        .expect("parses");
        let Command::Report(r) = cli.command else {
            panic!("not report")
        };
        assert_eq!(r.junit, [PathBuf::from("a.xml")]);
        assert_eq!(r.outputs.junit_out, Some(PathBuf::from("b.xml")));
        assert!(Cli::try_parse_from(["prism-matrix", "plan", "--partitions", "0"]).is_err());
    }
}
