//! Ports for plugin processes, and who really listens on one.
//!
//! The harness picks a free port and hands it to the plugin, which binds it a few milliseconds
//! later. Under nextest hundreds of test processes do this at once, so now and then two of them pick
//! the same port: one plugin fails to bind, and its harness would find the *other* process's plugin
//! answering health checks, use it, and lose it when that process ends. Checking which process owns
//! the listening socket closes that gap (Linux `/proc`; elsewhere the check is skipped).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;

/// A loopback port that is free now.
pub fn free_port() -> std::io::Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// Whether the socket listening on `port` belongs to `pid` or one of its descendants (a plugin may
/// be a wrapper script that starts the real server). `None` when that cannot be told.
pub fn listener_is_ours(port: u16, pid: u32) -> Option<bool> {
    let inodes = listening_inodes(port)?;
    if inodes.is_empty() {
        return None;
    }
    let wanted: HashSet<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    // Only our own process tree is read, which stays cheap with hundreds of processes around.
    let mut tree = vec![pid];
    let mut next = 0;
    while next < tree.len() {
        let p = tree[next];
        next += 1;
        if holds(p, &wanted) {
            return Some(true);
        }
        tree.extend(children(p)?);
    }
    Some(false)
}

/// Whether process `pid` has one of the `wanted` socket links open.
fn holds(pid: u32, wanted: &HashSet<String>) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .any(|target| target.to_str().is_some_and(|t| wanted.contains(t)))
}

/// Direct children of `pid`, from every thread's `children` list; `None` where the kernel has none.
fn children(pid: u32) -> Option<Vec<u32>> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut out = Vec::new();
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("children")).ok()?;
        out.extend(
            text.split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    Some(out)
}

/// Inodes of the sockets in LISTEN state on `port`, from /proc/net/tcp and tcp6.
///
/// The kernel lists listening sockets first, then every connected and TIME_WAIT one (thousands
/// after a few test runs, ~10 ms of kernel time per full read): reading stops at the first socket
/// that is not listening, so the check costs a page of the file, not all of it.
fn listening_inodes(port: u16) -> Option<HashSet<String>> {
    let mut inodes = HashSet::new();
    let mut readable = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(file) = std::fs::File::open(table) else {
            continue;
        };
        readable = true;
        for line in BufReader::new(file).lines().skip(1) {
            let Ok(line) = line else { break };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if *state != "0A" {
                break;
            }
            let on_port = local
                .rsplit(':')
                .next()
                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                == Some(port);
            if on_port {
                inodes.insert((*inode).to_owned());
            }
        }
    }
    readable.then_some(inodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_is_ours_only_in_our_process_tree() {
        // A port below the ephemeral range: other tests of this binary bind port 0 concurrently,
        // and one could get this port back as soon as it is freed.
        let listener = (20_000..30_000)
            .map(|p| p + std::process::id() as u16 % 1000)
            .find_map(|p| std::net::TcpListener::bind(("127.0.0.1", p)).ok())
            .expect("bind a port below the ephemeral range");
        let port = listener.local_addr().expect("addr").port();
        let me = std::process::id();
        // /proc may be unavailable in odd sandboxes: then the check says it cannot tell.
        if let Some(ours) = listener_is_ours(port, me) {
            assert!(ours, "this process's listener not attributed to it");
            let mut child = std::process::Command::new("sleep")
                .arg("5")
                .spawn()
                .expect("spawn sleep");
            let theirs = listener_is_ours(port, child.id());
            child.kill().ok();
            child.wait().ok();
            assert_eq!(
                theirs,
                Some(false),
                "a child without the socket was taken for its owner"
            );
        }
        drop(listener);
        // Another test's process, forked but not yet exec'd, can hold a copy of the socket for a
        // moment after we close ours: the listener must go, not at once.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut left = listener_is_ours(port, me);
        while left.is_some() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
            left = listener_is_ours(port, me);
        }
        assert_eq!(left, None, "no listener left on the port");
    }
}
