//! `instance:`: named ports, readiness conditions, setup steps and the providers' sections.

use super::{scalar_string, Fields, Parser};
use crate::catalogue::nearest;
use crate::error::ErrorKind;
use crate::model::{
    ContainerPort, DockerSpec, InstanceSpec, NativeSpec, PortSpec, WaitFor,
    DEFAULT_INSTANCE_TIMEOUT_MS,
};
use crate::yaml::{Node, Pos, Value};

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
const READY_SHAPE: &str = "each condition is one of `log: \"text\"`, `port: <name>`, `command: [...]`, `probe: { port, send, expect }`";
/// The port of an instance that declares none.
const MAIN_PORT: &str = "main";
/// `ports: { broker: same }`.
const SAME_PORT: &str = "same";

impl Parser<'_> {
    pub(super) fn instance(&mut self, key: &Node, value: &Node) -> Option<InstanceSpec> {
        let m = self.section(
            key,
            value,
            "instance",
            "it is a mapping with `url` and `docker` and/or `native`",
        )?;
        self.closed(m, INSTANCE_FIELDS, "instance");
        let url = match m.get("url") {
            Some(Node {
                value: Value::Str(u),
                ..
            }) if !u.trim().is_empty() => u.clone(),
            Some(other) => {
                self.error(other.at, ErrorKind::WrongType, format!("`url` is the non-empty connection string the plugin gets, e.g. \"redis://${{HOST}}:${{PORT}}\", not {}", other.kind()));
                return None;
            }
            None => {
                self.error(m.at, ErrorKind::MissingField, "`instance` needs `url: \"<scheme>://${HOST}:${PORT}\"`: what the plugin gets as PRISM_BACKEND_URL");
                return None;
            }
        };
        let docker = match m.entry("docker") {
            None => None,
            Some((k, v)) => Some(self.docker(k, v)?),
        };
        let native = match m.entry("native") {
            None => None,
            Some((k, v)) => Some(self.native(k, v)?),
        };
        let docker_port = docker.as_ref().map(|(_, port, at)| (*port, *at));
        let ports = self.ports(m, docker_port)?;
        let ready = self
            .ready(m)?
            .unwrap_or_else(|| vec![WaitFor::Port(ports[0].name.clone())]);
        let setup = self.commands(m, "setup")?.unwrap_or_default();
        let startup_timeout_ms = self
            .timeout(m, "startup_timeout_ms")?
            .unwrap_or(DEFAULT_INSTANCE_TIMEOUT_MS);
        let spec = InstanceSpec {
            url,
            ports,
            ready,
            setup,
            startup_timeout_ms,
            docker: docker.map(|(d, _, _)| d),
            native,
        };
        self.port_names(&spec, value)?;
        Some(spec)
    }

    /// `ports: { name: <port> | same }`, else `docker.port` as `main`, else `main` alone.
    fn ports(
        &mut self,
        m: Fields<'_>,
        docker_port: Option<(Option<u16>, Pos)>,
    ) -> Option<Vec<PortSpec>> {
        let Some((key, v)) = m.entry("ports") else {
            return match docker_port {
                Some((Some(port), _)) => Some(vec![PortSpec {
                    name: MAIN_PORT.to_owned(),
                    container: ContainerPort::Fixed(port),
                }]),
                Some((None, at)) => {
                    self.error(at, ErrorKind::MissingField, "`docker` needs `port: <1-65535>`, the port the server listens on in the container, or `ports: { main: <port> }` in `instance`");
                    None
                }
                None => Some(vec![PortSpec {
                    name: MAIN_PORT.to_owned(),
                    container: ContainerPort::SameAsHost,
                }]),
            };
        };
        if let Some((Some(_), _)) = docker_port {
            self.error(key.at, ErrorKind::InvalidValue, "give the container port once: `ports: { main: <port> }` or `docker.port`, not both");
            return None;
        }
        let map = self.section(
            key,
            v,
            "ports",
            "it maps port names to the container port or `same`, e.g. `ports: { main: 5432 }`",
        )?;
        if map.entries.is_empty() {
            self.error(
                v.at,
                ErrorKind::InvalidValue,
                "`ports` is empty: name at least one, e.g. `ports: { main: 5432 }`",
            );
            return None;
        }
        let mut ports = Vec::new();
        for (name, port) in map.entries {
            let Some(name) = name.as_str().filter(|n| super::is_snake_ident(n)) else {
                self.error(
                    name.at,
                    ErrorKind::InvalidValue,
                    "port names are snake_case (`main`, `broker`): they become ${PORT_<NAME>}",
                );
                return None;
            };
            let container = match &port.value {
                Value::Str(s) if s == SAME_PORT => ContainerPort::SameAsHost,
                Value::Int(p) if (1..=65535).contains(p) => ContainerPort::Fixed(*p as u16),
                _ => {
                    self.error(port.at, ErrorKind::InvalidValue, format!("port `{name}` is a container port (1-65535) or `same` (the container listens on its published host port)"));
                    return None;
                }
            };
            ports.push(PortSpec {
                name: name.to_owned(),
                container,
            });
        }
        Some(ports)
    }

    /// `ready: [...]` or `ready_log: "..."` of a section; `None` when it has neither.
    fn ready(&mut self, m: Fields<'_>) -> Option<Option<Vec<WaitFor>>> {
        match (m.entry("ready"), m.entry("ready_log")) {
            (None, None) => Some(None),
            (Some(_), Some((key, _))) => {
                self.error(
                    key.at,
                    ErrorKind::InvalidValue,
                    "give `ready: [...]` or its shorthand `ready_log`, not both",
                );
                None
            }
            (None, Some((_, v))) => match v.as_str() {
                Some(s) if !s.is_empty() => Some(Some(vec![WaitFor::Log(s.to_owned())])),
                _ => {
                    self.error(v.at, ErrorKind::WrongType, format!("`ready_log` is the text of a line the server writes when ready (leave it out to wait for the port), not {}", v.kind()));
                    None
                }
            },
            (Some((_, v)), None) => {
                let Some(items) = v.as_seq() else {
                    self.error(
                        v.at,
                        ErrorKind::WrongType,
                        format!(
                            "`ready` is a list of conditions, not {}; {READY_SHAPE}",
                            v.kind()
                        ),
                    );
                    return None;
                };
                let mut out = Vec::new();
                for item in items {
                    out.push(self.wait_for(item)?);
                }
                Some(Some(out))
            }
        }
    }

    fn wait_for(&mut self, item: &Node) -> Option<WaitFor> {
        let single = item.as_map().filter(|m| m.len() == 1).map(|m| &m[0]);
        let Some((key, v)) = single else {
            self.error(
                item.at,
                ErrorKind::WrongType,
                format!(
                    "a ready condition is a mapping with one key, not {}; {READY_SHAPE}",
                    item.kind()
                ),
            );
            return None;
        };
        let Some(kind) = key.as_str().filter(|k| READY_KINDS.contains(k)) else {
            let shown = super::meta(key).to_string();
            let hint = nearest(&shown, READY_KINDS.iter().copied())
                .map(|k| format!("did you mean `{k}`?"))
                .unwrap_or_else(|| format!("valid conditions: {}", READY_KINDS.join(", ")));
            self.error(
                key.at,
                ErrorKind::UnknownField,
                format!("unknown ready condition `{shown}`; {hint}"),
            );
            return None;
        };
        let cond = match (kind, &v.value) {
            ("log", Value::Str(s)) if !s.is_empty() => WaitFor::Log(s.clone()),
            ("port", Value::Str(s)) => WaitFor::Port(s.clone()),
            ("command", _) => WaitFor::Command(self.command(v, "command")?),
            ("probe", Value::Map(_)) => {
                let p = self.section(key, v, "probe", "")?;
                self.closed(p, PROBE_FIELDS, "probe");
                let text = |k: &str| p.get(k).and_then(scalar_string);
                match (text("port"), text("send"), text("expect")) {
                    (Some(port), Some(send), Some(expect)) if !expect.is_empty() => {
                        WaitFor::Probe {
                            port,
                            send: send.into_bytes(),
                            expect: expect.into_bytes(),
                        }
                    }
                    _ => {
                        self.error(v.at, ErrorKind::MissingField, "`probe` needs `port` (a port name), `send` and a non-empty `expect`, all strings");
                        return None;
                    }
                }
            }
            _ => {
                self.error(
                    v.at,
                    ErrorKind::WrongType,
                    format!(
                        "ready condition `{kind}` cannot be {}; {READY_SHAPE}",
                        v.kind()
                    ),
                );
                return None;
            }
        };
        Some(cond)
    }

    /// A list of commands (`setup`, `init`), each a list of strings or a string split on spaces.
    fn commands(&mut self, m: Fields<'_>, key: &str) -> Option<Option<Vec<Vec<String>>>> {
        let Some(v) = m.get(key) else {
            return Some(None);
        };
        let Some(items) = v.as_seq() else {
            self.error(v.at, ErrorKind::WrongType, format!("`{key}` is a list of commands, each a list of strings: `{key}: [[\"prog\", \"arg\"]]`, not {}", v.kind()));
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            out.push(self.command(item, key)?);
        }
        Some(Some(out))
    }

    /// Every `port:` and `probe.port` names a declared port.
    fn port_names(&mut self, spec: &InstanceSpec, section: &Node) -> Option<()> {
        let names: Vec<&str> = spec.ports.iter().map(|p| p.name.as_str()).collect();
        let mut ok = true;
        for (port, at) in ready_port_refs(section) {
            if !names.contains(&port.as_str()) {
                self.error(
                    at,
                    ErrorKind::InvalidValue,
                    format!(
                        "ready condition names port `{port}`, which `ports` does not declare (ports: {})",
                        names.join(", ")
                    ),
                );
                ok = false;
            }
        }
        ok.then_some(())
    }

    /// The docker section, its `port` shorthand and where the section's key stands.
    fn docker(&mut self, key: &Node, value: &Node) -> Option<(DockerSpec, Option<u16>, Pos)> {
        let m = self.section(
            key,
            value,
            "docker",
            "it is a mapping with `image` and `port`",
        )?;
        self.closed(m, DOCKER_FIELDS, "docker");
        let image = match m.get("image") {
            Some(Node {
                value: Value::Str(i),
                ..
            }) if !i.trim().is_empty() => i.clone(),
            Some(other) => {
                self.error(
                    other.at,
                    ErrorKind::WrongType,
                    format!(
                        "`image` is an image reference, \"name:tag\", not {}",
                        other.kind()
                    ),
                );
                return None;
            }
            None => {
                self.error(
                    m.at,
                    ErrorKind::MissingField,
                    "`docker` needs `image: \"name:tag\"`",
                );
                return None;
            }
        };
        let port = match m.get("port") {
            None => None,
            Some(p) => match p.value {
                Value::Int(n) if (1..=65535).contains(&n) => Some(n as u16),
                _ => {
                    self.error(
                        p.at,
                        ErrorKind::InvalidValue,
                        "`docker` needs `port: <1-65535>`, the port the server listens on in the container",
                    );
                    return None;
                }
            },
        };
        let ready = self.ready(m)?;
        let setup = self.commands(m, "setup")?;
        let args = match m.get("args") {
            None => Vec::new(),
            Some(v) => match super::words(v) {
                Some(a) => a,
                None => {
                    self.error(
                        v.at,
                        ErrorKind::WrongType,
                        format!("`args` is a string or a list of strings, not {}", v.kind()),
                    );
                    return None;
                }
            },
        };
        let env = self.env(m)?;
        Some((
            DockerSpec {
                image,
                args,
                env,
                ready,
                setup,
            },
            port,
            m.at,
        ))
    }

    fn native(&mut self, key: &Node, value: &Node) -> Option<NativeSpec> {
        let m = self.section(key, value, "native", "it is a mapping with `command`")?;
        self.closed(m, NATIVE_FIELDS, "native");
        let command = match m.entry("command") {
            Some((_, v)) if super::words(v).is_some_and(|c| !c.is_empty()) => {
                super::words(v).unwrap_or_default()
            }
            Some((key, v)) => {
                self.error(
                    key.at,
                    ErrorKind::WrongType,
                    format!("`native` needs `command: [\"server\", \"--port\", \"${{PORT}}\", ...]`, a non-empty list of strings, not {}", v.kind()),
                );
                return None;
            }
            None => {
                self.error(
                    m.at,
                    ErrorKind::MissingField,
                    "`native` needs `command: [\"server\", \"--port\", \"${PORT}\", ...]`, a list of strings",
                );
                return None;
            }
        };
        let init = self.commands(m, "init")?.unwrap_or_default();
        let env = self.env(m)?;
        let ready = self.ready(m)?;
        let setup = self.commands(m, "setup")?;
        Some(NativeSpec {
            command,
            init,
            env,
            ready,
            setup,
        })
    }
}

/// Every port name a ready condition of the instance section refers to, with its position: the
/// instance's own `ready` and the providers'.
fn ready_port_refs(section: &Node) -> Vec<(String, Pos)> {
    let mut out = Vec::new();
    let lists = |m: &[(Node, Node)]| {
        m.iter()
            .find(|(k, _)| k.as_str() == Some("ready"))
            .and_then(|(_, v)| v.as_seq().map(<[Node]>::to_vec))
            .unwrap_or_default()
    };
    let Some(top) = section.as_map() else {
        return out;
    };
    let mut conditions = lists(top);
    for provider in ["docker", "native"] {
        if let Some((_, p)) = top.iter().find(|(k, _)| k.as_str() == Some(provider)) {
            if let Some(m) = p.as_map() {
                conditions.extend(lists(m));
            }
        }
    }
    for cond in conditions {
        let Some([(k, v)]) = cond.as_map() else {
            continue;
        };
        let port = match k.as_str() {
            Some("port") => Some(v),
            Some("probe") => v
                .as_map()
                .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("port")))
                .map(|(_, v)| v),
            _ => None,
        };
        if let Some(Node {
            value: Value::Str(name),
            at,
        }) = port
        {
            out.push((name.clone(), *at));
        }
    }
    out
}
