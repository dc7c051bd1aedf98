//! The native provider: a server binary from PATH, started by the run's supervisor on free
//! loopback ports (one per named port) in a fresh directory, after the `init` commands. The
//! supervisor keeps its output and exit status and stops it when the run ends (SIGTERM, SIGKILL
//! after 2 s).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;

use prism_registry::{InstanceSpec, WaitFor};

use super::provider::{
    find_program, Availability, Provider, Request, Running, StartContext, Started,
};
use super::ready::{self, Vars, HOST};
use crate::lifecycle::{Capture, ExitRecord, OutputLog, ProcessId, SpawnRequest};

/// How long the server has between SIGTERM and SIGKILL when the run ends.
const STOP_GRACE_MS: u64 = 2000;

/// Runs `instance.native.command`.
pub struct Native;

crate::register_provider!(20, Native);

impl Provider for Native {
    fn name(&self) -> &'static str {
        "native"
    }

    fn undeclared(&self) -> &'static str {
        "the registry gives no native command"
    }

    fn availability(&self, request: &Request<'_>) -> Availability {
        let Some(program) = request.spec.native.as_ref().and_then(|n| n.command.first()) else {
            return Availability::Undeclared;
        };
        if find_program(program).is_some() {
            Availability::Available
        } else {
            Availability::Missing {
                missing: format!("`{program}` is not on PATH"),
                how: format!("install `{program}` (bash scripts/setup-backends.sh)"),
            }
        }
    }

    fn ready<'s>(&self, spec: &'s InstanceSpec) -> &'s [WaitFor] {
        spec.native_ready()
    }

    fn setup<'s>(&self, spec: &'s InstanceSpec) -> &'s [Vec<String>] {
        spec.native_setup()
    }

    fn start(&self, request: &Request<'_>, cx: &StartContext<'_>) -> Result<Started, String> {
        let spec = request.spec;
        let native = spec
            .native
            .as_ref()
            .ok_or("no `instance.native` in the registry")?;
        let mut ports = BTreeMap::new();
        for port in &spec.ports {
            // Free when we look; the server binds it a few milliseconds later.
            let free = TcpListener::bind((HOST, 0))
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free port: {e}"))?
                .port();
            ports.insert(port.name.clone(), free);
        }
        let vars = Vars::new(spec, &ports, &cx.dir);
        let env = native
            .env
            .iter()
            .map(|(k, v)| Ok((k.clone(), vars.expand(v)?)))
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        for init in &native.init {
            let init = vars.expand_all(init)?;
            ready::run_in(&init, &env, Some(&cx.dir), cx.left())
                .map_err(|why| format!("init `{}` {why}", init.join(" ")))?;
        }
        let command = vars.expand_all(&native.command)?;
        let log = cx.dir.join("server.jsonl");
        let exit = cx.dir.join("server.exit.json");
        let mut spawn = SpawnRequest::new(command.clone(), env.clone(), &log, cx.generation, &exit);
        spawn.stdout = Capture::Pipe;
        spawn.cwd = Some(cx.dir.clone());
        spawn.stop_grace_ms = STOP_GRACE_MS;
        let process = cx.run.spawn(&spawn).map_err(|e| e.to_string())?;
        Ok(Started::Running(Box::new(Server {
            program: command[0].clone(),
            process,
            ports,
            log: OutputLog::at(log),
            exit,
            env,
        })))
    }
}

/// A native server under the run's supervisor.
struct Server {
    program: String,
    process: ProcessId,
    ports: BTreeMap<String, u16>,
    log: OutputLog,
    exit: PathBuf,
    env: BTreeMap<String, String>,
}

impl Running for Server {
    fn ports(&self) -> &BTreeMap<String, u16> {
        &self.ports
    }

    fn output(&self) -> String {
        self.log
            .read()
            .into_iter()
            .map(|l| l.line.text + "\n")
            .collect()
    }

    fn ended(&self) -> Option<String> {
        ExitRecord::read(&self.exit).map(|r| r.exit.to_string())
    }

    fn detail(&self) -> String {
        let on: Vec<String> = self.ports.values().map(|p| format!("{HOST}:{p}")).collect();
        format!(
            "`{}` pid {} on {}",
            self.program,
            self.process.pid,
            on.join(", ")
        )
    }

    fn command_env(&self) -> BTreeMap<String, String> {
        self.env.clone()
    }

    fn process(&self) -> Option<ProcessId> {
        Some(self.process)
    }

    fn stop(&mut self) {
        self.process.signal_group(libc::SIGKILL);
    }
}
