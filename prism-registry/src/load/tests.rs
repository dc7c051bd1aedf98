use super::*;

fn ok(text: &str) -> Backend {
    parse(Path::new("b.yaml"), text).unwrap_or_else(|e| panic!("unexpected errors: {e:?}"))
}

fn errs(text: &str) -> Vec<String> {
    match parse(Path::new("b.yaml"), text) {
        Ok(b) => panic!("expected errors, parsed {b:?}"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn rfc_form() {
    let b = ok("backend: memstore\ndescription: x\nplugin: built-in\nimplements:\n  - keyvalue_basic\n  - keyvalue_ttl\n");
    assert_eq!(b.name, "memstore");
    assert_eq!(
        b.plugin,
        PluginSpec::BuiltIn {
            name: "memstore".into()
        }
    );
    let names: Vec<_> = b
        .claims
        .iter()
        .map(|c| (c.interface.as_str(), c.line))
        .collect();
    assert_eq!(names, [("keyvalue_basic", 5), ("keyvalue_ttl", 6)]);
}

#[test]
fn grouped_form_with_planned() {
    let b = ok("name: redis\nplugin: {command: [redis-plugin, --x], env: {A: 1}}\ninterfaces:\n  keyvalue:\n    - interface: keyvalue_basic\n      status: implemented\n    - interface: keyvalue_cas\n      status: planned\n      reason: later\ncapabilities: {ttl: true}\n");
    assert_eq!(b.claims.len(), 2);
    assert_eq!(b.claims[1].status, ClaimStatus::Planned);
    assert_eq!(b.claims[1].reason.as_deref(), Some("later"));
    let PluginSpec::Process(p) = b.plugin else {
        panic!("process expected")
    };
    assert_eq!(p.command, ["redis-plugin", "--x"]);
    assert_eq!(p.env.get("A").map(String::as_str), Some("1"));
}

#[test]
fn unknown_interface_names_line_and_suggestion() {
    let e =
        errs("backend: m\nplugin: built-in\nimplements:\n  - keyvalue_basic\n  - keyvalue_basik\n");
    assert_eq!(
        e,
        ["b.yaml:5:5: unknown interface `keyvalue_basik`; did you mean `keyvalue_basic`?"]
    );
}

#[test]
fn yaml_syntax_error_has_line() {
    let e = errs("backend: m\nplugin: built-in\nimplements: [keyvalue_basic\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("b.yaml:4:") || e[0].starts_with("b.yaml:3:"),
        "{e:?}"
    );
    assert!(e[0].contains("invalid YAML"), "{e:?}");
}

#[test]
fn interface_listed_twice() {
    let e = errs("backend: m\nplugin: built-in\nimplements:\n  - keyvalue_basic\n  - keyvalue_scan\n  - keyvalue_basic\n");
    assert_eq!(
        e,
        ["b.yaml:6:5: interface `keyvalue_basic` is listed twice (first at line 4)"]
    );
}

#[test]
fn missing_plugin() {
    let e = errs("backend: m\nimplements: [keyvalue_basic]\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("b.yaml:1:1: backend `m` has no way to start its plugin"),
        "{e:?}"
    );
}

#[test]
fn misspelt_fields_suggest_the_valid_name() {
    let e = errs("backend: m\nplugin: built-in\nimplemnts: [keyvalue_basic]\n");
    assert_eq!(
        e[0],
        "b.yaml:3:1: unknown field `implemnts`; did you mean `implements`?"
    );
    let e = errs("backend: m\nplugin:\n  comand: [x]\nimplements: [keyvalue_basic]\n");
    assert!(
        e[0].starts_with("b.yaml:3:3: unknown plugin field `comand`; did you mean `command`?"),
        "{e:?}"
    );
}

#[test]
fn bad_backend_name_and_status() {
    let e = errs("backend: My-Redis\nplugin: built-in\nimplements: [keyvalue_basic]\n");
    assert!(
        e[0].contains("must be snake_case") && e[0].contains("my_redis"),
        "{e:?}"
    );
    let e = errs("backend: m\nplugin: built-in\nimplements:\n  - interface: keyvalue_basic\n    status: planed\n");
    assert_eq!(
        e,
        ["b.yaml:5:13: unknown status `planed`; did you mean `planned`?"]
    );
}

#[test]
fn wrong_model_in_grouped_form() {
    let e = errs("name: m\nplugin: built-in\ninterfaces:\n  keyvalue:\n    - list_basic\n");
    assert_eq!(
        e,
        ["b.yaml:5:7: `list_basic` belongs to the `list` model, not `keyvalue`"]
    );
}

#[test]
fn comments_do_not_confuse_the_locator() {
    let e = errs("# keyvalue_basik is a typo we test\nbackend: m\nplugin: built-in\nimplements:\n  - keyvalue_basik # here\n");
    assert!(e[0].starts_with("b.yaml:5:5:"), "{e:?}");
}

#[test]
fn duplicate_backend_across_files() {
    let dir = std::env::temp_dir().join(format!("prism-registry-dup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("a.yaml"),
        "backend: m\nplugin: built-in\nimplements: [keyvalue_basic]\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("b.yaml"),
        "backend: m\nplugin: built-in\nimplements: [keyvalue_scan]\n",
    )
    .expect("write");
    let e = load_dir(&dir).expect_err("duplicate must fail");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(e.len(), 1);
    assert!(e[0].file.ends_with("b.yaml") && e[0].line == 1, "{e:?}");
    assert!(e[0].message.contains("already declared"), "{e:?}");
}

#[test]
fn empty_implements_claims_nothing() {
    let b = ok("backend: fresh\nplugin: built-in\nimplements:\n  # keyvalue, soon\n");
    assert!(b.claims.is_empty());
}

const REDIS_INSTANCE: &str = r#"backend: redis
plugin: { command: [redis-plugin] }
implements: [keyvalue_basic]
instance:
  url: "redis://${HOST}:${PORT}"
  docker: { image: "redis:7", port: 6379, ready_log: "Ready to accept connections" }
  native:
    command: ["redis-server", "--port", "${PORT}", "--save", "", "--dir", "${DIR}"]
    ready_log: Ready to accept connections
  startup_timeout_ms: 20000
"#;

#[test]
fn instance_section() {
    let b = ok(REDIS_INSTANCE);
    let i = b.instance.expect("instance parsed");
    assert_eq!(i.url, "redis://${HOST}:${PORT}");
    assert_eq!(i.startup_timeout_ms, 20_000);
    assert_eq!(
        i.ports,
        [PortSpec {
            name: "main".into(),
            container: ContainerPort::Fixed(6379)
        }]
    );
    assert_eq!(i.ready, [WaitFor::Port("main".into())]);
    let log = [WaitFor::Log("Ready to accept connections".into())];
    assert_eq!(i.docker_ready(), log);
    assert_eq!(i.native_ready(), log);
    let d = i.docker.expect("docker");
    assert_eq!(d.image, "redis:7");
    assert!(d.args.is_empty() && d.env.is_empty());
    let n = i.native.expect("native");
    assert_eq!(n.command[0], "redis-server");
    assert_eq!(n.command[4], "", "an empty argument stays an argument");
    assert!(n.init.is_empty() && n.env.is_empty() && n.setup.is_none());
}

#[test]
fn instance_defaults() {
    let b = ok("backend: pg\nplugin: { command: [pg-plugin] }\nimplements: [keyvalue_basic]\ninstance:\n  url: postgres://${HOST}:${PORT}/db\n  native: { command: \"postgres -p ${PORT}\" }\n");
    let i = b.instance.expect("instance");
    assert_eq!(i.native_ready(), [WaitFor::Port("main".into())]);
    assert_eq!(i.ports[0].container, ContainerPort::SameAsHost);
    assert_eq!(i.startup_timeout_ms, DEFAULT_INSTANCE_TIMEOUT_MS);
    assert!(i.docker.is_none());
    let n = i.native.expect("native");
    assert_eq!(n.command, ["postgres", "-p", "${PORT}"]);
    assert_eq!(n.ready, None);
    assert_eq!(
        ok("backend: m\nplugin: built-in\nimplements: [keyvalue_basic]\n").instance,
        None
    );
}

#[test]
fn misspelt_instance_fields_are_errors_with_the_line() {
    let text = REDIS_INSTANCE.replace("port: 6379", "prot: 6379");
    let e = errs(&text);
    assert_eq!(
        e[0],
        "b.yaml:6:31: unknown docker field `prot`; did you mean `port`?"
    );
    let text = REDIS_INSTANCE.replace("    ready_log: Ready", "    ready_logs: Ready");
    assert_eq!(
        errs(&text),
        ["b.yaml:9:5: unknown native field `ready_logs`; did you mean `ready_log`?"]
    );
    let text = REDIS_INSTANCE.replace("  startup_timeout_ms", "  startup_timeout");
    assert_eq!(
        errs(&text),
        ["b.yaml:10:3: unknown instance field `startup_timeout`; did you mean `startup_timeout_ms`?"]
    );
    let e = errs(
        "backend: m\nplugin: { command: [p] }\nimplements: [keyvalue_basic]\ninstanse:\n  url: x\n",
    );
    assert_eq!(
        e,
        ["b.yaml:4:1: unknown field `instanse`; did you mean `instance`?"]
    );
}

#[test]
fn incomplete_instance_sections() {
    let e = errs("backend: m\nplugin: { command: [p] }\nimplements: [keyvalue_basic]\ninstance:\n  docker: { image: x, port: 1 }\n");
    assert!(
        e[0].starts_with("b.yaml:4:1: `instance` needs `url:"),
        "{e:?}"
    );
    let e = errs("backend: m\nplugin: { command: [p] }\nimplements: [keyvalue_basic]\ninstance:\n  url: x\n  docker: { image: x }\n");
    assert!(
        e[0].starts_with("b.yaml:6:3: `docker` needs `port:"),
        "{e:?}"
    );
    let e = errs("backend: m\nplugin: { command: [p] }\nimplements: [keyvalue_basic]\ninstance:\n  url: x\n  native: { command: [] }\n");
    assert!(
        e[0].starts_with("b.yaml:6:13: `native` needs `command:"),
        "{e:?}"
    );
    let e =
        errs("backend: m\nplugin: built-in\nimplements: [keyvalue_basic]\ninstance:\n  url: x\n");
    assert!(e[0].contains("cannot receive it"), "{e:?}");
}

const POSTGRES_INSTANCE: &str = r#"backend: pg
plugin: { command: [pg-plugin] }
implements: [keyvalue_basic]
instance:
  url: "postgres://postgres@${HOST}:${PORT}/prism"
  ports: { main: 5432, metrics: same }
  ready:
    - log: "database system is ready to accept connections"
    - port: main
    - command: ["pg_isready", "-h", "${HOST}", "-p", "${PORT}"]
    - probe: { port: metrics, send: "PING\r\n", expect: "+PONG" }
  setup:
    - ["psql", "-h", "${HOST}", "-c", "CREATE DATABASE prism"]
  docker:
    image: "postgres:16"
    args: [postgres, -c, fsync=off]
    env: { POSTGRES_HOST_AUTH_METHOD: trust }
    setup: []
  native:
    init: [["initdb", "-D", "${DIR}/data"]]
    command: ["postgres", "-D", "${DIR}/data", "-p", "${PORT}"]
    env: { LC_ALL: C }
    ready: [{ port: main }]
"#;

#[test]
fn instance_v2_ports_ready_setup_and_overrides() {
    let i = ok(POSTGRES_INSTANCE).instance.expect("instance");
    assert_eq!(
        i.ports,
        [
            PortSpec {
                name: "main".into(),
                container: ContainerPort::Fixed(5432)
            },
            PortSpec {
                name: "metrics".into(),
                container: ContainerPort::SameAsHost
            }
        ]
    );
    assert_eq!(
        i.ready,
        [
            WaitFor::Log("database system is ready to accept connections".into()),
            WaitFor::Port("main".into()),
            WaitFor::Command(vec![
                "pg_isready".into(),
                "-h".into(),
                "${HOST}".into(),
                "-p".into(),
                "${PORT}".into()
            ]),
            WaitFor::Probe {
                port: "metrics".into(),
                send: b"PING\r\n".to_vec(),
                expect: b"+PONG".to_vec()
            },
        ]
    );
    assert_eq!(i.setup.len(), 1);
    assert_eq!(i.docker_ready(), i.ready.as_slice());
    assert!(
        i.docker_setup().is_empty(),
        "docker's `setup: []` replaces the instance's"
    );
    assert_eq!(i.native_setup(), i.setup.as_slice());
    assert_eq!(i.native_ready(), [WaitFor::Port("main".into())]);
    let n = i.native.expect("native");
    assert_eq!(
        n.init,
        [vec!["initdb".to_owned(), "-D".into(), "${DIR}/data".into()]]
    );
    assert_eq!(n.env.get("LC_ALL").map(String::as_str), Some("C"));
    let d = i.docker.expect("docker");
    assert_eq!(d.args, ["postgres", "-c", "fsync=off"]);
}

#[test]
fn instance_v2_mistakes() {
    let text = POSTGRES_INSTANCE.replace("    - port: main", "    - prot: main");
    let e = errs(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("unknown ready condition `prot`; did you mean `port`?"),
        "{e:?}"
    );
    let text = POSTGRES_INSTANCE.replace("- port: main", "- port: db");
    let e = errs(&text);
    assert!(
        e[0].contains("names port `db`, which `ports` does not declare (ports: main, metrics)"),
        "{e:?}"
    );
    let text = POSTGRES_INSTANCE.replace("metrics: same", "metrics: sometimes");
    let e = errs(&text);
    assert!(
        e[0].contains("port `metrics` is a container port (1-65535) or `same`"),
        "{e:?}"
    );
    let text = POSTGRES_INSTANCE.replace("    args:", "    port: 5432\n    args:");
    let e = errs(&text);
    assert!(e[0].contains("not both"), "{e:?}");
    let text = POSTGRES_INSTANCE.replace("    init:", "    inti:");
    let e = errs(&text);
    assert!(
        e[0].contains("unknown native field `inti`; did you mean `init`?"),
        "{e:?}"
    );
    let text = POSTGRES_INSTANCE.replace("  setup:\n    - [", "  setup:\n    - 3\n    - [");
    let e = errs(&text);
    assert!(e[0].contains("`setup` is a list of commands"), "{e:?}");
}

#[test]
fn builtin_plugin_forms() {
    let b = ok("backend: mem2\nplugin: { builtin: memstore }\nimplements: [keyvalue_basic]\n");
    assert_eq!(
        b.plugin,
        PluginSpec::BuiltIn {
            name: "memstore".into()
        }
    );
    let e = errs("backend: mem2\nplugin: prism-meilisearch:v1.0.0\nimplements: [keyvalue_basic]\n");
    assert!(
        e[0].starts_with(
            "b.yaml:2:1: `plugin: prism-meilisearch:v1.0.0` names no way to start the plugin"
        ),
        "{e:?}"
    );
}
