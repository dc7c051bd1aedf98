//! Tests of the lifecycle: state, owners, generations, failure memory, the supervisor's children
//! and the clean-up when the owner dies. The supervisor is this test binary in its supervisor
//! role, as it is for any test binary linking prism-suite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::*;

/// A run of its own under a fresh root, owned by a stand-in owner this test can end.
struct TestRun {
    owner: Child,
    run: Run,
    root: PathBuf,
}

impl TestRun {
    fn new(name: &str) -> TestRun {
        static N: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "prism-lifecycle-test-{}-{name}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        let owner = Command::new("sleep")
            .arg("120")
            .spawn()
            .expect("spawn the stand-in owner");
        let id = ProcessId::of(owner.id()).expect("the owner runs");
        let run = Run::for_owner(id, &root);
        TestRun { owner, run, root }
    }

    /// Ends the owner, as a runner ending or being killed would.
    fn end_owner(&mut self) {
        self.owner.kill().expect("kill the owner");
        self.owner.wait().expect("reap the owner");
    }
}

impl Drop for TestRun {
    fn drop(&mut self) {
        let _ = self.owner.kill();
        let _ = self.owner.wait();
        // The supervisor removes the run's directory; the root is ours.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.run.dir().exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn wait_for(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    keeper::wait_until(timeout, &mut done)
}

#[test]
fn entries_round_trip_as_json() {
    let by = ProcessId {
        pid: 42,
        start_time: 4242,
    };
    let entries: Vec<Entry<BTreeMap<String, u16>, String>> = vec![
        Entry::Starting { generation: 1, by },
        Entry::Ready {
            generation: 2,
            by,
            value: BTreeMap::from([("main".to_owned(), 6379)]),
        },
        Entry::Failed {
            generation: 3,
            by,
            error: "no docker daemon answers".to_owned(),
        },
    ];
    for entry in entries {
        let text = serde_json::to_string(&entry).expect("serialize");
        let back: Entry<BTreeMap<String, u16>, String> =
            serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, entry, "{text}");
    }
}

#[test]
fn a_value_started_once_is_found_by_every_later_caller() {
    let t = TestRun::new("found");
    let slot = t.run.slot::<String, String>("thing");
    let first = slot
        .obtain(|_| true, |g| Ok(format!("value of generation {g}")))
        .expect("obtain");
    assert!(first.started_here);
    assert_eq!(first.generation, 1);
    assert_eq!(first.outcome.as_deref(), Ok("value of generation 1"));
    let again = slot
        .obtain(|_| true, |_| panic!("a started slot is not started again"))
        .expect("obtain");
    assert!(!again.started_here);
    assert_eq!(again.outcome, first.outcome);
    // Another handle on the same slot (as another process would have) reads the same entry.
    let other = t.run.slot::<String, String>("thing");
    assert!(matches!(
        other.peek(),
        Some(Entry::Ready { generation: 1, ref value, .. }) if value == "value of generation 1"
    ));
    assert!(
        t.run.keeper().expect("supervisor").process.is_alive(),
        "starting a slot started the run's supervisor"
    );
}

#[test]
fn a_failed_start_is_remembered_and_not_retried() {
    let t = TestRun::new("failure");
    let slot = t.run.slot::<String, String>("broken");
    let first = slot
        .obtain(
            |_| true,
            |_| Err("the server exited with status 1".to_owned()),
        )
        .expect("obtain");
    assert!(first.started_here);
    let started = Instant::now();
    for _ in 0..3 {
        let again = t
            .run
            .slot::<String, String>("broken")
            .obtain(|_| true, |_| panic!("a failed start is not retried"))
            .expect("obtain");
        assert_eq!(
            again.outcome,
            Err("the server exited with status 1".to_owned())
        );
        assert!(!again.started_here);
        assert_eq!(again.generation, 1);
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_value_that_ended_is_replaced_by_the_next_generation() {
    let t = TestRun::new("generations");
    let slot = t.run.slot::<u64, String>("restartable");
    let got = slot.obtain(|_| true, Ok).expect("first");
    assert_eq!(got.outcome, Ok(1));
    // The value ended (a crash, a hang): the next caller starts generation 2.
    let got = slot.obtain(|v| *v != 1, Ok).expect("second");
    assert_eq!(
        (got.generation, got.outcome, got.started_here),
        (2, Ok(2), true)
    );
    let got = slot
        .obtain(|v| *v != 1, |_| panic!("generation 2 is fine"))
        .expect("third");
    assert_eq!(got.outcome, Ok(2));
}

#[test]
fn a_starter_that_died_half_way_is_followed_by_a_new_number() {
    let t = TestRun::new("died");
    let slot = t.run.slot::<u64, String>("half");
    {
        let mut guard = slot.lock().expect("lock");
        assert_eq!(guard.begin().expect("begin"), 1);
        // Dropped without finishing, as a process killed while starting would leave it.
    }
    assert!(matches!(
        slot.peek(),
        Some(Entry::Starting { generation: 1, .. })
    ));
    let got = slot.obtain(|_| true, Ok).expect("obtain");
    assert_eq!(got.generation, 2, "generation 1 is never reused");
    assert_eq!(got.outcome, Ok(2));
}

#[test]
fn processes_of_a_run_share_one_start() {
    // Four processes (this test binary re-run for one test) obtain the same slot of one run.
    let t = TestRun::new("processes");
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "lifecycle::tests::child_obtains_the_shared_slot",
                    "--nocapture",
                ])
                .env("PRISM_LIFECYCLE_TEST_ROOT", &t.root)
                .env(OWNER_ENV, t.owner.id().to_string())
                .output()
                .expect("run a child test process")
        })
        .collect();
    let mut values = Vec::new();
    let mut started = 0;
    for out in &children {
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("SLOT "))
            .unwrap_or_else(|| {
                panic!(
                    "child said nothing: {text}{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        let mut words = line.split_whitespace().skip(1);
        values.push(words.next().expect("value").to_owned());
        if words.next() == Some("started") {
            started += 1;
        }
    }
    assert_eq!(started, 1, "one process starts it: {values:?}");
    assert!(values.iter().all(|v| *v == values[0]), "{values:?}");
}

/// Body of the child processes of `processes_of_a_run_share_one_start`.
#[test]
#[ignore = "a child process of processes_of_a_run_share_one_start"]
fn child_obtains_the_shared_slot() {
    let Some(root) = std::env::var_os("PRISM_LIFECYCLE_TEST_ROOT") else {
        return;
    };
    let owner: u32 = std::env::var(OWNER_ENV)
        .expect("owner")
        .parse()
        .expect("pid");
    let run = Run::for_owner(ProcessId::of(owner).expect("owner runs"), Path::new(&root));
    let got = run
        .slot::<String, String>("shared")
        .obtain(
            |_| true,
            |_| {
                // Long enough that the other processes wait on the lock rather than miss it.
                std::thread::sleep(Duration::from_millis(200));
                Ok(format!("by-{}", std::process::id()))
            },
        )
        .expect("obtain");
    let value = got.outcome.expect("value");
    let how = if got.started_here { "started" } else { "found" };
    println!("SLOT {value} {how}");
}

fn spawn_in(
    run: &Run,
    slot: &str,
    command: &[&str],
    stdout: Capture,
) -> (ProcessId, OutputLog, PathBuf) {
    let dir = run
        .slot::<(), ()>(slot)
        .dir()
        .expect("slot dir")
        .to_path_buf();
    let log_path = dir.join("output.jsonl");
    let exit = dir.join("1.exit.json");
    let mut request = SpawnRequest::new(
        command.iter().map(|s| (*s).to_owned()).collect(),
        [("PRISM_TEST_VAR".to_owned(), "from-request".to_owned())],
        &log_path,
        1,
        &exit,
    );
    request.stdout = stdout;
    // The buffering test needs Python's default buffering.
    request.env.remove("PYTHONUNBUFFERED");
    let id = run.spawn(&request).expect("spawn");
    (id, OutputLog::at(log_path), exit)
}

#[test]
fn the_supervisor_records_output_by_source_and_the_exit_status() {
    let t = TestRun::new("output");
    let (id, log, exit) = spawn_in(
        &t.run,
        "sh",
        &["sh", "-c", "echo out $PRISM_TEST_VAR; echo err >&2; exit 3"],
        Capture::Pty,
    );
    assert!(id.pid > 0);
    assert!(
        wait_for(Duration::from_secs(5), || ExitRecord::read(&exit).is_some()),
        "the exit is recorded"
    );
    assert_eq!(ExitRecord::read(&exit).map(|r| r.exit), Some(Exit::Code(3)));
    let lines: Vec<(OutputSource, String)> = log
        .read()
        .into_iter()
        .map(|l| (l.line.source, l.line.text))
        .collect();
    assert!(
        lines.contains(&(OutputSource::Stdout, "out from-request".to_owned())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(OutputSource::Stderr, "err".to_owned())),
        "{lines:?}"
    );
}

#[test]
fn a_block_buffered_stdout_keeps_its_last_line_before_a_crash() {
    // Python buffers stdout by block unless it is a terminal: through a pipe this line would be
    // lost with the abort; the supervisor's pseudo-terminal makes it line-buffered.
    let t = TestRun::new("pty");
    let script = "import os, sys; print('last words', sys.stdout.isatty()); os.abort()";
    let (_, log, exit) = spawn_in(&t.run, "py", &["python3", "-c", script], Capture::Pty);
    assert!(wait_for(Duration::from_secs(10), || ExitRecord::read(
        &exit
    )
    .is_some()));
    assert_eq!(
        ExitRecord::read(&exit).map(|r| r.exit),
        Some(Exit::Signal(libc::SIGABRT))
    );
    let stdout: Vec<String> = log
        .read()
        .into_iter()
        .filter(|l| l.line.source == OutputSource::Stdout)
        .map(|l| l.line.text)
        .collect();
    assert_eq!(stdout, ["last words True"]);
    // The same program through a pipe loses the line: what the terminal is for.
    let (_, log, exit) = spawn_in(&t.run, "py-pipe", &["python3", "-c", script], Capture::Pipe);
    assert!(wait_for(Duration::from_secs(10), || ExitRecord::read(
        &exit
    )
    .is_some()));
    assert!(
        log.read()
            .iter()
            .all(|l| l.line.source != OutputSource::Stdout),
        "through a pipe the buffered line is lost"
    );
}

#[test]
fn a_missing_program_is_an_error_from_spawn() {
    let t = TestRun::new("missing");
    let dir = t.run.slot::<(), ()>("x").dir().expect("dir").to_path_buf();
    let request = SpawnRequest::new(
        vec!["/nonexistent/prism-no-such-program".into()],
        [],
        &dir.join("log"),
        1,
        &dir.join("exit"),
    );
    let e = t.run.spawn(&request).expect_err("cannot start");
    assert!(
        e.to_string()
            .contains("cannot execute `/nonexistent/prism-no-such-program`"),
        "{e}"
    );
}

#[test]
fn when_the_owner_dies_its_processes_and_files_go_and_clean_ups_run() {
    let mut t = TestRun::new("owner-dies");
    // A child that ignores SIGTERM must still go (SIGKILL after its grace).
    let (stubborn, _, _) = spawn_in(
        &t.run,
        "stubborn",
        &["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"],
        Capture::Pipe,
    );
    let (polite, _, _) = spawn_in(&t.run, "polite", &["sleep", "60"], Capture::Pty);
    let marker = t.root.join("cleanup-ran");
    t.run
        .on_end(
            "touch",
            vec!["touch".to_owned(), marker.display().to_string()],
        )
        .expect("register");
    let supervisor = t.run.keeper().expect("supervisor").process;
    assert!(stubborn.is_alive() && polite.is_alive() && supervisor.is_alive());
    assert_eq!(t.run.started().len(), 2);

    t.end_owner();
    let gone = wait_for(Duration::from_secs(6), || {
        !stubborn.is_alive() && !polite.is_alive() && !t.run.dir().exists()
    });
    assert!(
        !polite.is_alive(),
        "the child is stopped after the owner died"
    );
    assert!(!stubborn.is_alive(), "a child ignoring SIGTERM is killed");
    assert!(gone, "the run's directory is removed");
    assert!(marker.exists(), "the registered clean-up ran");
    assert!(
        wait_for(Duration::from_secs(2), || !supervisor.is_alive()),
        "the supervisor ends with the run"
    );
}

#[test]
fn a_supervisor_that_died_is_replaced_and_its_children_died_with_it() {
    let t = TestRun::new("supervisor-dies");
    let (child, _, _) = spawn_in(&t.run, "child", &["sleep", "60"], Capture::Pipe);
    let first = t.run.keeper().expect("supervisor");
    assert!(first.process.signal(libc::SIGKILL));
    assert!(
        wait_for(Duration::from_secs(3), || !child.is_alive()),
        "a supervisor's children die with it (PR_SET_PDEATHSIG)"
    );
    assert!(wait_for(Duration::from_secs(3), || !first
        .process
        .is_alive()));
    let second = t.run.keeper().expect("a new supervisor");
    assert_ne!(second.process, first.process);
    let generation = t
        .run
        .slot::<(), ()>("x")
        .run()
        .dir()
        .join("slots/supervisor.json");
    let entry: Entry<KeeperInfo, String> =
        serde_json::from_slice(&std::fs::read(generation).expect("state")).expect("parse");
    assert_eq!(entry.generation(), 2);
}

/// A fresh root for a warm run of a test, and a stand-in user it is lent to.
fn warm_root(name: &str) -> (PathBuf, Child, ProcessId) {
    let root = std::env::temp_dir().join(format!(
        "prism-lifecycle-warm-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    let user = Command::new("sleep")
        .arg("120")
        .spawn()
        .expect("spawn the stand-in user");
    let id = ProcessId::of(user.id()).expect("the user runs");
    (root, user, id)
}

#[test]
fn a_warm_run_outlives_its_user_for_its_idle_time_then_ends() {
    let (root, mut user, user_id) = warm_root("idle");
    let idle = Duration::from_millis(1500);
    let run = Run::warm("thing", idle, &root).expect("warm run");
    assert_eq!(run.owner(), None);
    assert!(run.key().starts_with("warm-"), "{}", run.key());
    run.lend_to(user_id).expect("lend");
    let (child, _, _) = spawn_in(&run, "server", &["sleep", "60"], Capture::Pipe);
    let marker = root.join("cleanup-ran");
    run.on_end(
        "touch",
        vec!["touch".to_owned(), marker.display().to_string()],
    )
    .expect("register");
    // Longer than the idle time, with the user alive: the run stays.
    std::thread::sleep(idle + Duration::from_millis(500));
    assert!(child.is_alive(), "a warm run with a live user stays");
    assert!(run.dir().exists());

    user.kill().expect("kill the user");
    user.wait().expect("reap the user");
    let ended = Instant::now();
    // A later run finds the same warm run, with the same child, before the idle time is over.
    let again = Run::warm("thing", idle, &root).expect("warm run again");
    assert_eq!(again.dir(), run.dir());
    assert!(child.is_alive(), "kept after its user ended");
    assert!(
        wait_for(Duration::from_secs(6), || !child.is_alive()
            && !run.dir().exists()),
        "the warm run ends after its idle time without a user"
    );
    assert!(
        ended.elapsed() >= idle - Duration::from_millis(200),
        "not before its idle time: {:?}",
        ended.elapsed()
    );
    assert!(marker.exists(), "its clean-up ran");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_warm_run_whose_supervisor_was_killed_is_cleaned_up_before_reuse() {
    let (root, mut user, user_id) = warm_root("abandoned");
    let run = Run::warm("thing", Duration::from_secs(60), &root).expect("warm run");
    run.lend_to(user_id).expect("lend");
    let marker = root.join("cleanup-ran");
    run.on_end(
        "touch",
        vec!["touch".to_owned(), marker.display().to_string()],
    )
    .expect("register");
    let slot = run.slot::<String, String>("value");
    slot.obtain(|_| true, |g| Ok(format!("generation {g}")))
        .expect("obtain");
    let supervisor = run.keeper().expect("supervisor").process;
    assert!(supervisor.signal(libc::SIGKILL));
    assert!(wait_for(Duration::from_secs(3), || !supervisor.is_alive()));
    assert!(!marker.exists(), "a killed supervisor cleans nothing up");

    let again = Run::warm("thing", Duration::from_secs(60), &root).expect("warm run again");
    assert!(marker.exists(), "the abandoned run's clean-up ran");
    assert!(
        again.slot::<String, String>("value").peek().is_none(),
        "nothing the abandoned run recorded is reused"
    );
    let _ = user.kill();
    let _ = user.wait();
    let _ = std::fs::remove_dir_all(&root);
}
