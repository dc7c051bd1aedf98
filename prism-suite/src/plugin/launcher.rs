//! The one thread that spawns plugin processes, and the exit hook that stops them.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

type Request = (Command, Sender<io::Result<Child>>);

static LAUNCHER: OnceLock<Mutex<Sender<Request>>> = OnceLock::new();
/// Pids of live children, for the exit hook.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// How long a plugin gets between SIGTERM and SIGKILL when the test process exits.
const GRACE: Duration = Duration::from_millis(1500);

/// Spawns `command` from the launcher thread, so the child dies with this process.
pub fn spawn(mut command: Command) -> io::Result<Child> {
    // SAFETY: the closure runs in the forked child before exec and calls only prctl and getppid,
    // both async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            // Ends the plugin when the launcher thread, which lives until the process exits, dies:
            // this covers a SIGKILLed test process, where no exit hook runs.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl.
            if libc::getppid() == 1 {
                return Err(io::Error::other(
                    "test process exited while starting the plugin",
                ));
            }
            Ok(())
        });
    }
    let sender = LAUNCHER.get_or_init(|| {
        let (tx, rx) = channel::<Request>();
        std::thread::Builder::new()
            .name("prism-launcher".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let child = command.spawn();
                    if let Ok(c) = &child {
                        if let Ok(mut pids) = CHILDREN.lock() {
                            pids.push(c.id());
                        }
                    }
                    let _ = reply.send(child);
                }
            })
            .expect("spawn the prism-launcher thread");
        // SAFETY: registering a plain extern "C" function with no captured state.
        unsafe { libc::atexit(stop_children) };
        Mutex::new(tx)
    });
    let (tx, rx) = channel();
    sender
        .lock()
        .map_err(|_| io::Error::other("launcher lock poisoned"))?
        .send((command, tx))
        .map_err(|_| io::Error::other("launcher thread is gone"))?;
    rx.recv()
        .map_err(|_| io::Error::other("launcher thread is gone"))?
}

/// Forgets a child that was reaped.
pub fn forget(pid: u32) {
    if let Ok(mut pids) = CHILDREN.lock() {
        pids.retain(|p| *p != pid);
    }
}

/// Sends SIGKILL to a child now.
pub fn kill(pid: u32) {
    // SAFETY: kill(2) on a pid we spawned and have not reaped.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
}

extern "C" fn stop_children() {
    let pids = match CHILDREN.lock() {
        Ok(p) => p.clone(),
        Err(_) => return,
    };
    for pid in &pids {
        // SAFETY: signalling children we spawned.
        unsafe { libc::kill(*pid as libc::pid_t, libc::SIGTERM) };
    }
    let deadline = Instant::now() + GRACE;
    let mut alive = pids;
    while !alive.is_empty() && Instant::now() < deadline {
        // SAFETY: non-blocking waitpid on our own children.
        alive.retain(|pid| unsafe { libc::waitpid(*pid as libc::pid_t, std::ptr::null_mut(), libc::WNOHANG) } == 0);
        std::thread::sleep(Duration::from_millis(10));
    }
    for pid in alive {
        kill(pid);
    }
}
