//! Compiles every `.proto` under `proto/` with protox (pure Rust, no `protoc` on the machine) and
//! generates, beside prost's and tonic's output, the glue the harness needs: `Namespaced` for every
//! request type, the interface table, and one typed-client accessor per interface.
//!
//! Adding an interface is adding `proto/prism/interfaces/<model>/<interface>.proto`: nothing here
//! lists files by name. The checks below turn a broken convention into a build error that says which
//! file and what rule, instead of a confusing error in generated code.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use prost_types::field_descriptor_proto::Type;

const ROOT: &str = "proto";

fn main() {
    println!("cargo:rerun-if-changed={ROOT}");
    let files = proto_files(Path::new(ROOT));
    let fds =
        protox::compile(&files, [ROOT]).unwrap_or_else(|e| panic!("proto compile error: {e}"));

    let glue = glue(&fds);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("prism_glue.rs"), glue).expect("write prism_glue.rs");

    tonic_prost_build::configure()
        .compile_fds(fds)
        .unwrap_or_else(|e| panic!("code generation failed: {e}"));
}

fn proto_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

struct Interface {
    name: String,
    model: String,
    service: String,
    rust_service: String,
    methods: Vec<Method>,
}

struct Method {
    name: String,
    namespace_field: i32,
    server_streaming: bool,
}

fn glue(fds: &prost_types::FileDescriptorSet) -> String {
    let mut models = BTreeMap::new();
    let mut interfaces = Vec::new();
    let mut namespaced = Vec::new();
    let messages: BTreeMap<String, &prost_types::DescriptorProto> = fds
        .file
        .iter()
        .flat_map(|f| {
            f.message_type
                .iter()
                .map(move |m| (format!(".{}.{}", f.package(), m.name()), m))
        })
        .collect();

    for file in &fds.file {
        let path = file.name();
        let package = file.package();
        let model = package
            .strip_prefix("prism.interfaces.")
            .filter(|m| !m.contains('.'))
            .unwrap_or_else(|| {
                panic!("{path}: package must be prism.interfaces.<model>, got `{package}`")
            });
        models.insert(model.to_owned(), package.to_owned());
        let interface = Path::new(path)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let [service] = file.service.as_slice() else {
            panic!("{path}: an interface file defines exactly one service");
        };
        let rust_service = snake(service.name());
        if !service.name().ends_with("Interface") || rust_service.contains("__") {
            panic!(
                "{path}: service `{}` must be <Model><Flavor>Interface in UpperCamelCase",
                service.name()
            );
        }
        let mut methods = Vec::new();
        for method in &service.method {
            if method.client_streaming() {
                panic!(
                    "{path}: {}: client streaming is not part of the interface style",
                    method.name()
                );
            }
            let input = method.input_type();
            let msg = messages
                .get(input)
                .unwrap_or_else(|| panic!("{path}: {}: input {input} not found", method.name()));
            let namespace_field = msg
                .field
                .iter()
                .find(|f| f.name() == "namespace" && f.r#type() == Type::String)
                .map(|f| f.number())
                .unwrap_or_else(|| {
                    panic!(
                        "{path}: request {input} of {} has no `string namespace` field",
                        method.name()
                    )
                });
            methods.push(Method {
                name: method.name().to_owned(),
                namespace_field,
                server_streaming: method.server_streaming(),
            });
            let rust_type = format!("{model}::{}", msg.name());
            if !namespaced.contains(&rust_type) {
                namespaced.push(rust_type);
            }
        }
        interfaces.push(Interface {
            name: interface.to_owned(),
            model: model.to_owned(),
            service: format!("{package}.{}", service.name()),
            rust_service,
            methods,
        });
    }
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));

    let mut s = String::new();
    for (model, package) in &models {
        writeln!(
            s,
            "/// Messages, clients and servers of `{package}`.\npub mod {model} {{ include!(concat!(env!(\"OUT_DIR\"), \"/{package}.rs\")); }}"
        )
        .unwrap();
    }
    for ty in &namespaced {
        writeln!(
            s,
            "impl crate::Namespaced for {ty} {{ fn namespace(&self) -> &str {{ &self.namespace }} fn set_namespace(&mut self, ns: &str) {{ ns.clone_into(&mut self.namespace); }} }}"
        )
        .unwrap();
    }
    writeln!(s, "/// Every interface that has a proto, sorted by name.").unwrap();
    writeln!(s, "pub const INTERFACES: &[crate::InterfaceProto] = &[").unwrap();
    for i in &interfaces {
        writeln!(
            s,
            "    crate::InterfaceProto {{ name: {:?}, model: {:?}, service: {:?} }},",
            i.name, i.model, i.service
        )
        .unwrap();
    }
    writeln!(s, "];").unwrap();
    writeln!(
        s,
        "/// Every RPC of every interface, by interface name then in proto order."
    )
    .unwrap();
    writeln!(s, "pub const METHODS: &[crate::MethodProto] = &[").unwrap();
    for i in &interfaces {
        for m in &i.methods {
            writeln!(
                s,
                "    crate::MethodProto {{ interface: {:?}, name: {:?}, path: \"/{}/{}\", namespace_field: {}, server_streaming: {} }},",
                i.name, m.name, i.service, m.name, m.namespace_field, m.server_streaming
            )
            .unwrap();
        }
    }
    writeln!(s, "];").unwrap();
    for i in &interfaces {
        let server = format!("{}Server", camel(&i.rust_service));
        let module = format!("{}::{}_server", i.model, i.rust_service);
        let service_trait = camel(&i.rust_service);
        writeln!(
            s,
            "impl<T: {module}::{service_trait}> crate::InterfaceServer for {module}::{server}<T> {{ const INTERFACE: &'static str = {:?}; fn with_message_limit(self, bytes: usize) -> Self {{ self.max_decoding_message_size(bytes).max_encoding_message_size(bytes) }} }}",
            i.name
        )
        .unwrap();
    }
    writeln!(
        s,
        "/// A typed client per interface, on a channel the implementor provides.\npub trait InterfaceClients {{\n    /// The transport every client is built on: a tonic `Channel`, or a service layered over one.\n    type Channel: tonic::client::GrpcService<tonic::body::Body, ResponseBody = tonic::body::Body>;\n    /// The channel every client is built on.\n    fn channel(&self) -> Self::Channel;"
    )
    .unwrap();
    for i in &interfaces {
        let client = format!("{}Client", camel(&i.rust_service));
        writeln!(
            s,
            "    /// A `{}` client.\n    fn {}(&self) -> {}::{}_client::{client}<Self::Channel> {{ {}::{}_client::{client}::new(self.channel()).max_decoding_message_size(crate::MAX_MESSAGE_BYTES).max_encoding_message_size(crate::MAX_MESSAGE_BYTES) }}",
            i.service, i.name, i.model, i.rust_service, i.model, i.rust_service
        )
        .unwrap();
    }
    writeln!(s, "}}").unwrap();
    s
}

/// `KeyValueBasicInterface` -> `key_value_basic_interface`, as prost names service modules.
fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_upper = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
                if prev_upper {
                    out.push('_'); // flags consecutive capitals, rejected by the caller
                }
            }
            out.push(c.to_ascii_lowercase());
            prev_upper = true;
        } else {
            out.push(c);
            prev_upper = false;
        }
    }
    out
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
