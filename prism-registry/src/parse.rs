//! One registry file: from its YAML tree to a [`Backend`], every mistake placed at the node the
//! parser saw it on.

mod instance;

use std::collections::BTreeMap;
use std::path::Path;

use crate::catalogue::{self, nearest, nearest_interface};
use crate::error::{ErrorKind, RegistryError};
use crate::model::{
    Backend, Claim, ClaimStatus, MetaValue, Metadata, PluginSpec, ProcessSpec,
    DEFAULT_STARTUP_TIMEOUT_MS,
};
use crate::yaml::{self, Node, Pos, Value};

/// Fields of the file that prism-suite reads; any other top-level field is metadata.
pub(crate) const TOP_FIELDS: &[&str] = &[
    "backend",
    "name",
    "description",
    "plugin",
    "implements",
    "interfaces",
    "instance",
];
const PLUGIN_FIELDS: &[&str] = &["command", "build", "env", "startup_timeout_ms"];
/// Fields of an interface entry prism-suite reads (`notes` is the reason of a planned entry that
/// gives no `reason`); any other field is metadata.
const CLAIM_FIELDS: &[&str] = &["interface", "status", "reason", "notes"];
const STATUSES: &[&str] = &["implemented", "planned"];
const BUILT_IN: &str = "built-in";

/// Names a backend cannot take because the generated code, the test harness or the documented
/// invocation (`prism_suite::compliance_matrix!()`) use them at the root of the test crate, where
/// the backend's module lives: a module of that name makes rustc report an ambiguity that names no
/// registry file.
pub const RESERVED_NAMES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "test",
    "proc_macro",
    "prism_suite",
    "prism_suites",
    "prism_registry",
    "prism_proto",
    "prism_plugin",
    "prism_suite_macros",
    "tokio",
    "tonic",
    "inventory",
    "matrix_matches_catalogue",
];

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield",
];

/// A parsed backend and where its name stands (for mistakes found across files).
pub(crate) struct Parsed {
    pub backend: Backend,
    pub name_at: Pos,
}

/// Parses the text of one registry file.
pub(crate) fn parse(file: &Path, text: &str) -> Result<Parsed, Vec<RegistryError>> {
    let mut p = Parser {
        file,
        errors: Vec::new(),
    };
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            p.error(
                Pos::START,
                ErrorKind::MissingField,
                "the file is empty: a registry file is a mapping with `backend`, `plugin` and `implements`",
            );
            return Err(p.errors);
        }
        Err(e) => {
            p.error(
                e.at,
                ErrorKind::Syntax,
                format!("invalid YAML: {}", e.message),
            );
            return Err(p.errors);
        }
    };
    match p.backend(&root) {
        Some(parsed) if p.errors.is_empty() => Ok(parsed),
        _ => Err(p.errors),
    }
}

pub(crate) struct Parser<'a> {
    file: &'a Path,
    errors: Vec<RegistryError>,
}

/// A mapping's entries, looked up by key.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'n> {
    pub entries: &'n [(Node, Node)],
    /// Where the mapping's key stands (`instance:`), for mistakes about the section as a whole.
    pub at: Pos,
}

impl<'n> Fields<'n> {
    /// The key node and the value of `key`.
    pub fn entry(&self, key: &str) -> Option<(&'n Node, &'n Node)> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub fn has(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }
}

impl<'a> Parser<'a> {
    pub(crate) fn error(&mut self, at: Pos, kind: ErrorKind, message: impl Into<String>) {
        self.errors.push(RegistryError::new(
            self.file,
            (at.line, at.column),
            kind,
            message,
        ));
    }

    /// The mapping under a key, or a wrong-type error at the value.
    pub(crate) fn section<'n>(
        &mut self,
        key: &Node,
        value: &'n Node,
        what: &str,
        shape: &str,
    ) -> Option<Fields<'n>> {
        match value.as_map() {
            Some(entries) => Some(Fields {
                entries,
                at: key.at,
            }),
            None => {
                self.error(
                    value.at,
                    ErrorKind::WrongType,
                    format!("`{what}` is {}; {shape}", value.kind()),
                );
                None
            }
        }
    }

    /// A closed section: every key must be one of `fields`.
    pub(crate) fn closed(&mut self, m: Fields<'_>, fields: &[&str], what: &str) {
        for (key, _) in m.entries {
            let Some(name) = key.as_str() else {
                self.error(
                    key.at,
                    ErrorKind::UnknownField,
                    format!(
                        "`{}` is not a field of `{what}`; valid fields: {}",
                        meta(key),
                        fields.join(", ")
                    ),
                );
                continue;
            };
            if fields.contains(&name) {
                continue;
            }
            let hint = nearest(name, fields.iter().copied())
                .map(|k| format!("did you mean `{k}`?"))
                .unwrap_or_else(|| format!("valid fields: {}", fields.join(", ")));
            self.error(
                key.at,
                ErrorKind::UnknownField,
                format!("unknown {what} field `{name}`; {hint}"),
            );
        }
    }

    /// An open section: unknown keys are metadata, but one within a small edit distance of a known
    /// field is a typo, even when the known field is present too (`implement:` beside
    /// `implements:` would otherwise drop its claims without a word).
    fn misspelt(&mut self, m: Fields<'_>, fields: &[&str], what: &str) {
        for (key, _) in m.entries {
            let Some(name) = key.as_str() else { continue };
            if fields.contains(&name) {
                continue;
            }
            if let Some(known) = nearest(name, fields.iter().copied()) {
                self.error(
                    key.at,
                    ErrorKind::MisspeltField,
                    format!("unknown field `{name}`{what}; did you mean `{known}`?"),
                );
            }
        }
    }

    fn backend(&mut self, root: &Node) -> Option<Parsed> {
        let Some(entries) = root.as_map() else {
            self.error(
                root.at,
                ErrorKind::WrongType,
                format!(
                    "a registry file is a mapping with `backend`, `plugin` and `implements`, not {}",
                    root.kind()
                ),
            );
            return None;
        };
        let top = Fields {
            entries,
            at: Pos::START,
        };
        self.misspelt(top, TOP_FIELDS, "");

        let (name, name_at, value_at) = self.name(top)?;
        let description = match top.get("description") {
            None
            | Some(Node {
                value: Value::Null, ..
            }) => String::new(),
            Some(Node {
                value: Value::Str(s),
                ..
            }) => s.clone(),
            Some(other) => {
                self.error(
                    other.at,
                    ErrorKind::WrongType,
                    format!("`description` is free text, not {}", other.kind()),
                );
                String::new()
            }
        };
        let plugin = match top.entry("plugin") {
            Some((key, value)) => self.plugin(key, value, &name),
            None => {
                self.error(
                    name_at,
                    ErrorKind::NoPlugin,
                    format!("backend `{name}` has no way to start its plugin: add `plugin: built-in` or `plugin: {{ command: [\"path/to/plugin\"] }}`"),
                );
                None
            }
        };

        let mut claims = Vec::new();
        if let Some((key, list)) = top.entry("implements") {
            self.claims(key, list, None, &mut claims);
        }
        if let Some((key, groups)) = top.entry("interfaces") {
            self.grouped(key, groups, &mut claims);
        }
        // After a misspelt `implements`, the missing one is the same mistake: say it once.
        if !top.has("implements") && !top.has("interfaces") && self.errors.is_empty() {
            self.error(
                name_at,
                ErrorKind::NoInterfaces,
                format!("backend `{name}` declares no interfaces: add `implements: [keyvalue_basic, ...]`"),
            );
        }
        self.duplicates(&claims);
        self.requirements(&claims);

        let instance = top
            .entry("instance")
            .and_then(|(key, value)| self.instance(key, value));
        if let (Some(_), Some(PluginSpec::BuiltIn { .. })) = (&instance, &plugin) {
            let at = top.entry("instance").map_or(name_at, |(k, _)| k.at);
            self.error(at, ErrorKind::InvalidValue, "`instance` gives a plugin process its backend as PRISM_BACKEND_URL; a `plugin: built-in` cannot receive it: use `plugin: { command: [...] }`");
        }

        Some(Parsed {
            backend: Backend {
                name,
                description,
                file: self.file.to_path_buf(),
                line: name_at.line,
                plugin: plugin?,
                claims,
                instance,
                metadata: metadata(top.entries, TOP_FIELDS),
            },
            name_at: value_at,
        })
    }

    /// `backend:` (the RFC's) or `name:` (Prism's), a snake_case identifier the generated code
    /// does not use itself.
    /// The name, where its key stands and where its value stands.
    fn name(&mut self, top: Fields<'_>) -> Option<(String, Pos, Pos)> {
        let (key, value) = match (top.entry("backend"), top.entry("name")) {
            (Some(_), Some((name_key, _))) => {
                self.error(
                    name_key.at,
                    ErrorKind::InvalidValue,
                    "give the backend's name once: `backend:` or `name:`, not both",
                );
                return None;
            }
            (Some(entry), None) | (None, Some(entry)) => entry,
            (None, None) => {
                self.error(
                    Pos::START,
                    ErrorKind::MissingField,
                    "no `backend:` field naming the backend",
                );
                return None;
            }
        };
        let field = key.as_str().unwrap_or("backend");
        let Some(name) = value.as_str() else {
            self.error(
                value.at,
                ErrorKind::WrongType,
                format!(
                    "`{field}` is the backend's name, a string, not {}",
                    value.kind()
                ),
            );
            return None;
        };
        if !is_snake_ident(name) {
            self.error(
                value.at,
                ErrorKind::BadName,
                format!(
                    "backend name `{name}` must be snake_case (a-z, 0-9, _; not a Rust keyword): it names a test module, try `{}`",
                    to_snake(name)
                ),
            );
        } else if RESERVED_NAMES.contains(&name) {
            self.error(
                value.at,
                ErrorKind::ReservedName,
                format!(
                    "backend name `{name}` is taken by the generated tests' own code (its module would clash with the crate or item `{name}`): choose another, e.g. `{name}_backend`"
                ),
            );
        }
        Some((name.to_owned(), key.at, value.at))
    }

    fn plugin(&mut self, key: &Node, value: &Node, backend: &str) -> Option<PluginSpec> {
        const HOW: &str = "write `plugin: built-in`, `plugin: { builtin: <name> }` or `plugin: { command: [\"path/to/plugin\", args...] }`";
        match &value.value {
            Value::Str(s) if s == BUILT_IN => Some(PluginSpec::BuiltIn {
                name: backend.to_owned(),
            }),
            Value::Str(s) => {
                let looks_like = if s.contains(':') || s.contains('/') {
                    " (it reads like an image or package reference; prism-suite starts a plugin from a command it runs)"
                } else {
                    ""
                };
                self.error(
                    value.at,
                    ErrorKind::NoPlugin,
                    format!("`plugin: {s}` names no way to start the plugin{looks_like}: {HOW}"),
                );
                None
            }
            Value::Map(_) => {
                let m = self.section(key, value, "plugin", HOW)?;
                if m.has("builtin") {
                    self.closed(m, &["builtin"], "plugin");
                    let name = m.get("builtin")?;
                    match name.as_str() {
                        Some(n) if !n.trim().is_empty() => {
                            Some(PluginSpec::BuiltIn { name: n.to_owned() })
                        }
                        _ => {
                            self.error(name.at, ErrorKind::WrongType, format!("`builtin` is the name a built-in plugin is registered under (`prism_suite::builtin_plugin!`), not {}", name.kind()));
                            None
                        }
                    }
                } else {
                    self.process(m)
                }
            }
            _ => {
                self.error(
                    value.at,
                    ErrorKind::NoPlugin,
                    format!("`plugin` is {}: {HOW}", value.kind()),
                );
                None
            }
        }
    }

    fn process(&mut self, m: Fields<'_>) -> Option<PluginSpec> {
        self.closed(m, PLUGIN_FIELDS, "plugin");
        let command = match m.entry("command") {
            Some((_, v)) => self.command(v, "command")?,
            None => {
                self.error(
                    m.at,
                    ErrorKind::MissingField,
                    "a plugin run as a process needs `command: [\"path/to/plugin\", args...]`",
                );
                return None;
            }
        };
        let build = match m.get("build") {
            None => None,
            Some(v) => Some(self.command(v, "build")?),
        };
        let env = self.env(m)?;
        let startup_timeout_ms = self
            .timeout(m, "startup_timeout_ms")?
            .unwrap_or(DEFAULT_STARTUP_TIMEOUT_MS);
        Some(PluginSpec::Process(ProcessSpec {
            command,
            build,
            env,
            startup_timeout_ms,
        }))
    }

    /// A command: a non-empty list of strings (numbers allowed as arguments), or a string split on
    /// whitespace.
    pub(crate) fn command(&mut self, v: &Node, what: &str) -> Option<Vec<String>> {
        match words(v) {
            Some(c) if !c.is_empty() => Some(c),
            Some(_) => {
                self.error(v.at, ErrorKind::InvalidValue, format!("`{what}` is empty: give the program and its arguments, `{what}: [\"program\", \"arg\"]`"));
                None
            }
            None => {
                self.error(v.at, ErrorKind::WrongType, format!("`{what}` is a list of strings (the program and its arguments) or a string, not {}", v.kind()));
                None
            }
        }
    }

    /// The `env` mapping of a section (empty when absent).
    pub(crate) fn env(&mut self, m: Fields<'_>) -> Option<BTreeMap<String, String>> {
        let mut env = BTreeMap::new();
        let Some((key, v)) = m.entry("env") else {
            return Some(env);
        };
        let map = self.section(key, v, "env", "it maps variable names to strings")?;
        let mut ok = true;
        for (k, v) in map.entries {
            match (k.as_str(), scalar_string(v)) {
                (Some(k), Some(v)) => {
                    env.insert(k.to_owned(), v);
                }
                (None, _) => {
                    self.error(
                        k.at,
                        ErrorKind::WrongType,
                        format!("`env` keys are variable names, not {}", k.kind()),
                    );
                    ok = false;
                }
                (_, None) => {
                    self.error(
                        v.at,
                        ErrorKind::WrongType,
                        format!("`env` values are strings or numbers, not {}", v.kind()),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(env)
    }

    /// A positive number of milliseconds, `None` when absent.
    pub(crate) fn timeout(&mut self, m: Fields<'_>, key: &str) -> Option<Option<u64>> {
        let Some(v) = m.get(key) else {
            return Some(None);
        };
        match v.value {
            Value::Int(ms) if ms > 0 => Some(Some(ms as u64)),
            Value::Int(_) => {
                self.error(
                    v.at,
                    ErrorKind::InvalidValue,
                    format!("`{key}` is a positive number of milliseconds"),
                );
                None
            }
            _ => {
                self.error(
                    v.at,
                    ErrorKind::WrongType,
                    format!(
                        "`{key}` is a positive number of milliseconds, not {}",
                        v.kind()
                    ),
                );
                None
            }
        }
    }

    fn claims(&mut self, key: &Node, list: &Node, model: Option<&str>, out: &mut Vec<Claim>) {
        let items = match &list.value {
            // `implements:` with nothing under it yet (a backend being added) claims nothing.
            Value::Null => return,
            Value::Seq(items) => items,
            _ => {
                let what = key.as_str().unwrap_or("implements");
                self.error(
                    list.at,
                    ErrorKind::WrongType,
                    format!("`{what}` is a list of interfaces, not {}", list.kind()),
                );
                return;
            }
        };
        for item in items {
            if let Some(claim) = self.claim(item, model) {
                out.push(claim);
            }
        }
    }

    fn claim(&mut self, item: &Node, model: Option<&str>) -> Option<Claim> {
        let (name_node, status, reason, metadata) = match &item.value {
            Value::Str(_) => (item, ClaimStatus::Implemented, None, Metadata::new()),
            Value::Map(entries) => {
                let m = Fields {
                    entries,
                    at: item.at,
                };
                self.misspelt(m, CLAIM_FIELDS, " in an interface entry");
                let Some(name) = m.get("interface") else {
                    self.error(
                        item.at,
                        ErrorKind::MissingField,
                        "an interface entry needs `interface: <name>`",
                    );
                    return None;
                };
                let status = self.status(m, name)?;
                let reason = m
                    .get("reason")
                    .or_else(|| m.get("notes"))
                    .map(|r| meta(r).to_string().trim().to_owned())
                    .filter(|r| !r.is_empty() && r != "~");
                let metadata = metadata(entries, &["interface", "status", "reason"]);
                (name, status, reason, metadata)
            }
            _ => {
                self.error(
                    item.at,
                    ErrorKind::WrongType,
                    format!(
                        "an interface entry is a name or `{{ interface: <name>, status: implemented|planned }}`, not {}",
                        item.kind()
                    ),
                );
                return None;
            }
        };
        let Some(interface) = name_node.as_str() else {
            self.error(
                name_node.at,
                ErrorKind::WrongType,
                format!("`interface` is an interface name, not {}", name_node.kind()),
            );
            return None;
        };
        let Some(def) = catalogue::interface(interface) else {
            let hint = match nearest_interface(interface) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!(
                    "the {} interfaces are the protos in proto/proto/prism/interfaces/<model>/",
                    catalogue::INTERFACES.len()
                ),
            };
            self.error(
                name_node.at,
                ErrorKind::UnknownInterface,
                format!("unknown interface `{interface}`; {hint}"),
            );
            return None;
        };
        if let Some(model) = model {
            if def.model != model {
                self.error(
                    name_node.at,
                    ErrorKind::WrongModel,
                    format!(
                        "`{interface}` belongs to the `{}` model, not `{model}`",
                        def.model
                    ),
                );
                return None;
            }
        }
        Some(Claim {
            interface: interface.to_owned(),
            status,
            reason,
            line: name_node.at.line,
            column: name_node.at.column,
            metadata,
        })
    }

    /// `status`: absent (implemented), `implemented` or `planned`; anything else is a mistake,
    /// never a guess.
    fn status(&mut self, m: Fields<'_>, name: &Node) -> Option<ClaimStatus> {
        let Some(v) = m.get("status") else {
            return Some(ClaimStatus::Implemented);
        };
        let interface = name.as_str().unwrap_or("this interface");
        match v.as_str() {
            Some("implemented") => Some(ClaimStatus::Implemented),
            Some("planned") => Some(ClaimStatus::Planned),
            Some("") => {
                self.error(
                    v.at,
                    ErrorKind::WrongType,
                    format!("`status` of `{interface}` is an empty string; write `implemented` or `planned`"),
                );
                None
            }
            Some(other) => {
                let hint = nearest(other, STATUSES.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "use `implemented` or `planned`".to_owned());
                self.error(
                    v.at,
                    ErrorKind::InvalidValue,
                    format!("unknown status `{other}` of `{interface}`; {hint}"),
                );
                None
            }
            None => {
                let shown = match &v.value {
                    Value::Null => String::new(),
                    _ => format!(" (`{}`)", meta(v)),
                };
                self.error(
                    v.at,
                    ErrorKind::WrongType,
                    format!(
                        "`status` of `{interface}` is {}{shown}; write `implemented` or `planned`",
                        v.kind()
                    ),
                );
                None
            }
        }
    }

    fn grouped(&mut self, key: &Node, groups: &Node, out: &mut Vec<Claim>) {
        let entries = match &groups.value {
            Value::Null => return,
            Value::Map(entries) => entries,
            _ => {
                self.error(
                    groups.at,
                    ErrorKind::WrongType,
                    format!(
                        "`{}` maps a data model to its list of interfaces, not {}",
                        key.as_str().unwrap_or("interfaces"),
                        groups.kind()
                    ),
                );
                return;
            }
        };
        let models = catalogue::MODELS;
        for (model_key, list) in entries {
            let known = model_key.as_str().filter(|m| models.contains(m));
            let Some(model) = known else {
                let shown = meta(model_key).to_string();
                let hint = nearest(&shown, models.iter().copied())
                    .filter(|_| model_key.as_str().is_some())
                    .map(|m| format!("did you mean `{m}`?"))
                    .unwrap_or_else(|| format!("models: {}", models.join(", ")));
                self.error(
                    model_key.at,
                    ErrorKind::UnknownModel,
                    format!("`{shown}` is not a data model; {hint}"),
                );
                continue;
            };
            self.claims(model_key, list, Some(model), out);
        }
    }

    fn duplicates(&mut self, claims: &[Claim]) {
        for (i, claim) in claims.iter().enumerate() {
            if let Some(first) = claims[..i].iter().find(|c| c.interface == claim.interface) {
                self.error(
                    Pos {
                        line: claim.line,
                        column: claim.column,
                    },
                    ErrorKind::DuplicateInterface,
                    format!(
                        "interface `{}` is listed twice (first at line {})",
                        claim.interface, first.line
                    ),
                );
            }
        }
    }

    /// An implemented interface whose suite also calls another (`// requires:` in its proto) needs
    /// that one implemented too, or its cases fail with "does not serve" for the wrong interface.
    fn requirements(&mut self, claims: &[Claim]) {
        for claim in claims
            .iter()
            .filter(|c| c.status == ClaimStatus::Implemented)
        {
            let Some(def) = catalogue::interface(&claim.interface) else {
                continue;
            };
            for required in def.requires {
                let have = claims.iter().find(|c| c.interface == *required);
                let why = match have {
                    Some(c) if c.status == ClaimStatus::Implemented => continue,
                    Some(c) => format!("line {} declares it planned", c.line),
                    None => "the file does not claim it".to_owned(),
                };
                self.error(
                    Pos {
                        line: claim.line,
                        column: claim.column,
                    },
                    ErrorKind::MissingRequirement,
                    format!(
                        "`{}` requires `{required}` (its suite calls it, see {}): {why}; add `- {required}` as implemented, or declare `{}` planned",
                        claim.interface, def.proto, claim.interface
                    ),
                );
            }
        }
    }
}

/// The entries of `entries` whose keys are not in `known`, kept as metadata.
pub(crate) fn metadata(entries: &[(Node, Node)], known: &[&str]) -> Metadata {
    entries
        .iter()
        .filter_map(|(k, v)| {
            let key = meta_key(k);
            (!known.contains(&key.as_str())).then(|| (key, meta(v)))
        })
        .collect()
}

fn meta_key(k: &Node) -> String {
    match &k.value {
        Value::Str(s) => s.clone(),
        _ => meta(k).to_string(),
    }
}

/// A node as metadata.
pub(crate) fn meta(v: &Node) -> MetaValue {
    match &v.value {
        Value::Null => MetaValue::Null,
        Value::Bool(b) => MetaValue::Bool(*b),
        Value::Int(i) => MetaValue::Int(*i),
        Value::Float(x) => MetaValue::Float(*x),
        Value::Str(s) => MetaValue::String(s.clone()),
        Value::Seq(items) => MetaValue::List(items.iter().map(meta).collect()),
        Value::Map(entries) => MetaValue::Map(
            entries
                .iter()
                .map(|(k, v)| (meta_key(k), meta(v)))
                .collect(),
        ),
    }
}

/// A list of scalars, or a string split on whitespace.
pub(crate) fn words(v: &Node) -> Option<Vec<String>> {
    match &v.value {
        Value::Str(s) => Some(s.split_whitespace().map(str::to_owned).collect()),
        Value::Seq(items) => items.iter().map(scalar_string).collect(),
        _ => None,
    }
}

/// A string, number or boolean as text.
pub(crate) fn scalar_string(v: &Node) -> Option<String> {
    match &v.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(x) => Some(x.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn is_snake_ident(s: &str) -> bool {
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
    if KEYWORDS.contains(&out.as_str()) {
        out.push_str("_backend");
    }
    out
}

#[cfg(test)]
mod tests;
