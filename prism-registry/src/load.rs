//! Reading registry files: YAML syntax first (serde_yaml, which knows line and column), then the
//! meaning of each field, with every mistake located by the line it stands on.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::catalogue::{is_interface, model_of, nearest, nearest_interface, INTERFACES};
use crate::model::{
    Backend, Claim, ClaimStatus, ContainerPort, DockerSpec, InstanceSpec, MetaValue, Metadata,
    NativeSpec, PluginSpec, PortSpec, ProcessSpec, Registry, WaitFor, DEFAULT_INSTANCE_TIMEOUT_MS,
    DEFAULT_STARTUP_TIMEOUT_MS,
};
use crate::RegistryError;

const TOP_FIELDS: &[&str] = &[
    "backend",
    "name",
    "description",
    "plugin",
    "implements",
    "interfaces",
    "instance",
];
const INSTANCE_FIELDS: &[&str] = &[
    "url",
    "ports",
    "ready",
    "ready_log",
    "setup",
    "startup_timeout_ms",
    "docker",
    "native",
];
const DOCKER_FIELDS: &[&str] = &[
    "image",
    "port",
    "args",
    "env",
    "ready",
    "ready_log",
    "setup",
];
const NATIVE_FIELDS: &[&str] = &["command", "init", "env", "ready", "ready_log", "setup"];
const PROBE_FIELDS: &[&str] = &["port", "send", "expect"];
const READY_KINDS: &[&str] = &["log", "port", "command", "probe"];
const READY_SHAPE: &str = "`ready` is a list of conditions, each one of `log: \"text\"`, `port: <name>`, `command: [...]`, `probe: { port, send, expect }`";
const PLUGIN_FIELDS: &[&str] = &["command", "build", "env", "startup_timeout_ms"];
const CLAIM_FIELDS: &[&str] = &["interface", "status", "reason"];
const STATUSES: &[&str] = &["implemented", "planned"];
/// The port name of an instance that declares none.
const MAIN_PORT: &str = "main";
/// `ports: { broker: same }`.
const SAME_PORT: &str = "same";
const BUILT_IN: &str = "built-in";

/// Finds `registry/backends` in `start` or the nearest ancestor that has one.
pub fn locate(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join("registry").join("backends"))
        .find(|candidate| candidate.is_dir())
}

/// Loads every `*.yaml` / `*.yml` file of `dir`, reporting every mistake of every file at once.
pub fn load_dir(dir: &Path) -> Result<Registry, Vec<RegistryError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![RegistryError::new(
            dir,
            (0, 0),
            format!("cannot read the registry directory: {e}"),
        )]
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();

    let mut backends: Vec<Backend> = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load_file(&file) {
            Ok(backend) => {
                if let Some(first) = backends.iter().find(|b| b.name == backend.name) {
                    let text = std::fs::read_to_string(&file).unwrap_or_default();
                    let at = Locator::new(&text)
                        .scalar(&backend.name, 0)
                        .unwrap_or((1, 1));
                    errors.push(RegistryError::new(
                        &file,
                        at,
                        format!(
                            "backend `{}` is already declared in {}; backend names must be unique",
                            backend.name,
                            // Both files are in `dir`: the name is enough and reads the same everywhere.
                            first.file.file_name().unwrap_or_default().to_string_lossy()
                        ),
                    ));
                } else {
                    backends.push(backend);
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    backends.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Registry {
        dir: dir.to_path_buf(),
        backends,
    })
}

/// Loads one backend file.
pub fn load_file(file: &Path) -> Result<Backend, Vec<RegistryError>> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        vec![RegistryError::new(
            file,
            (0, 0),
            format!("cannot read: {e}"),
        )]
    })?;
    parse(file, &text)
}

fn parse(file: &Path, text: &str) -> Result<Backend, Vec<RegistryError>> {
    let value: Value = serde_yaml::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        vec![RegistryError::new(
            file,
            at,
            format!("invalid YAML: {}", strip_location(&e.to_string())),
        )]
    })?;
    let mut p = Parser {
        file,
        loc: Locator::new(text),
        errors: Vec::new(),
        seen: HashMap::new(),
    };
    let backend = p.backend(&value);
    match backend {
        Some(b) if p.errors.is_empty() => Ok(b),
        _ => Err(p.errors),
    }
}

/// serde_yaml appends " at line L column C"; the location is reported separately.
fn strip_location(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}

struct Parser<'a> {
    file: &'a Path,
    loc: Locator<'a>,
    errors: Vec<RegistryError>,
    /// How many times each scalar was located, so repeated names find their own line.
    seen: HashMap<String, usize>,
}

impl Parser<'_> {
    fn error(&mut self, at: (usize, usize), message: impl Into<String>) {
        self.errors.push(RegistryError::new(self.file, at, message));
    }

    /// Line of the next occurrence of a scalar.
    fn at_scalar(&mut self, scalar: &str) -> (usize, usize) {
        let n = self.seen.entry(scalar.to_owned()).or_insert(0);
        let at = self.loc.scalar(scalar, *n);
        *n += 1;
        at.unwrap_or((0, 0))
    }

    fn backend(&mut self, value: &Value) -> Option<Backend> {
        let Some(map) = value.as_mapping() else {
            self.error(
                (1, 1),
                "a registry file is a mapping with `backend`, `plugin` and `implements`",
            );
            return None;
        };
        for key in map.keys().filter_map(Value::as_str) {
            if TOP_FIELDS.contains(&key) {
                continue;
            }
            // Unknown fields are allowed, but one that looks like a misspelt known field is not.
            if let Some(known) = nearest(key, TOP_FIELDS.iter().copied()) {
                if !map.contains_key(known) {
                    let at = self.loc.key(key).unwrap_or((0, 0));
                    self.error(
                        at,
                        format!("unknown field `{key}`; did you mean `{known}`?"),
                    );
                }
            }
        }

        let name_key = if map.contains_key("backend") {
            "backend"
        } else {
            "name"
        };
        let name = match map.get(name_key) {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                let at = self.loc.key(name_key).unwrap_or((1, 1));
                self.error(at, format!("`{name_key}` must be a string"));
                return None;
            }
            None => {
                if self.errors.is_empty() {
                    self.error((1, 1), "no `backend:` field naming the backend");
                }
                return None;
            }
        };
        let name_at = self.loc.key(name_key).unwrap_or((1, 1));
        if !is_snake_ident(&name) {
            self.error(
                name_at,
                format!(
                    "backend name `{name}` must be snake_case (a-z, 0-9, _; not a Rust keyword): it names a test module, try `{}`",
                    to_snake(&name)
                ),
            );
        }
        let description = map
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let plugin = match map.get("plugin") {
            Some(v) => self.plugin(v, &name),
            None => {
                self.error(
                    name_at,
                    format!("backend `{name}` has no way to start its plugin: add `plugin: built-in` or `plugin: {{ command: [\"path/to/plugin\"] }}`"),
                );
                None
            }
        };

        let mut claims = Vec::new();
        if let Some(list) = map.get("implements") {
            self.claims(list, None, &mut claims);
        }
        if let Some(groups) = map.get("interfaces") {
            self.grouped(groups, &mut claims);
        }
        if !map.contains_key("implements")
            && !map.contains_key("interfaces")
            && self.errors.is_empty()
        {
            self.error(name_at, format!("backend `{name}` declares no interfaces: add `implements: [keyvalue_basic, ...]`"));
        }
        self.duplicates(&claims);
        let instance = map.get("instance").and_then(|v| self.instance(v));
        if instance.is_some() && matches!(plugin, Some(PluginSpec::BuiltIn { .. })) {
            let at = self.loc.key("instance").unwrap_or(name_at);
            self.error(at, "`instance` gives a plugin process its backend as PRISM_BACKEND_URL; a `plugin: built-in` cannot receive it: use `plugin: { command: [...] }`");
        }

        Some(Backend {
            name,
            description,
            file: self.file.to_path_buf(),
            line: name_at.0,
            plugin: plugin?,
            claims,
            instance,
            metadata: metadata(map, TOP_FIELDS),
        })
    }

    /// Reports every key of `m` that is not in `fields`, with the nearest valid one. Keys are
    /// looked up from `from` on, so `command` or `env` inside `instance` are not confused with the
    /// plugin's.
    fn unknown_keys(&mut self, m: &Mapping, fields: &[&str], what: &str, from: (usize, usize)) {
        for key in m.keys().filter_map(Value::as_str) {
            if !fields.contains(&key) {
                let hint = nearest(key, fields.iter().copied())
                    .map(|k| format!("did you mean `{k}`?"))
                    .unwrap_or_else(|| format!("valid fields: {}", fields.join(", ")));
                let at = self.loc.key_from(key, from.0).unwrap_or(from);
                self.error(at, format!("unknown {what} field `{key}`; {hint}"));
            }
        }
    }

    /// The `env` mapping of a section that starts at `at` (empty when absent).
    fn env(&mut self, m: &Mapping, at: (usize, usize)) -> Option<BTreeMap<String, String>> {
        let mut env = BTreeMap::new();
        let Some(v) = m.get("env") else {
            return Some(env);
        };
        let env_at = self.loc.key_from("env", at.0).unwrap_or(at);
        let Some(map) = v.as_mapping() else {
            self.error(env_at, "`env` is a mapping of variable names to strings");
            return None;
        };
        for (k, v) in map {
            let (Some(k), Some(v)) = (k.as_str(), scalar_string(v)) else {
                self.error(env_at, "`env` values must be strings or numbers");
                return None;
            };
            env.insert(k.to_owned(), v);
        }
        Some(env)
    }

    fn instance(&mut self, value: &Value) -> Option<InstanceSpec> {
        let at = self.loc.key("instance").unwrap_or((0, 0));
        let Some(m) = value.as_mapping() else {
            self.error(
                at,
                "`instance` is a mapping with `url` and `docker` and/or `native`",
            );
            return None;
        };
        self.unknown_keys(m, INSTANCE_FIELDS, "instance", at);
        let url = match m.get("url") {
            Some(Value::String(u)) if !u.trim().is_empty() => u.clone(),
            Some(_) => {
                let at = self.loc.key_from("url", at.0).unwrap_or(at);
                self.error(at, "`url` is the non-empty connection string the plugin gets, e.g. \"redis://${HOST}:${PORT}\"");
                return None;
            }
            None => {
                self.error(at, "`instance` needs `url: \"<scheme>://${HOST}:${PORT}\"`: what the plugin gets as PRISM_BACKEND_URL");
                return None;
            }
        };
        let docker_m = m.get("docker");
        let native_m = m.get("native");
        let docker = match docker_m {
            None => None,
            Some(v) => Some(self.docker(v, at)?),
        };
        let native = match native_m {
            None => None,
            Some(v) => Some(self.native(v, at)?),
        };
        let ports = self.ports(m, docker.as_ref().map(|(_, port)| *port), at)?;
        let ready = self
            .ready(m, at)?
            .unwrap_or_else(|| vec![WaitFor::Port(ports[0].name.clone())]);
        let setup = self.commands(m, "setup", at)?.unwrap_or_default();
        let startup_timeout_ms = match m.get("startup_timeout_ms") {
            None => DEFAULT_INSTANCE_TIMEOUT_MS,
            Some(v) => match v.as_u64() {
                Some(ms) if ms > 0 => ms,
                _ => {
                    let at = self.loc.key_from("startup_timeout_ms", at.0).unwrap_or(at);
                    self.error(
                        at,
                        "`startup_timeout_ms` is a positive number of milliseconds",
                    );
                    return None;
                }
            },
        };
        let spec = InstanceSpec {
            url,
            ports,
            ready,
            setup,
            startup_timeout_ms,
            docker: docker.map(|(d, _)| d),
            native,
        };
        self.check_port_names(&spec, at)?;
        Some(spec)
    }

    /// `ports: { name: <port> | same }`, or `docker.port` as `main`, or `main` alone.
    fn ports(
        &mut self,
        m: &Mapping,
        docker_port: Option<Option<u16>>,
        at: (usize, usize),
    ) -> Option<Vec<PortSpec>> {
        let Some(v) = m.get("ports") else {
            return match docker_port {
                Some(Some(port)) => Some(vec![PortSpec {
                    name: MAIN_PORT.to_owned(),
                    container: ContainerPort::Fixed(port),
                }]),
                Some(None) => {
                    let at = self.loc.key_from("docker", at.0).unwrap_or(at);
                    self.error(at, "`docker` needs `port: <1-65535>`, the port the server listens on in the container, or `ports: { main: <port> }` in `instance`");
                    None
                }
                None => Some(vec![PortSpec {
                    name: MAIN_PORT.to_owned(),
                    container: ContainerPort::SameAsHost,
                }]),
            };
        };
        let ports_at = self.loc.key_from("ports", at.0).unwrap_or(at);
        if let Some(Some(_)) = docker_port {
            self.error(ports_at, "give the container port once: `ports: { main: <port> }` or `docker.port`, not both");
            return None;
        }
        let Some(map) = v.as_mapping().filter(|m| !m.is_empty()) else {
            self.error(ports_at, "`ports` maps port names to the container port or `same`, e.g. `ports: { main: 5432 }`");
            return None;
        };
        let mut ports = Vec::new();
        for (name, port) in map {
            let Some(name) = name.as_str().filter(|n| is_snake_ident(n)) else {
                self.error(
                    ports_at,
                    "port names are snake_case strings (`main`, `broker`)",
                );
                return None;
            };
            let container = match port {
                Value::String(s) if s == SAME_PORT => ContainerPort::SameAsHost,
                v => match v.as_u64().and_then(|p| u16::try_from(p).ok()) {
                    Some(p) if p > 0 => ContainerPort::Fixed(p),
                    _ => {
                        let at = self.loc.key_from(name, ports_at.0).unwrap_or(ports_at);
                        self.error(at, format!("port `{name}` is a container port (1-65535) or `same` (the container listens on its published host port)"));
                        return None;
                    }
                },
            };
            ports.push(PortSpec {
                name: name.to_owned(),
                container,
            });
        }
        Some(ports)
    }

    /// `ready: [...]` or `ready_log: "..."` of a section; `None` when it has neither.
    fn ready(&mut self, m: &Mapping, at: (usize, usize)) -> Option<Option<Vec<WaitFor>>> {
        match (m.get("ready"), m.get("ready_log")) {
            (None, None) => Some(None),
            (Some(_), Some(_)) => {
                let at = self.loc.key_from("ready_log", at.0).unwrap_or(at);
                self.error(
                    at,
                    "give `ready: [...]` or its shorthand `ready_log`, not both",
                );
                None
            }
            (None, Some(Value::String(s))) if !s.is_empty() => {
                Some(Some(vec![WaitFor::Log(s.clone())]))
            }
            (None, Some(_)) => {
                let at = self.loc.key_from("ready_log", at.0).unwrap_or(at);
                self.error(at, "`ready_log` is the text of a line the server writes when ready (leave it out to wait for the port)");
                None
            }
            (Some(v), None) => {
                let ready_at = self.loc.key_from("ready", at.0).unwrap_or(at);
                let Some(items) = v.as_sequence() else {
                    self.error(ready_at, READY_SHAPE);
                    return None;
                };
                let mut out = Vec::new();
                for item in items {
                    out.push(self.wait_for(item, ready_at)?);
                }
                Some(Some(out))
            }
        }
    }

    fn wait_for(&mut self, item: &Value, at: (usize, usize)) -> Option<WaitFor> {
        let single = item
            .as_mapping()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next());
        let Some((Value::String(kind), v)) = single else {
            self.error(at, READY_SHAPE);
            return None;
        };
        let cond = match (kind.as_str(), v) {
            ("log", Value::String(s)) if !s.is_empty() => WaitFor::Log(s.clone()),
            ("port", Value::String(s)) => WaitFor::Port(s.clone()),
            ("command", v) => match words(v) {
                Some(c) if !c.is_empty() => WaitFor::Command(c),
                _ => {
                    self.error(
                        at,
                        "`command` of a ready condition is a non-empty list of strings",
                    );
                    return None;
                }
            },
            ("probe", Value::Mapping(p)) => {
                let from = self.loc.key_from("probe", at.0).unwrap_or(at);
                self.unknown_keys(p, PROBE_FIELDS, "probe", from);
                let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
                match (text("port"), text("send"), text("expect")) {
                    (Some(port), Some(send), Some(expect)) if !expect.is_empty() => {
                        WaitFor::Probe {
                            port,
                            send: send.into_bytes(),
                            expect: expect.into_bytes(),
                        }
                    }
                    _ => {
                        self.error(from, "`probe` needs `port` (a port name), `send` and a non-empty `expect`, all strings");
                        return None;
                    }
                }
            }
            (other, _) if !READY_KINDS.contains(&other) => {
                let hint = nearest(other, READY_KINDS.iter().copied())
                    .map(|k| format!("did you mean `{k}`?"))
                    .unwrap_or_else(|| format!("valid conditions: {}", READY_KINDS.join(", ")));
                let at = self.loc.key_from(other, at.0).unwrap_or(at);
                self.error(at, format!("unknown ready condition `{other}`; {hint}"));
                return None;
            }
            (kind, _) => {
                let at = self.loc.key_from(kind, at.0).unwrap_or(at);
                self.error(
                    at,
                    format!("ready condition `{kind}` has the wrong type; {READY_SHAPE}"),
                );
                return None;
            }
        };
        Some(cond)
    }

    /// A list of commands (`setup`, `init`), each a list of strings or a string split on spaces.
    fn commands(
        &mut self,
        m: &Mapping,
        key: &str,
        at: (usize, usize),
    ) -> Option<Option<Vec<Vec<String>>>> {
        let Some(v) = m.get(key) else {
            return Some(None);
        };
        let cmds = v.as_sequence().and_then(|items| {
            items
                .iter()
                .map(|i| words(i).filter(|c| !c.is_empty()))
                .collect::<Option<Vec<_>>>()
        });
        match cmds {
            Some(c) => Some(Some(c)),
            None => {
                let at = self.loc.key_from(key, at.0).unwrap_or(at);
                self.error(at, format!("`{key}` is a list of commands, each a non-empty list of strings: `{key}: [[\"prog\", \"arg\"]]`"));
                None
            }
        }
    }

    /// Every `port:` and `probe.port` names a declared port.
    fn check_port_names(&mut self, spec: &InstanceSpec, at: (usize, usize)) -> Option<()> {
        let lists = [
            Some(spec.ready.as_slice()),
            spec.docker.as_ref().and_then(|d| d.ready.as_deref()),
            spec.native.as_ref().and_then(|n| n.ready.as_deref()),
        ];
        let names: Vec<&str> = spec.ports.iter().map(|p| p.name.as_str()).collect();
        for cond in lists.into_iter().flatten().flatten() {
            let port = match cond {
                WaitFor::Port(p) | WaitFor::Probe { port: p, .. } => p,
                _ => continue,
            };
            if !names.contains(&port.as_str()) {
                let at = self.loc.key_from("ready", at.0).unwrap_or(at);
                self.error(
                    at,
                    format!(
                        "ready condition names port `{port}`, which `ports` does not declare (ports: {})",
                        names.join(", ")
                    ),
                );
                return None;
            }
        }
        Some(())
    }

    /// The docker section and its `port` shorthand.
    fn docker(
        &mut self,
        value: &Value,
        instance_at: (usize, usize),
    ) -> Option<(DockerSpec, Option<u16>)> {
        let at = self
            .loc
            .key_from("docker", instance_at.0)
            .unwrap_or(instance_at);
        let Some(m) = value.as_mapping() else {
            self.error(at, "`docker` is a mapping with `image` and `port`");
            return None;
        };
        self.unknown_keys(m, DOCKER_FIELDS, "docker", at);
        let image = match m.get("image") {
            Some(Value::String(i)) if !i.trim().is_empty() => i.clone(),
            _ => {
                let at = self.loc.key_from("image", at.0).unwrap_or(at);
                self.error(at, "`docker` needs `image: \"name:tag\"`");
                return None;
            }
        };
        let port = match m.get("port") {
            None => None,
            Some(p) => match p.as_u64().and_then(|p| u16::try_from(p).ok()) {
                Some(p) if p > 0 => Some(p),
                _ => {
                    let at = self.loc.key_from("port", at.0).unwrap_or(at);
                    self.error(
                        at,
                        "`docker` needs `port: <1-65535>`, the port the server listens on in the container",
                    );
                    return None;
                }
            },
        };
        let ready = self.ready(m, at)?;
        let setup = self.commands(m, "setup", at)?;
        let args = match m.get("args") {
            None => Vec::new(),
            Some(v) => match words(v) {
                Some(a) => a,
                None => {
                    let at = self.loc.key_from("args", at.0).unwrap_or(at);
                    self.error(at, "`args` is a string or a list of strings");
                    return None;
                }
            },
        };
        let env = self.env(m, at)?;
        Some((
            DockerSpec {
                image,
                args,
                env,
                ready,
                setup,
            },
            port,
        ))
    }

    fn native(&mut self, value: &Value, instance_at: (usize, usize)) -> Option<NativeSpec> {
        let at = self
            .loc
            .key_from("native", instance_at.0)
            .unwrap_or(instance_at);
        let Some(m) = value.as_mapping() else {
            self.error(at, "`native` is a mapping with `command`");
            return None;
        };
        self.unknown_keys(m, NATIVE_FIELDS, "native", at);
        let command = match m.get("command").map(words) {
            Some(Some(c)) if !c.is_empty() => c,
            _ => {
                let at = self.loc.key_from("command", at.0).unwrap_or(at);
                self.error(
                    at,
                    "`native` needs `command: [\"server\", \"--port\", \"${PORT}\", ...]`, a list of strings",
                );
                return None;
            }
        };
        let init = self.commands(m, "init", at)?.unwrap_or_default();
        let env = self.env(m, at)?;
        let ready = self.ready(m, at)?;
        let setup = self.commands(m, "setup", at)?;
        Some(NativeSpec {
            command,
            init,
            env,
            ready,
            setup,
        })
    }

    fn plugin(&mut self, value: &Value, backend: &str) -> Option<PluginSpec> {
        let at = self.loc.key("plugin").unwrap_or((0, 0));
        match value {
            Value::String(s) if s == BUILT_IN => Some(PluginSpec::BuiltIn {
                name: backend.to_owned(),
            }),
            Value::String(s) => {
                self.error(at, format!("`plugin: {s}` names no way to start the plugin: write `plugin: built-in`, `plugin: {{ builtin: <name> }}` or `plugin: {{ command: [\"path/to/plugin\", args...] }}`"));
                None
            }
            Value::Mapping(m) if m.contains_key("builtin") => {
                self.unknown_keys(m, &["builtin"], "plugin", at);
                match m.get("builtin") {
                    Some(Value::String(name)) if !name.trim().is_empty() => {
                        Some(PluginSpec::BuiltIn { name: name.clone() })
                    }
                    _ => {
                        self.error(at, "`builtin` is the name a built-in plugin is registered under (`prism_suite::builtin_plugin!`)");
                        None
                    }
                }
            }
            Value::Mapping(m) => self.process(m, at),
            _ => {
                self.error(
                    at,
                    "`plugin` is `built-in` or a mapping with `command` or `builtin`",
                );
                None
            }
        }
    }

    fn process(&mut self, m: &Mapping, at: (usize, usize)) -> Option<PluginSpec> {
        self.unknown_keys(m, PLUGIN_FIELDS, "plugin", at);
        let command = match m.get("command").map(words) {
            Some(Some(c)) if !c.is_empty() => c,
            Some(_) => {
                let at = self.loc.key("command").unwrap_or(at);
                self.error(at, "`command` is a string or a list of strings, not empty");
                return None;
            }
            None => {
                self.error(
                    at,
                    "a plugin run as a process needs `command: [\"path/to/plugin\", args...]`",
                );
                return None;
            }
        };
        let build = match m.get("build") {
            None => None,
            Some(v) => match words(v) {
                Some(b) if !b.is_empty() => Some(b),
                _ => {
                    let at = self.loc.key("build").unwrap_or(at);
                    self.error(at, "`build` is a string or a list of strings, not empty");
                    return None;
                }
            },
        };
        let env = self.env(m, at)?;
        let startup_timeout_ms = match m.get("startup_timeout_ms") {
            None => DEFAULT_STARTUP_TIMEOUT_MS,
            Some(v) => match v.as_u64() {
                Some(ms) if ms > 0 => ms,
                _ => {
                    let at = self.loc.key("startup_timeout_ms").unwrap_or(at);
                    self.error(
                        at,
                        "`startup_timeout_ms` is a positive number of milliseconds",
                    );
                    DEFAULT_STARTUP_TIMEOUT_MS
                }
            },
        };
        Some(PluginSpec::Process(ProcessSpec {
            command,
            build,
            env,
            startup_timeout_ms,
        }))
    }

    fn claims(&mut self, list: &Value, model: Option<&str>, out: &mut Vec<Claim>) {
        // `implements:` with nothing under it yet (a backend being added) claims nothing.
        if list.is_null() {
            return;
        }
        let Some(items) = list.as_sequence() else {
            let at = self
                .loc
                .key(model.unwrap_or("implements"))
                .unwrap_or((0, 0));
            self.error(at, "expected a list of interfaces");
            return;
        };
        for item in items {
            let mut metadata_of = Metadata::new();
            let (interface, status, reason) = match item {
                Value::String(s) => (s.clone(), None, None),
                Value::Mapping(m) => {
                    for key in m.keys().filter_map(Value::as_str) {
                        if CLAIM_FIELDS.contains(&key) {
                            continue;
                        }
                        // Other fields are metadata, but a near miss of a known one is a typo.
                        if let Some(known) = nearest(key, CLAIM_FIELDS.iter().copied()) {
                            let at = self.loc.key(key).unwrap_or((0, 0));
                            self.error(
                                at,
                                format!("unknown field `{key}` in an interface entry; did you mean `{known}`?"),
                            );
                        }
                    }
                    let Some(interface) = m.get("interface").and_then(Value::as_str) else {
                        let at = self
                            .loc
                            .key(model.unwrap_or("implements"))
                            .unwrap_or((0, 0));
                        self.error(at, "an interface entry needs `interface: <name>`");
                        continue;
                    };
                    let status = match m.get("status") {
                        None => None,
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(other) => {
                            let at = self.loc.key("status").unwrap_or((0, 0));
                            self.error(
                                at,
                                format!(
                                    "`status` of `{interface}` is `{}`; it must be `implemented` or `planned`",
                                    meta(other)
                                ),
                            );
                            continue;
                        }
                    };
                    let reason = m
                        .get("reason")
                        .or_else(|| m.get("notes"))
                        .map(|r| meta(r).to_string().trim().to_owned());
                    metadata_of = metadata(m, CLAIM_FIELDS);
                    (interface.to_owned(), status, reason)
                }
                _ => {
                    let at = self
                        .loc
                        .key(model.unwrap_or("implements"))
                        .unwrap_or((0, 0));
                    self.error(at, "an interface entry is a name or `{ interface: <name>, status: implemented|planned }`");
                    continue;
                }
            };
            let at = self.at_scalar(&interface);
            if !is_interface(&interface) {
                let hint = match nearest_interface(&interface) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => "see ../shared/interfaces.md for the 45 names".to_owned(),
                };
                self.error(at, format!("unknown interface `{interface}`; {hint}"));
                continue;
            }
            if let Some(model) = model {
                let actual = model_of(&interface).unwrap_or_default();
                if actual != model {
                    self.error(
                        at,
                        format!("`{interface}` belongs to the `{actual}` model, not `{model}`"),
                    );
                    continue;
                }
            }
            let status = match status.as_deref() {
                None | Some("implemented") => ClaimStatus::Implemented,
                Some("planned") => ClaimStatus::Planned,
                Some(other) => {
                    let at = self.at_scalar(other);
                    let hint = nearest(other, STATUSES.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "use `implemented` or `planned`".to_owned());
                    self.error(at, format!("unknown status `{other}`; {hint}"));
                    continue;
                }
            };
            out.push(Claim {
                interface,
                status,
                reason,
                line: at.0,
                column: at.1,
                metadata: metadata_of,
            });
        }
    }

    fn grouped(&mut self, groups: &Value, out: &mut Vec<Claim>) {
        let Some(groups) = groups.as_mapping() else {
            let at = self.loc.key("interfaces").unwrap_or((0, 0));
            self.error(
                at,
                "`interfaces` maps a data model to its list of interfaces",
            );
            return;
        };
        let models: Vec<&str> = {
            let mut m: Vec<&str> = INTERFACES.iter().map(|(_, m)| *m).collect();
            m.dedup();
            m
        };
        for (model, list) in groups {
            let Some(model) = model.as_str() else {
                continue;
            };
            if !models.contains(&model) {
                let at = self.loc.key(model).unwrap_or((0, 0));
                let hint = nearest(model, models.iter().copied())
                    .map(|m| format!("did you mean `{m}`?"))
                    .unwrap_or_else(|| format!("models: {}", models.join(", ")));
                self.error(at, format!("unknown data model `{model}`; {hint}"));
                continue;
            }
            self.claims(list, Some(model), out);
        }
    }

    fn duplicates(&mut self, claims: &[Claim]) {
        for (i, claim) in claims.iter().enumerate() {
            if let Some(first) = claims[..i].iter().find(|c| c.interface == claim.interface) {
                let at = (claim.line, self.loc.column_of(claim.line, &claim.interface));
                self.error(
                    at,
                    format!(
                        "interface `{}` is listed twice (first at line {})",
                        claim.interface, first.line
                    ),
                );
            }
        }
    }
}

/// The entries of `m` whose keys are not in `known`, kept as metadata.
fn metadata(m: &Mapping, known: &[&str]) -> Metadata {
    m.iter()
        .filter_map(|(k, v)| {
            let key = meta_key(k);
            (!known.contains(&key.as_str())).then(|| (key, meta(v)))
        })
        .collect()
}

fn meta_key(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => meta(other).to_string(),
    }
}

fn meta(v: &Value) -> MetaValue {
    match v {
        Value::Null => MetaValue::Null,
        Value::Bool(b) => MetaValue::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(MetaValue::Int)
            .unwrap_or_else(|| MetaValue::Float(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => MetaValue::String(s.clone()),
        Value::Sequence(items) => MetaValue::List(items.iter().map(meta).collect()),
        Value::Mapping(m) => {
            MetaValue::Map(m.iter().map(|(k, v)| (meta_key(k), meta(v))).collect())
        }
        Value::Tagged(t) => meta(&t.value),
    }
}

fn words(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(s.split_whitespace().map(str::to_owned).collect()),
        Value::Sequence(items) => items.iter().map(scalar_string).collect(),
        _ => None,
    }
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield",
];

fn is_snake_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !KEYWORDS.contains(&s)
}

fn to_snake(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "b_");
    }
    out
}

/// Finds where a key or a scalar stands in the file text. serde_yaml's values carry no positions,
/// so mistakes found after parsing are located by the token itself, outside comments.
struct Locator<'a> {
    /// Each line without its comment: every lookup scans them, so comments are cut once.
    lines: Vec<&'a str>,
    /// Where each word stands, in file order, built on first use: every claimed interface is
    /// located, and rescanning the file for each made loading quadratic.
    words: OnceCell<HashMap<&'a str, Vec<(usize, usize)>>>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        Locator {
            lines: text.lines().map(strip_comment).collect(),
            words: OnceCell::new(),
        }
    }

    fn words(&self) -> &HashMap<&'a str, Vec<(usize, usize)>> {
        self.words.get_or_init(|| {
            let mut words: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
            for (i, line) in self.lines.iter().enumerate() {
                let mut start = None;
                for (col, c) in line.char_indices().chain([(line.len(), ' ')]) {
                    match (is_word_char(c), start) {
                        (true, None) => start = Some(col),
                        (false, Some(from)) => {
                            words
                                .entry(&line[from..col])
                                .or_default()
                                .push((i + 1, from + 1));
                            start = None;
                        }
                        _ => {}
                    }
                }
            }
            words
        })
    }

    /// 1-based (line, column) of the line whose key is `key`.
    fn key(&self, key: &str) -> Option<(usize, usize)> {
        self.lines.iter().enumerate().find_map(|(i, line)| {
            let code = *line;
            let trimmed = code.trim_start().trim_start_matches("- ").trim_start();
            let rest = trimmed.strip_prefix(key).or_else(|| {
                trimmed
                    .strip_prefix(&format!("\"{key}\""))
                    .or_else(|| trimmed.strip_prefix(&format!("'{key}'")))
            })?;
            rest.trim_start()
                .starts_with(':')
                .then(|| (i + 1, code.len() - trimmed.len() + 1))
        })
    }

    /// 1-based (line, column) of `key` at or after 1-based line `from`: a block key starting a
    /// line, else a `key:` inside a flow mapping (`docker: { image: x, prot: 1 }`).
    fn key_from(&self, key: &str, from: usize) -> Option<(usize, usize)> {
        let skip = from.saturating_sub(1);
        let block = self
            .lines
            .iter()
            .enumerate()
            .skip(skip)
            .find_map(|(i, line)| {
                let code = *line;
                let trimmed = code.trim_start().trim_start_matches("- ").trim_start();
                let rest = trimmed.strip_prefix(key)?;
                rest.trim_start()
                    .starts_with(':')
                    .then(|| (i + 1, code.len() - trimmed.len() + 1))
            });
        block.or_else(|| {
            self.lines
                .iter()
                .enumerate()
                .skip(skip)
                .find_map(|(i, line)| {
                    let code = *line;
                    code.match_indices(key).find_map(|(col, _)| {
                        let flow_key = is_token(code, col, key.len())
                            && code[col + key.len()..].trim_start().starts_with(':');
                        flow_key.then_some((i + 1, col + 1))
                    })
                })
        })
    }

    /// 1-based (line, column) of the `nth` (0-based) token-bounded occurrence of `scalar`.
    fn scalar(&self, scalar: &str, nth: usize) -> Option<(usize, usize)> {
        if !scalar.is_empty() && scalar.chars().all(is_word_char) {
            return self.words().get(scalar)?.get(nth).copied();
        }
        let mut count = 0;
        for (i, line) in self.lines.iter().enumerate() {
            let code = *line;
            for (col, _) in code.match_indices(scalar) {
                if is_token(code, col, scalar.len()) {
                    if count == nth {
                        return Some((i + 1, col + 1));
                    }
                    count += 1;
                }
            }
        }
        None
    }

    fn column_of(&self, line: usize, scalar: &str) -> usize {
        self.lines
            .get(line.wrapping_sub(1))
            .and_then(|l| l.find(scalar))
            .map_or(0, |c| c + 1)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_token(code: &str, start: usize, len: usize) -> bool {
    let before = code[..start].chars().next_back();
    let after = code[start + len..].chars().next();
    !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
}

fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests;
