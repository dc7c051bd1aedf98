//! Per-case harness overhead: a case run through the runner (fresh channel with RPC tracking,
//! namespace, context, case task, timeout, typed outcome) against the same gRPC calls made raw on
//! a connected client.
//!
//! `cargo run -p prism-suites --example harness_overhead [iterations]` — built in the dev profile,
//! like the tests. The case is `keyvalue_basic::overwrite_value` (Set, Set, Get) on the in-process
//! memstore; the measuring loop runs on a current-thread runtime, as `#[tokio::test]` does.

use std::time::{Duration, Instant};

use std::sync::Arc;

use prism_suite::proto::keyvalue::key_value_basic_interface_client::KeyValueBasicInterfaceClient;
use prism_suite::proto::keyvalue::{GetRequest, SetRequest};
use prism_suite::report::text;
use prism_suite::runner::Runner;
use prism_suite::{catalogue, plugin};

use prism_suites as _;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let registry =
        prism_registry::locate(env!("CARGO_MANIFEST_DIR").as_ref()).expect("registry/backends");
    let case = catalogue::find("keyvalue_basic", "overwrite_value").expect("case is registered");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let registry = prism_registry::load_dir(&registry).expect("registry loads");
    let runner = Runner::builder().registry(Arc::new(registry)).build();
    let memstore = runner
        .backend("memstore")
        .expect("memstore backend")
        .clone();
    rt.block_on(async {
        let plugin = runner.plugin(&memstore).await.expect("memstore plugin");
        let addr = plugin.addr().await.expect("address");
        let mut kv =
            KeyValueBasicInterfaceClient::new(plugin::connect(addr).await.expect("connect"));
        let (mut raw, mut via_harness) = (Vec::new(), Vec::new());
        for i in 0..iterations + 200 {
            let ns = format!("raw-{i}");
            let req = |key: &str, value: &[u8]| SetRequest {
                namespace: ns.clone(),
                key: key.into(),
                value: value.to_vec(),
            };
            let t = Instant::now();
            kv.set(req("k", b"one")).await.expect("set");
            kv.set(req("k", b"two")).await.expect("set");
            let got = kv
                .get(GetRequest {
                    namespace: ns.clone(),
                    key: "k".into(),
                })
                .await
                .expect("get");
            assert_eq!(got.into_inner().value, b"two");
            let raw_time = t.elapsed();

            let t = Instant::now();
            let outcome = runner.run_case(&memstore, case).await;
            let harness_time = t.elapsed();
            assert!(outcome.passed(), "{}", text::failure(&outcome));
            if i >= 200 {
                raw.push(raw_time);
                via_harness.push(harness_time);
            }
        }
        let (raw, via) = (median(raw), median(via_harness));
        println!("iterations:                 {iterations}");
        println!(
            "raw gRPC calls (median):    {:>8.1} us",
            raw.as_secs_f64() * 1e6
        );
        println!(
            "through harness (median):   {:>8.1} us",
            via.as_secs_f64() * 1e6
        );
        println!(
            "harness overhead (median):  {:>8.1} us",
            via.saturating_sub(raw).as_secs_f64() * 1e6
        );
    });
}
