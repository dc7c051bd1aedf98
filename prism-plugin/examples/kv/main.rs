//! A whole Prism plugin: keyvalue_basic over a HashMap.
//!
//! ```sh
//! PRISM_PLUGIN_ADDR=127.0.0.1:4567 cargo run -p prism-plugin --example kv
//! ```

mod store;

use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prism_plugin::run("prism-example-kv", |_cfg| async {
        Ok::<_, prism_plugin::BoxError>(
            prism_plugin::Services::new()
                .add(KeyValueBasicInterfaceServer::new(store::Kv::default())),
        )
    })
    .await
}
