//! Which addresses a run listens on: the TCP listening sockets of the processes the run's
//! supervisor started and of their descendants, from `/proc` (Linux). Everything a run starts
//! must listen on loopback only; the tests check it with this.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::Run;

/// A listening TCP socket and the process holding it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listener {
    /// The process holding the socket.
    pub pid: u32,
    /// The local address it listens on.
    pub addr: SocketAddr,
}

impl Run {
    /// The listening sockets of every live process the run's supervisor started, and of their
    /// descendants (a wrapper script's server).
    pub fn listening(&self) -> Vec<Listener> {
        let roots: Vec<u32> = self
            .started()
            .into_iter()
            .filter(|s| s.process.is_alive())
            .map(|s| s.process.pid)
            .collect();
        listening_of(&roots)
    }
}

/// The listening sockets of `roots` and their descendants.
pub fn listening_of(roots: &[u32]) -> Vec<Listener> {
    let table = listening_table();
    let mut out = BTreeSet::new();
    let mut tree: Vec<u32> = roots.to_vec();
    let mut next = 0;
    while next < tree.len() {
        let pid = tree[next];
        next += 1;
        for inode in socket_inodes(pid) {
            if let Some(addr) = table.get(&inode) {
                out.insert(Listener { pid, addr: *addr });
            }
        }
        tree.extend(children(pid));
    }
    out.into_iter().collect()
}

/// Every listening socket on `port`, whoever holds it (docker's port proxy, for instance).
pub fn listeners_on(port: u16) -> Vec<SocketAddr> {
    let mut addrs: Vec<SocketAddr> = listening_table()
        .into_values()
        .filter(|a| a.port() == port)
        .collect();
    addrs.sort();
    addrs.dedup();
    addrs
}

/// Listening sockets by inode, from /proc/net/tcp and tcp6.
fn listening_table() -> HashMap<u64, SocketAddr> {
    let mut table = HashMap::new();
    for (path, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if *state != "0A" {
                continue;
            }
            if let (Some(addr), Ok(inode)) = (parse_addr(local, v6), inode.parse::<u64>()) {
                table.insert(inode, addr);
            }
        }
    }
    table
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6), as the kernel prints them: each
/// 32-bit word in host (little-endian) order.
fn parse_addr(text: &str, v6: bool) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let words: Vec<u32> = (0..ip.len() / 8)
        .map(|i| u32::from_str_radix(&ip[i * 8..i * 8 + 8], 16).map(u32::swap_bytes))
        .collect::<Result<_, _>>()
        .ok()?;
    let ip = match (v6, words.as_slice()) {
        (false, [w]) => IpAddr::V4(Ipv4Addr::from(*w)),
        (true, [a, b, c, d]) => {
            let bytes: Vec<u8> = [a, b, c, d].iter().flat_map(|w| w.to_be_bytes()).collect();
            let bytes: [u8; 16] = bytes.try_into().ok()?;
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

fn socket_inodes(pid: u32) -> Vec<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let t = target.to_str()?;
            t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|c| c.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_addresses_parse() {
        assert_eq!(
            parse_addr("0100007F:1F90", false),
            Some("127.0.0.1:8080".parse().expect("addr"))
        );
        assert_eq!(
            parse_addr("00000000:0050", false),
            Some("0.0.0.0:80".parse().expect("addr"))
        );
        assert_eq!(
            parse_addr("00000000000000000000000001000000:1F90", true),
            Some("[::1]:8080".parse().expect("addr"))
        );
        assert_eq!(
            parse_addr("00000000000000000000000000000000:0016", true),
            Some("[::]:22".parse().expect("addr"))
        );
    }

    #[test]
    fn a_listener_of_this_process_is_found_with_its_address() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        let found = listening_of(&[std::process::id()]);
        assert!(
            found.contains(&Listener {
                pid: std::process::id(),
                addr
            }),
            "{found:?}"
        );
        assert_eq!(listeners_on(addr.port()), [addr]);
    }
}
