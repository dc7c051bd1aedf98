//! The loader, one file at a time: what it reads and every mistake it rejects, with the exact
//! message and the position of the offending node.

use std::path::Path;

use crate::error::ErrorKind;
use crate::model::*;

fn ok(text: &str) -> Backend {
    crate::parse_str(Path::new("b.yaml"), text)
        .unwrap_or_else(|e| panic!("unexpected errors: {e:?}"))
}

fn errs(text: &str) -> Vec<String> {
    match crate::parse_str(Path::new("b.yaml"), text) {
        Ok(b) => panic!("expected errors, parsed {b:?}"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

/// The one error of `text`, its kind and its text.
fn err1(text: &str) -> (ErrorKind, String) {
    match crate::parse_str(Path::new("b.yaml"), text) {
        Ok(b) => panic!("expected an error, parsed {b:?}"),
        Err(e) if e.len() == 1 => (e[0].kind, e[0].to_string()),
        Err(e) => panic!("expected one error, got {e:#?}"),
    }
}

const HEAD: &str = "backend: m\nplugin: built-in\n";

// ---- what loads ----

#[test]
fn rfc_form() {
    let b = ok("backend: memstore\ndescription: x\nplugin: built-in\nimplements:\n  - keyvalue_basic\n  - keyvalue_ttl\n");
    assert_eq!(b.name, "memstore");
    assert_eq!(b.line, 1);
    assert_eq!(
        b.plugin,
        PluginSpec::BuiltIn {
            name: "memstore".into()
        }
    );
    let names: Vec<_> = b
        .claims
        .iter()
        .map(|c| (c.interface.as_str(), c.line, c.column))
        .collect();
    assert_eq!(names, [("keyvalue_basic", 5, 5), ("keyvalue_ttl", 6, 5)]);
}

#[test]
fn grouped_form_with_planned() {
    let b = ok("name: redis\nplugin: {command: [redis-plugin, --x], env: {A: 1}}\ninterfaces:\n  keyvalue:\n    - interface: keyvalue_basic\n      status: implemented\n    - interface: keyvalue_cas\n      status: planned\n      reason: later\ncapabilities: {ttl: true}\n");
    assert_eq!(b.claims.len(), 2);
    assert_eq!(b.claims[1].status, ClaimStatus::Planned);
    assert_eq!(b.claims[1].reason.as_deref(), Some("later"));
    assert_eq!((b.claims[1].line, b.claims[1].column), (7, 18));
    let PluginSpec::Process(p) = b.plugin else {
        panic!("process expected")
    };
    assert_eq!(p.command, ["redis-plugin", "--x"]);
    assert_eq!(p.env.get("A").map(String::as_str), Some("1"));
    assert_eq!(
        b.metadata.get("capabilities"),
        Some(&MetaValue::Map(vec![("ttl".into(), MetaValue::Bool(true))]))
    );
}

#[test]
fn entry_metadata_is_kept_and_notes_are_the_reason() {
    let b = ok("name: pg\nplugin: built-in\ninterfaces:\n  keyvalue:\n    - interface: keyvalue_basic\n      version: 1.0.0\n      status: implemented\n      test_coverage: 100%\n      operations:\n        - Set(key, value, ttl)\n    - interface: keyvalue_batch\n      status: planned\n      notes: |\n        - COPY or multi-row INSERT\n        - Implementation pending\n    - interface: keyvalue_cas\n      status: planned\n      reason: [needs, WATCH]\n");
    let basic = &b.claims[0];
    assert_eq!(
        basic.metadata.get("version"),
        Some(&MetaValue::String("1.0.0".into()))
    );
    assert_eq!(
        basic.metadata.get("operations"),
        Some(&MetaValue::List(vec![MetaValue::String(
            "Set(key, value, ttl)".into()
        )]))
    );
    assert_eq!(
        b.claims[1].reason.as_deref(),
        Some("- COPY or multi-row INSERT\n- Implementation pending")
    );
    assert!(b.claims[1].metadata.contains_key("notes"));
    assert_eq!(b.claims[2].reason.as_deref(), Some("[needs, WATCH]"));
}

#[test]
fn empty_implements_claims_nothing() {
    let b = ok("backend: fresh\nplugin: built-in\nimplements:\n  # keyvalue, soon\n");
    assert!(b.claims.is_empty());
}

#[test]
fn builtin_plugin_under_another_name() {
    let b = ok("backend: mem2\nplugin: { builtin: memstore }\nimplements: [keyvalue_basic]\n");
    assert_eq!(
        b.plugin,
        PluginSpec::BuiltIn {
            name: "memstore".into()
        }
    );
}

#[test]
fn comments_and_quotes_do_not_move_positions() {
    let e = errs("# keyvalue_basik is a typo we test\nbackend: m\nplugin: built-in\nimplements:\n  - keyvalue_basik # here\n");
    assert!(e[0].starts_with("b.yaml:5:5:"), "{e:?}");
    let e =
        errs("backend: m\nplugin: built-in\nimplements: [keyvalue_basic, \"keyvalue_basik\"]\n");
    assert!(e[0].starts_with("b.yaml:3:30:"), "{e:?}");
}

// ---- syntax ----

#[test]
fn yaml_syntax_error_has_line_and_column() {
    let (kind, e) = err1("backend: m\nplugin: built-in\nimplements: [keyvalue_basic\n");
    assert_eq!(kind, ErrorKind::Syntax);
    assert!(e.starts_with("b.yaml:4:1: invalid YAML: "), "{e}");
}

#[test]
fn duplicate_keys_are_syntax_errors() {
    let (kind, e) = err1(
        "backend: m\nplugin: built-in\nimplements: [keyvalue_basic]\nimplements: [keyvalue_scan]\n",
    );
    assert_eq!(kind, ErrorKind::Syntax);
    assert!(e.starts_with("b.yaml:4:1: invalid YAML: "), "{e}");
}

#[test]
fn a_second_document_is_a_syntax_error() {
    let (kind, e) =
        err1("backend: m\nplugin: built-in\nimplements: [keyvalue_basic]\n---\nbackend: n\n");
    assert_eq!(kind, ErrorKind::Syntax);
    assert!(
        e.starts_with("b.yaml:5:1: invalid YAML: a registry file holds one YAML document"),
        "{e}"
    );
}

#[test]
fn an_empty_file_is_an_error() {
    let (kind, e) = err1("# nothing yet\n");
    assert_eq!(kind, ErrorKind::MissingField);
    assert!(e.starts_with("b.yaml:1:1: the file is empty"), "{e}");
    let (kind, _) = err1("[keyvalue_basic]\n");
    assert_eq!(kind, ErrorKind::WrongType);
}

// ---- fields ----

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
fn a_misspelt_field_beside_the_real_one_is_still_an_error() {
    // `implement:` next to `implements:` used to drop its claims without a word.
    assert_eq!(
        err1("backend: m\nplugin: built-in\nimplements: [keyvalue_basic]\nimplement: [keyvalue_ttl]\n"),
        (
            ErrorKind::MisspeltField,
            "b.yaml:4:1: unknown field `implement`; did you mean `implements`?".into()
        )
    );
    assert_eq!(
        err1(&format!("{HEAD}implements:\n  - interface: keyvalue_cas\n    status: planned\n    reasons: later\n")),
        (
            ErrorKind::MisspeltField,
            "b.yaml:6:5: unknown field `reasons` in an interface entry; did you mean `reason`?".into()
        )
    );
}

#[test]
fn unknown_fields_far_from_known_ones_are_metadata() {
    let b = ok(&format!("{HEAD}implements: [keyvalue_basic]\nconnection_string_format: mem://local\nuse_cases: [tests]\n"));
    assert_eq!(
        b.metadata.get("connection_string_format"),
        Some(&MetaValue::String("mem://local".into()))
    );
    assert!(b.metadata.contains_key("use_cases"));
}

#[test]
fn name_given_twice_or_not_a_string() {
    assert_eq!(
        err1("backend: m\nname: m\nplugin: built-in\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:2:1: give the backend's name once: `backend:` or `name:`, not both".into()
        )
    );
    assert_eq!(
        err1("name: [m]\nplugin: built-in\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::WrongType,
            "b.yaml:1:7: `name` is the backend's name, a string, not a list".into()
        )
    );
    assert_eq!(
        err1("plugin: built-in\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::MissingField,
            "b.yaml:1:1: no `backend:` field naming the backend".into()
        )
    );
}

#[test]
fn description_is_text() {
    assert_eq!(
        err1(&format!(
            "{HEAD}description: [a, b]\nimplements: [keyvalue_basic]\n"
        )),
        (
            ErrorKind::WrongType,
            "b.yaml:3:14: `description` is free text, not a list".into()
        )
    );
}

// ---- names ----

#[test]
fn bad_backend_names() {
    let (kind, e) = err1("backend: My-Redis\nplugin: built-in\nimplements: [keyvalue_basic]\n");
    assert_eq!(kind, ErrorKind::BadName);
    assert!(
        e.starts_with("b.yaml:1:10: backend name `My-Redis` must be snake_case")
            && e.contains("try `my_redis`"),
        "{e}"
    );
    let (kind, e) = err1("backend: type\nplugin: built-in\nimplements: [keyvalue_basic]\n");
    assert_eq!(kind, ErrorKind::BadName);
    assert!(e.contains("try `type_backend`"), "{e}");
}

#[test]
fn names_the_generated_code_uses_are_reserved() {
    for name in [
        "prism_suite",
        "std",
        "core",
        "test",
        "matrix_matches_catalogue",
    ] {
        assert_eq!(
            err1(&format!("# a comment\nbackend: {name}\nplugin: built-in\nimplements: [keyvalue_basic]\n")),
            (
                ErrorKind::ReservedName,
                format!("b.yaml:2:10: backend name `{name}` is taken by the generated tests' own code (its module would clash with the crate or item `{name}`): choose another, e.g. `{name}_backend`")
            ),
            "{name}"
        );
    }
}

// ---- plugin ----

#[test]
fn missing_plugin() {
    assert_eq!(
        err1("backend: m\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::NoPlugin,
            "b.yaml:1:1: backend `m` has no way to start its plugin: add `plugin: built-in` or `plugin: { command: [\"path/to/plugin\"] }`".into()
        )
    );
}

#[test]
fn a_bare_string_plugin_is_an_error() {
    assert_eq!(
        err1("backend: meilisearch\nplugin: prism-meilisearch:v1.0.0\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::NoPlugin,
            "b.yaml:2:9: `plugin: prism-meilisearch:v1.0.0` names no way to start the plugin (it reads like an image or package reference; prism-suite starts a plugin from a command it runs): write `plugin: built-in`, `plugin: { builtin: <name> }` or `plugin: { command: [\"path/to/plugin\", args...] }`".into()
        )
    );
    let (kind, e) = err1("backend: m\nplugin:\nimplements: [keyvalue_basic]\n");
    assert_eq!(kind, ErrorKind::NoPlugin);
    assert!(e.contains("`plugin` is nothing"), "{e}");
}

#[test]
fn plugin_sections_are_checked() {
    assert_eq!(
        err1("backend: m\nplugin: { env: { A: b } }\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::MissingField,
            "b.yaml:2:1: a plugin run as a process needs `command: [\"path/to/plugin\", args...]`"
                .into()
        )
    );
    assert_eq!(
        err1("backend: m\nplugin: { command: [] }\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:2:20: `command` is empty: give the program and its arguments, `command: [\"program\", \"arg\"]`".into()
        )
    );
    assert_eq!(
        err1("backend: m\nplugin: { command: [p], startup_timeout_ms: 0 }\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:2:45: `startup_timeout_ms` is a positive number of milliseconds".into()
        )
    );
    assert_eq!(
        err1(
            "backend: m\nplugin: { command: [p], env: { A: [1] } }\nimplements: [keyvalue_basic]\n"
        ),
        (
            ErrorKind::WrongType,
            "b.yaml:2:35: `env` values are strings or numbers, not a list".into()
        )
    );
    assert_eq!(
        err1("backend: m\nplugin: { builtin: memstore, command: [p] }\nimplements: [keyvalue_basic]\n"),
        (
            ErrorKind::UnknownField,
            "b.yaml:2:30: unknown plugin field `command`; valid fields: builtin".into()
        )
    );
}

// ---- claims ----

#[test]
fn unknown_interface_names_line_and_suggestion() {
    assert_eq!(
        err1(&format!(
            "{HEAD}implements:\n  - keyvalue_basic\n  - keyvalue_basik\n"
        )),
        (
            ErrorKind::UnknownInterface,
            "b.yaml:5:5: unknown interface `keyvalue_basik`; did you mean `keyvalue_basic`?".into()
        )
    );
    let (_, e) = err1(&format!("{HEAD}implements: [frobnicate]\n"));
    assert!(
        e.ends_with(&format!(
            "unknown interface `frobnicate`; the {} interfaces are the protos in proto/proto/prism/interfaces/<model>/",
            crate::INTERFACES.len()
        )),
        "{e}"
    );
}

#[test]
fn interface_listed_twice() {
    assert_eq!(
        err1(&format!(
            "{HEAD}implements:\n  - keyvalue_basic\n  - keyvalue_scan\n  - keyvalue_basic\n"
        )),
        (
            ErrorKind::DuplicateInterface,
            "b.yaml:6:5: interface `keyvalue_basic` is listed twice (first at line 4)".into()
        )
    );
}

#[test]
fn claims_need_a_list_of_names_or_entries() {
    assert_eq!(
        err1(&format!("{HEAD}implements: keyvalue_basic\n")),
        (
            ErrorKind::WrongType,
            "b.yaml:3:13: `implements` is a list of interfaces, not a string".into()
        )
    );
    assert_eq!(
        err1(&format!("{HEAD}implements:\n  - 7\n")),
        (
            ErrorKind::WrongType,
            "b.yaml:4:5: an interface entry is a name or `{ interface: <name>, status: implemented|planned }`, not a number".into()
        )
    );
    assert_eq!(
        err1(&format!("{HEAD}implements:\n  - status: planned\n")),
        (
            ErrorKind::MissingField,
            "b.yaml:4:5: an interface entry needs `interface: <name>`".into()
        )
    );
    assert_eq!(
        err1(&format!(
            "{HEAD}implements:\n  - interface: [keyvalue_basic]\n"
        )),
        (
            ErrorKind::WrongType,
            "b.yaml:4:16: `interface` is an interface name, not a list".into()
        )
    );
}

#[test]
fn no_interfaces_at_all() {
    assert_eq!(
        err1(HEAD),
        (
            ErrorKind::NoInterfaces,
            "b.yaml:1:1: backend `m` declares no interfaces: add `implements: [keyvalue_basic, ...]`".into()
        )
    );
}

// ---- status: nothing but `implemented` or `planned` ----

fn status(value: &str) -> (ErrorKind, String) {
    err1(&format!(
        "{HEAD}implements:\n  - interface: keyvalue_basic\n    status: {value}\n"
    ))
}

#[test]
fn status_must_be_one_of_the_two_strings() {
    assert_eq!(
        status("planed"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:5:13: unknown status `planed` of `keyvalue_basic`; did you mean `planned`?"
                .into()
        )
    );
    assert_eq!(
        status("done"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:5:13: unknown status `done` of `keyvalue_basic`; use `implemented` or `planned`".into()
        )
    );
}

#[test]
fn an_empty_status_is_an_error_not_implemented() {
    // YAML reads `status:` as null; it used to mean implemented, so a planned entry ran its cases.
    let (kind, e) = err1(&format!(
        "{HEAD}implements:\n  - interface: keyvalue_basic\n    status:\n    reason: later\n"
    ));
    assert_eq!(kind, ErrorKind::WrongType);
    assert_eq!(
        e,
        "b.yaml:5:11: `status` of `keyvalue_basic` is nothing; write `implemented` or `planned`"
    );
    assert_eq!(
        status("''"),
        (
            ErrorKind::WrongType,
            "b.yaml:5:13: `status` of `keyvalue_basic` is an empty string; write `implemented` or `planned`".into()
        )
    );
}

#[test]
fn a_list_status_is_an_error() {
    assert_eq!(
        status("[planned]"),
        (
            ErrorKind::WrongType,
            "b.yaml:5:13: `status` of `keyvalue_basic` is a list (`[planned]`); write `implemented` or `planned`".into()
        )
    );
}

#[test]
fn a_boolean_status_is_an_error() {
    assert_eq!(
        status("false"),
        (
            ErrorKind::WrongType,
            "b.yaml:5:13: `status` of `keyvalue_basic` is a boolean (`false`); write `implemented` or `planned`".into()
        )
    );
}

#[test]
fn a_number_status_is_an_error() {
    assert_eq!(
        status("1"),
        (
            ErrorKind::WrongType,
            "b.yaml:5:13: `status` of `keyvalue_basic` is a number (`1`); write `implemented` or `planned`".into()
        )
    );
}

// ---- the grouped form ----

#[test]
fn a_null_model_key_is_an_error_not_skipped() {
    assert_eq!(
        err1("name: m\nplugin: built-in\ninterfaces:\n  ~:\n    - keyvalue_basic\n"),
        (
            ErrorKind::UnknownModel,
            format!(
                "b.yaml:4:3: `~` is not a data model; models: {}",
                crate::MODELS.join(", ")
            )
        )
    );
}

#[test]
fn a_number_model_key_is_an_error_not_skipped() {
    assert_eq!(
        err1("name: m\nplugin: built-in\ninterfaces:\n  keyvalue: [keyvalue_basic]\n  1: [list_basic]\n"),
        (
            ErrorKind::UnknownModel,
            format!("b.yaml:5:3: `1` is not a data model; models: {}", crate::MODELS.join(", "))
        )
    );
}

#[test]
fn unknown_and_wrong_models() {
    assert_eq!(
        err1("name: m\nplugin: built-in\ninterfaces:\n  keyvalues:\n    - keyvalue_basic\n"),
        (
            ErrorKind::UnknownModel,
            "b.yaml:4:3: `keyvalues` is not a data model; did you mean `keyvalue`?".into()
        )
    );
    assert_eq!(
        err1("name: m\nplugin: built-in\ninterfaces:\n  keyvalue:\n    - list_basic\n"),
        (
            ErrorKind::WrongModel,
            "b.yaml:5:7: `list_basic` belongs to the `list` model, not `keyvalue`".into()
        )
    );
    assert_eq!(
        err1("name: m\nplugin: built-in\ninterfaces: [keyvalue_basic]\n"),
        (
            ErrorKind::WrongType,
            "b.yaml:3:13: `interfaces` maps a data model to its list of interfaces, not a list"
                .into()
        )
    );
}

// ---- requires ----

#[test]
fn an_interface_without_what_its_suite_calls_is_an_error() {
    let scan = crate::interface("keyvalue_scan").expect("keyvalue_scan");
    let ttl = crate::interface("keyvalue_ttl").expect("keyvalue_ttl");
    assert_eq!(
        err1(&format!("{HEAD}implements:\n  - keyvalue_ttl\n")),
        (
            ErrorKind::MissingRequirement,
            format!("b.yaml:4:5: `keyvalue_ttl` requires `keyvalue_basic` (its suite calls it, see {}): the file does not claim it; add `- keyvalue_basic` as implemented, or declare `keyvalue_ttl` planned", ttl.proto)
        )
    );
    assert_eq!(
        err1(&format!("{HEAD}implements:\n  - {{ interface: keyvalue_basic, status: planned }}\n  - keyvalue_scan\n")),
        (
            ErrorKind::MissingRequirement,
            format!("b.yaml:5:5: `keyvalue_scan` requires `keyvalue_basic` (its suite calls it, see {}): line 4 declares it planned; add `- keyvalue_basic` as implemented, or declare `keyvalue_scan` planned", scan.proto)
        )
    );
    // A planned interface is not tested, so it needs nothing.
    ok(&format!(
        "{HEAD}implements:\n  - {{ interface: keyvalue_scan, status: planned }}\n"
    ));
}

// ---- instance ----

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
    assert_eq!(
        errs("backend: m\nplugin: { command: [p] }\nimplements: [keyvalue_basic]\ninstanse:\n  url: x\n"),
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
    let one = |from: &str, to: &str| err1(&POSTGRES_INSTANCE.replace(from, to));
    assert_eq!(
        one("    - port: main", "    - prot: main"),
        (
            ErrorKind::UnknownField,
            "b.yaml:9:7: unknown ready condition `prot`; did you mean `port`?".into()
        )
    );
    assert_eq!(
        one("    - port: main", "    - port: db"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:9:13: ready condition names port `db`, which `ports` does not declare (ports: main, metrics)".into()
        )
    );
    assert_eq!(
        one("ready: [{ port: main }]", "ready: [{ probe: { port: mian, send: x, expect: y } }]"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:23:30: ready condition names port `mian`, which `ports` does not declare (ports: main, metrics)".into()
        )
    );
    assert_eq!(
        one("metrics: same", "metrics: sometimes"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:6:33: port `metrics` is a container port (1-65535) or `same` (the container listens on its published host port)".into()
        )
    );
    assert_eq!(
        one("    args:", "    port: 5432\n    args:"),
        (
            ErrorKind::InvalidValue,
            "b.yaml:6:3: give the container port once: `ports: { main: <port> }` or `docker.port`, not both".into()
        )
    );
    assert_eq!(
        one("    init:", "    inti:"),
        (
            ErrorKind::UnknownField,
            "b.yaml:20:5: unknown native field `inti`; did you mean `init`?".into()
        )
    );
    assert_eq!(
        one("  setup:\n    - [", "  setup:\n    - 3\n    - ["),
        (
            ErrorKind::WrongType,
            "b.yaml:13:7: `setup` is a list of strings (the program and its arguments) or a string, not a number".into()
        )
    );
    assert_eq!(
        one("    - port: main", "    - port: main\n      log: x"),
        (
            ErrorKind::WrongType,
            "b.yaml:9:7: a ready condition is a mapping with one key, not a mapping; each condition is one of `log: \"text\"`, `port: <name>`, `command: [...]`, `probe: { port, send, expect }`".into()
        )
    );
    assert_eq!(
        one(
            "    ready: [{ port: main }]",
            "    ready: [{ port: main }]\n    ready_log: x"
        ),
        (
            ErrorKind::InvalidValue,
            "b.yaml:24:5: give `ready: [...]` or its shorthand `ready_log`, not both".into()
        )
    );
    assert_eq!(
        one("ports: { main: 5432, metrics: same }", "ports: 5432"),
        (
            ErrorKind::WrongType,
            "b.yaml:6:10: `ports` is a number; it maps port names to the container port or `same`, e.g. `ports: { main: 5432 }`".into()
        )
    );
}
