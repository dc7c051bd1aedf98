//! Reading registry files: YAML syntax first (serde_yaml, which knows line and column), then the
//! meaning of each field, with every mistake located by the line it stands on.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::catalogue::{is_interface, model_of, nearest, nearest_interface, INTERFACES};
use crate::model::{
    Backend, Claim, ClaimStatus, DockerSpec, InstanceSpec, NativeSpec, PluginSpec, ProcessSpec,
    Registry, DEFAULT_INSTANCE_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS,
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
const INSTANCE_FIELDS: &[&str] = &["url", "docker", "native", "startup_timeout_ms"];
const DOCKER_FIELDS: &[&str] = &["image", "port", "ready_log", "args", "env"];
const NATIVE_FIELDS: &[&str] = &["command", "ready_log"];
const PLUGIN_FIELDS: &[&str] = &["command", "build", "env", "startup_timeout_ms"];
const CLAIM_FIELDS: &[&str] = &["interface", "status", "reason"];
const STATUSES: &[&str] = &["implemented", "planned"];
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
            Some(v) => self.plugin(v),
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
        if instance.is_some() && plugin == Some(PluginSpec::BuiltIn) {
            let at = self.loc.key("instance").unwrap_or(name_at);
            self.error(at, "`instance` gives a plugin process its backend as PRISM_BACKEND_URL; a `plugin: built-in` cannot receive it: use `plugin: { command: [...] }`");
        }

        Some(Backend {
            name,
            description,
            file: self.file.to_path_buf(),
            plugin: plugin?,
            claims,
            instance,
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
        let docker = match m.get("docker") {
            None => None,
            Some(v) => Some(self.docker(v, at)?),
        };
        let native = match m.get("native") {
            None => None,
            Some(v) => Some(self.native(v, at)?),
        };
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
        Some(InstanceSpec {
            url,
            docker,
            native,
            startup_timeout_ms,
        })
    }

    fn docker(&mut self, value: &Value, instance_at: (usize, usize)) -> Option<DockerSpec> {
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
        let port = match m
            .get("port")
            .map(|p| p.as_u64().and_then(|p| u16::try_from(p).ok()))
        {
            Some(Some(p)) if p > 0 => p,
            _ => {
                let at = self.loc.key_from("port", at.0).unwrap_or(at);
                self.error(
                    at,
                    "`docker` needs `port: <1-65535>`, the port the server listens on in the container",
                );
                return None;
            }
        };
        let ready_log = self.ready_log(m, at)?;
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
        Some(DockerSpec {
            image,
            port,
            ready_log,
            args,
            env,
        })
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
        let ready_log = self.ready_log(m, at)?;
        Some(NativeSpec { command, ready_log })
    }

    /// `ready_log`: absent (ready when the port accepts) or a non-empty string.
    fn ready_log(&mut self, m: &Mapping, at: (usize, usize)) -> Option<Option<String>> {
        match m.get("ready_log") {
            None => Some(None),
            Some(Value::String(s)) if !s.is_empty() => Some(Some(s.clone())),
            Some(_) => {
                let at = self.loc.key_from("ready_log", at.0).unwrap_or(at);
                self.error(at, "`ready_log` is the text of a line the server writes when ready (leave it out to wait for the port)");
                None
            }
        }
    }

    fn plugin(&mut self, value: &Value) -> Option<PluginSpec> {
        let at = self.loc.key("plugin").unwrap_or((0, 0));
        match value {
            Value::String(s) if s == BUILT_IN || s == "builtin" => Some(PluginSpec::BuiltIn),
            Value::String(s) => {
                let command: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
                if command.is_empty() {
                    self.error(at, "`plugin` is empty: use `built-in` or a command");
                    return None;
                }
                Some(PluginSpec::Process(ProcessSpec {
                    command,
                    build: None,
                    env: BTreeMap::new(),
                    startup_timeout_ms: DEFAULT_STARTUP_TIMEOUT_MS,
                }))
            }
            Value::Mapping(m) => self.process(m, at),
            _ => {
                self.error(at, "`plugin` is `built-in` or a mapping with `command`");
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
            let (interface, status, reason) = match item {
                Value::String(s) => (s.clone(), None, None),
                Value::Mapping(m) => {
                    for key in m.keys().filter_map(Value::as_str) {
                        if !CLAIM_FIELDS.contains(&key) {
                            let hint = nearest(key, CLAIM_FIELDS.iter().copied())
                                .map(|k| format!("; did you mean `{k}`?"))
                                .unwrap_or_default();
                            let at = self.loc.key(key).unwrap_or((0, 0));
                            self.error(
                                at,
                                format!("unknown field `{key}` in an interface entry{hint}"),
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
                    let status = m.get("status").and_then(Value::as_str).map(str::to_owned);
                    let reason = m.get("reason").and_then(Value::as_str).map(str::to_owned);
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
