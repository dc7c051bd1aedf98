//! The runner's outcomes end to end, against the in-process memstore: a panicking case is a
//! failed outcome in every rendering and in the exit code (prism-matrix once dropped it and could
//! print `pass N/N` and exit 0); an interface the plugin does not serve is an RPC failure that
//! says the registry claims it; reporters see every event; every case goes through the connector.

// Shared with the broken_* self-checks; this file uses `serve` only.
#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use prism_suite::catalogue::{self, CaseDef, CaseFuture};
use prism_suite::outcome::{Failure, FailureKind};
use prism_suite::plugin::Plugin;
use prism_suite::report::{json, junit, markdown, text};
use prism_suite::runner::{
    runtime, ConnectFuture, ConnectTarget, Connector, Event, Plan, PlanItem, Runner, Work,
};
use prism_suite::Case;

use prism_suites as _;

fn panics(_cx: &mut Case) -> CaseFuture<'_> {
    Box::pin(async { panic!("a deliberate panic in a case") })
}

/// A case that panics, as a broken suite (or harness) would.
static PANICS: CaseDef = CaseDef {
    interface: "keyvalue_basic",
    name: "panics",
    doc: "A case that panics is a failed case.",
    file: file!(),
    line: line!(),
    timeout_ms: None,
    run: panics,
};

fn runner() -> Runner {
    Runner::builder().build()
}

#[test]
fn a_panicking_case_fails_every_rendering_and_the_exit_code() {
    let runner = runner();
    let memstore = support::serve(&runner, "");
    let mut cases = catalogue::cases_of("keyvalue_basic");
    let real = cases.len();
    cases.push(&PANICS);
    let plan = Plan {
        items: vec![PlanItem {
            backend: memstore,
            interface: "keyvalue_basic".into(),
            work: Work::Cases(cases),
        }],
    };
    let report = runtime().block_on(runner.run(&plan));

    let outcomes: Vec<_> = report.outcomes().collect();
    assert_eq!(
        outcomes.len(),
        real + 1,
        "one outcome per case, the panicked one included"
    );
    let panicked: Vec<_> = report.failures().collect();
    assert_eq!(panicked.len(), 1, "{}", text::failures(&report));
    assert_eq!(panicked[0].id.case, "panics");
    assert_eq!(
        panicked[0].failure,
        Some(Failure::Panic {
            message: "a deliberate panic in a case".into()
        })
    );

    let t = report.totals();
    assert_eq!((t.passed, t.failed), (real, 1));
    assert_eq!(t.by_kind.get(&FailureKind::Panic), Some(&1));
    assert_eq!(
        report.exit_code(),
        1,
        "a run with a panicked case must exit non-zero"
    );

    let matrix = text::matrix(&report);
    assert!(
        matrix.contains(&format!(
            "  keyvalue_basic             FAIL {real}/{} (1 panic)",
            real + 1
        )),
        "{matrix}"
    );
    assert!(!matrix.contains("pass "), "{matrix}");
    assert!(
        matrix.ends_with(&format!("\n{real} passed, 1 failed\n")),
        "{matrix}"
    );
    let md = markdown::matrix(&report);
    assert!(md.contains(&format!("❌ {real}/{}", real + 1)), "{md}");
    assert!(
        md.contains("`variant::keyvalue_basic::panics` (panic)"),
        "{md}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&json::to_string(&report).expect("json")).expect("valid json");
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["totals"]["by_kind"]["panic"], 1);
    let xml = junit::to_string(&report, "prism").expect("junit");
    assert!(xml.contains("type=\"panic\""), "{xml}");
    assert!(xml.contains("errors=\"1\""), "{xml}");
    let message = text::failure(panicked[0]);
    eprintln!("{message}");
    assert!(
        message.contains("  error:     the case panicked: a deliberate panic in a case"),
        "{message}"
    );
}

/// A gRPC server with the health service only: it serves none of the interfaces.
fn serve_nothing() -> Plugin {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    runtime().spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let (_reporter, health) = tonic_health::server::health_reporter();
        tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .expect("serves");
    });
    Plugin::at("a server with the health service only", addr)
}

#[test]
fn an_interface_the_plugin_does_not_serve_is_an_rpc_failure_naming_the_claim() {
    let runner = runner();
    let nothing = runner.attach("nothing", serve_nothing());
    let case = catalogue::find("keyvalue_basic", "set_get_delete").expect("case");
    let outcome = runtime().block_on(runner.run_case(&nothing, case));
    let message = text::failure(&outcome);
    eprintln!("{message}");
    assert_eq!(outcome.kind(), Some(FailureKind::Rpc), "{message}");
    assert!(message.contains("failed with UNIMPLEMENTED"), "{message}");
    assert!(
        message.contains("the plugin does not serve this interface (or this method of it), but the registry claims it"),
        "{message}"
    );
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn record(&self, event: &Event<'_>) {
        let line = match event {
            Event::RunStarted { plan } => format!("run started ({} items)", plan.items.len()),
            Event::CaseStarted { id } => format!("started {id}"),
            Event::CaseFinished { outcome } => format!(
                "finished {} {}",
                outcome.id,
                outcome.kind().map_or("passed", |k| k.name())
            ),
            Event::RunFinished { report } => {
                format!("run finished ({} failed)", report.totals().failed)
            }
            other => format!("{other:?}"),
        };
        self.0.lock().expect("events").push(line);
    }
}

/// Counts the channels it opens, then connects straight to the plugin.
#[derive(Default, Clone)]
struct Counting(Arc<AtomicUsize>);

impl Connector for Counting {
    fn connect<'a>(&'a self, target: ConnectTarget<'a>) -> ConnectFuture<'a> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Box::pin(prism_suite::plugin::connect(target.plugin))
    }
}

#[test]
fn reporters_see_each_case_start_and_finish_and_every_case_goes_through_the_connector() {
    let recorder = Arc::new(Recorder::default());
    let connects = Counting::default();
    let sink = recorder.clone();
    let runner = Runner::builder()
        .subscribe(move |e: &Event<'_>| sink.record(e))
        .connector(connects.clone())
        .build();
    let memstore = support::serve(&runner, "delete_always_found");
    let cases = catalogue::cases_of("keyvalue_basic");
    let plan = Plan {
        items: vec![PlanItem {
            backend: memstore,
            interface: "keyvalue_basic".into(),
            work: Work::Cases(cases.clone()),
        }],
    };
    let report = runtime().block_on(runner.run(&plan));
    let events = recorder.0.lock().expect("events").clone();
    assert_eq!(
        events.first().map(String::as_str),
        Some("run started (1 items)")
    );
    assert_eq!(
        events.last().map(String::as_str),
        Some(format!("run finished ({} failed)", report.totals().failed).as_str())
    );
    for case in &cases {
        let id = format!("variant::keyvalue_basic::{}", case.name);
        let started = events.iter().position(|e| *e == format!("started {id}"));
        let finished = events
            .iter()
            .position(|e| e.starts_with(&format!("finished {id} ")));
        assert!(
            matches!((started, finished), (Some(s), Some(f)) if s < f),
            "{id}: {events:#?}"
        );
    }
    assert!(
        events.contains(&"finished variant::keyvalue_basic::delete_non_existent check".to_owned()),
        "{events:#?}"
    );
    assert_eq!(connects.0.load(Ordering::Relaxed), cases.len());
}
