//! What a supervised process wrote, line by line, with the time each line was read, and how it
//! ended.
//!
//! The run's supervisor reads a child's stdout (through a pseudo-terminal, so that a program whose
//! stdio buffers by block when writing to a pipe or file buffers by line) and its stderr (a pipe)
//! and appends every line to the child's log as one JSON object: time read, generation, source,
//! text. Test processes append their own notes about the child (source `harness`) to the same
//! log. Each append is one `write` on a file opened with `O_APPEND`, so lines of different writers
//! never interleave, and any process of the run can read the log.

use std::fmt;
use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Longest part of the log read back (a plugin may log a lot; messages need the recent part).
const READ_WINDOW: u64 = 8 * 1024 * 1024;

/// One line of output, stamped with the time it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    /// When the supervisor read it (or the harness wrote it).
    pub at: SystemTime,
    /// Who wrote it.
    pub source: OutputSource,
    /// The line, without its line ending.
    pub text: String,
}

/// Who wrote an output line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputSource {
    /// The process's standard output.
    Stdout,
    /// The process's standard error.
    Stderr,
    /// A note of prism-suite about the process (started, crashed, restarted, killed).
    Harness,
}

impl fmt::Display for OutputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputSource::Stdout => "stdout",
            OutputSource::Stderr => "stderr",
            OutputSource::Harness => "harness",
        })
    }
}

/// One line as stored in a log file.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// Microseconds since the Unix epoch.
    at: u64,
    /// Generation of the process that wrote it (0 for notes about no generation in particular).
    #[serde(rename = "gen")]
    generation: u64,
    #[serde(rename = "src")]
    source: OutputSource,
    text: String,
}

fn micros(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The log of one supervised thing (every generation of it), shared by the run's processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLog {
    path: PathBuf,
}

/// A line read back from a log, with the generation that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedLine {
    /// Generation of the process that wrote it (0 when the note concerns none).
    pub generation: u64,
    /// The line.
    pub line: OutputLine,
}

impl OutputLog {
    /// The log at `path` (created on first append).
    pub fn at(path: impl Into<PathBuf>) -> OutputLog {
        OutputLog { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line, stamped now.
    pub fn append(&self, generation: u64, source: OutputSource, text: &str) -> io::Result<()> {
        self.append_at(SystemTime::now(), generation, source, text)
    }

    /// Appends one line stamped `at`.
    pub fn append_at(
        &self,
        at: SystemTime,
        generation: u64,
        source: OutputSource,
        text: &str,
    ) -> io::Result<()> {
        let record = Record {
            at: micros(at),
            generation,
            source,
            text: text.to_owned(),
        };
        let mut bytes = serde_json::to_vec(&record).map_err(io::Error::other)?;
        bytes.push(b'\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        // One write per line: O_APPEND keeps concurrent writers' lines whole.
        file.write_all(&bytes)
    }

    /// Every line still in the window read back, oldest first (a line being written is skipped).
    pub fn read(&self) -> Vec<LoggedLine> {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let from = len.saturating_sub(READ_WINDOW);
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_end(&mut bytes).is_err() {
            return Vec::new();
        }
        bytes
            .split(|b| *b == b'\n')
            // A window that starts mid-file starts mid-line: that line does not parse.
            .filter_map(|l| serde_json::from_slice::<Record>(l).ok())
            .map(|r| LoggedLine {
                generation: r.generation,
                line: OutputLine {
                    at: UNIX_EPOCH + Duration::from_micros(r.at),
                    source: r.source,
                    text: r.text,
                },
            })
            .collect()
    }

    /// The lines read from `from` to `to`, both included, oldest first.
    pub fn between(&self, from: SystemTime, to: SystemTime) -> Vec<OutputLine> {
        let (from, to) = (micros(from), micros(to));
        self.read()
            .into_iter()
            .map(|l| l.line)
            .filter(|l| (from..=to).contains(&micros(l.at)))
            .collect()
    }

    /// The last `n` lines that generation `generation` wrote (notes about it included).
    pub fn tail_of(&self, generation: u64, n: usize) -> Vec<OutputLine> {
        let mut lines: Vec<OutputLine> = self
            .read()
            .into_iter()
            .filter(|l| l.generation == generation)
            .map(|l| l.line)
            .collect();
        lines.drain(..lines.len().saturating_sub(n));
        lines
    }
}

/// How a supervised process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exit {
    /// It exited with this status.
    Code(i32),
    /// This signal killed it.
    Signal(i32),
    /// It is gone and nothing recorded how (its supervisor was gone too).
    Unknown,
}

impl Exit {
    /// From the status `wait` returned.
    pub fn from_status(status: std::process::ExitStatus) -> Exit {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(signal)) => Exit::Signal(signal),
            (None, None) => Exit::Unknown,
        }
    }
}

impl fmt::Display for Exit {
    /// "exited with status 3", "was killed by signal 6 (SIGABRT)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exited with status {code}"),
            Exit::Signal(signal) => match signal_name(*signal) {
                Some(name) => write!(f, "was killed by signal {signal} ({name})"),
                None => write!(f, "was killed by signal {signal}"),
            },
            Exit::Unknown => f.write_str("ended (its exit status was not recorded)"),
        }
    }
}

/// The usual name of a signal that ends processes.
pub fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        _ => return None,
    })
}

/// What the supervisor records when a child ends: how, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// How it ended.
    pub exit: Exit,
    /// Microseconds since the Unix epoch.
    pub at: u64,
}

impl ExitRecord {
    /// Reads the record at `path`; `None` while the child runs (or a record is half written,
    /// which cannot happen: records are renamed into place).
    pub fn read(path: &Path) -> Option<ExitRecord> {
        let bytes = std::fs::read(path).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes `exit`, stamped now, to `path`, whole or not at all.
    pub fn write(path: &Path, exit: Exit) -> io::Result<()> {
        let record = ExitRecord {
            exit,
            at: micros(SystemTime::now()),
        };
        let bytes = serde_json::to_vec(&record).map_err(io::Error::other)?;
        super::write_atomically(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_log(name: &str) -> OutputLog {
        let dir = std::env::temp_dir().join(format!(
            "prism-suite-output-test-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let log = OutputLog::at(dir.join("output.jsonl"));
        let _ = std::fs::remove_file(log.path());
        log
    }

    fn remove(log: &OutputLog) {
        if let Some(dir) = log.path().parent() {
            std::fs::remove_dir_all(dir).ok();
        }
    }

    #[test]
    fn lines_keep_time_source_and_generation_and_filter_by_time() {
        let log = temp_log("between");
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        log.append_at(at(0), 1, OutputSource::Stdout, "listening")
            .expect("append");
        log.append_at(at(10), 1, OutputSource::Harness, "case starts")
            .expect("append");
        log.append_at(at(20), 1, OutputSource::Stderr, "boom")
            .expect("append");
        log.append_at(at(30), 2, OutputSource::Stdout, "listening again")
            .expect("append");
        let during: Vec<(OutputSource, String)> = log
            .between(at(10), at(20))
            .into_iter()
            .map(|l| (l.source, l.text))
            .collect();
        assert_eq!(
            during,
            [
                (OutputSource::Harness, "case starts".to_owned()),
                (OutputSource::Stderr, "boom".to_owned())
            ]
        );
        let tail: Vec<String> = log.tail_of(1, 2).into_iter().map(|l| l.text).collect();
        assert_eq!(tail, ["case starts", "boom"]);
        assert_eq!(log.tail_of(2, 5)[0].at, at(30));
        remove(&log);
    }

    #[test]
    fn text_with_newlines_and_quotes_round_trips_and_garbage_is_skipped() {
        let log = temp_log("escape");
        log.append(1, OutputSource::Stdout, "a \"quoted\"\tline \u{1F600}")
            .expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .and_then(|mut f| f.write_all(b"{\"at\": 1, \"gen\"\n"))
            .expect("write garbage");
        let lines = log.read();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].line.text, "a \"quoted\"\tline \u{1F600}");
        remove(&log);
    }

    #[test]
    fn exits_read_as_people_say_them() {
        assert_eq!(Exit::Code(3).to_string(), "exited with status 3");
        assert_eq!(
            Exit::Signal(6).to_string(),
            "was killed by signal 6 (SIGABRT)"
        );
        assert_eq!(
            Exit::Signal(9).to_string(),
            "was killed by signal 9 (SIGKILL)"
        );
        assert_eq!(Exit::Signal(40).to_string(), "was killed by signal 40");
        let status = std::process::Command::new("sh")
            .args(["-c", "exit 7"])
            .status()
            .expect("sh");
        assert_eq!(Exit::from_status(status), Exit::Code(7));
        let status = std::process::Command::new("sh")
            .args(["-c", "kill -ABRT $$"])
            .status()
            .expect("sh");
        assert_eq!(Exit::from_status(status), Exit::Signal(libc::SIGABRT));
    }
}
