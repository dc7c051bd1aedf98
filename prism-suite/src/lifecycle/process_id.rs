//! A process named so that a recycled pid is never mistaken for it: pid and start time.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A process identified by its pid and its start time (clock ticks after boot, from
/// `/proc/<pid>/stat`): a pid reused by a later process has another start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProcessId {
    /// The pid.
    pub pid: u32,
    /// When it started, in clock ticks after boot (0 where `/proc` cannot tell).
    pub start_time: u64,
}

impl ProcessId {
    /// The calling process.
    pub fn current() -> ProcessId {
        let pid = std::process::id();
        ProcessId::of(pid).unwrap_or(ProcessId { pid, start_time: 0 })
    }

    /// Process `pid` as it is now, or `None` if there is none (a zombie counts as gone).
    pub fn of(pid: u32) -> Option<ProcessId> {
        let stat = Stat::read(pid)?;
        (!stat.zombie).then_some(ProcessId {
            pid,
            start_time: stat.start_time,
        })
    }

    /// Whether this very process still runs: same pid, same start time, not a zombie.
    pub fn is_alive(&self) -> bool {
        ProcessId::of(self.pid).is_some_and(|now| now.start_time == self.start_time)
    }

    /// Sends `signal` to the process, if it is still this process. Returns whether it was sent.
    pub fn signal(&self, signal: i32) -> bool {
        if !self.is_alive() {
            return false;
        }
        // SAFETY: kill(2) with a pid checked just above; at worst the process has just ended.
        unsafe { libc::kill(self.pid as libc::pid_t, signal) == 0 }
    }

    /// Sends `signal` to the process group this process leads (supervised children lead one, so
    /// a wrapper script's own children get it too), if the process is still this one.
    pub fn signal_group(&self, signal: i32) -> bool {
        if !self.is_alive() {
            return false;
        }
        // SAFETY: as above, with a negative pid naming the group it leads.
        let group = unsafe { libc::kill(-(self.pid as libc::pid_t), signal) == 0 };
        group || self.signal(signal)
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.pid, self.start_time)
    }
}

/// The fields of `/proc/<pid>/stat` this module needs.
struct Stat {
    zombie: bool,
    start_time: u64,
}

impl Stat {
    fn read(pid: u32) -> Option<Stat> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        Stat::parse(&text)
    }

    /// The command name in field 2 may hold spaces and parentheses: fields are counted after
    /// its last `)`. The state is field 3, the start time field 22.
    fn parse(text: &str) -> Option<Stat> {
        let after_comm = text.rsplit_once(')')?.1;
        let mut fields = after_comm.split_whitespace();
        let state = fields.next()?;
        let start_time = fields.nth(18)?.parse().ok()?;
        Some(Stat {
            zombie: state == "Z" || state == "X",
            start_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        let stat = Stat::parse(line).expect("parses");
        assert_eq!(stat.start_time, 987654);
        assert!(!stat.zombie);
        let zombie = line.replace(") S ", ") Z ");
        assert!(Stat::parse(&zombie).expect("parses").zombie);
        assert!(Stat::parse("garbage").is_none());
    }

    #[test]
    fn a_process_is_known_by_pid_and_start_time() {
        let me = ProcessId::current();
        assert!(me.start_time > 0, "/proc gives this process a start time");
        assert!(me.is_alive());
        let recycled = ProcessId {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(
            !recycled.is_alive(),
            "the same pid with another start time is another process"
        );
        assert!(!recycled.signal(0), "no signal to a process that is gone");
    }

    #[test]
    fn an_ended_process_is_not_alive_even_as_a_zombie() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let id = ProcessId::of(child.id()).expect("the child runs");
        assert!(id.is_alive());
        // SAFETY: SIGKILL to our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        // Not reaped yet: a zombie, which must count as gone.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while id.is_alive() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!id.is_alive(), "a killed, unreaped child counts as gone");
        child.wait().expect("reap");
        assert!(!id.is_alive());
    }
}
