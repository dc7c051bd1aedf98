use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use super::*;
use prism_registry::{ContainerPort, DockerSpec, NativeSpec, PortSpec, WaitFor};

fn spec() -> InstanceSpec {
    InstanceSpec {
        url: "redis://${HOST}:${PORT}".into(),
        ports: vec![PortSpec {
            name: "main".into(),
            container: ContainerPort::Fixed(6379),
        }],
        ready: vec![WaitFor::Log("Ready to accept connections".into())],
        setup: Vec::new(),
        startup_timeout_ms: 1000,
        docker: Some(DockerSpec {
            image: "redis:7".into(),
            args: Vec::new(),
            env: BTreeMap::new(),
            ready: None,
            setup: None,
        }),
        native: Some(NativeSpec {
            command: vec!["redis-server".into(), "--port".into(), "${PORT}".into()],
            init: Vec::new(),
            env: BTreeMap::new(),
            ready: None,
            setup: None,
        }),
    }
}

/// A provider whose availability is given, for the choice.
struct Fake {
    name: &'static str,
    undeclared: &'static str,
    availability: Availability,
}

impl Provider for Fake {
    fn name(&self) -> &'static str {
        self.name
    }
    fn undeclared(&self) -> &'static str {
        self.undeclared
    }
    fn availability(&self, _: &Request<'_>) -> Availability {
        self.availability.clone()
    }
    fn start(&self, _: &Request<'_>, _: &StartContext<'_>) -> Result<Started, String> {
        Err("a fake does not start".into())
    }
}

fn leak(f: Fake) -> &'static dyn Provider {
    Box::leak(Box::new(f))
}

/// docker as the real provider words its states, without asking a daemon.
fn docker_fake(answers: bool) -> &'static dyn Provider {
    leak(Fake {
        name: "docker",
        undeclared: "the registry names no docker image",
        availability: if answers {
            Availability::Available
        } else {
            Availability::Missing {
                missing: "no docker daemon answers (`docker version`)".into(),
                how: "install and start docker (bash scripts/setup-docker.sh)".into(),
            }
        },
    })
}

/// Chooses among external (real), docker (fake) and native (real, with `program` as the server).
fn pick(vars: &[(&str, &str)], docker: bool, program: &str) -> Result<&'static str, InstanceError> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| vars.get(k).cloned();
    let mut spec = spec();
    if let Some(n) = spec.native.as_mut() {
        n.command[0] = program.into();
    }
    let request = Request {
        backend: "redis",
        spec: &spec,
        env: &env,
    };
    let providers = [
        by_name("external").expect("registered"),
        docker_fake(docker),
        by_name("native").expect("registered"),
    ];
    choose(&request, &providers).map(|p| p.name())
}

/// A program that is certainly on PATH, and one that certainly is not.
const PRESENT: &str = "sh";
const ABSENT: &str = "prism-no-such-server";

#[test]
fn providers_register_themselves_in_rank_order() {
    let names: Vec<&str> = providers().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["external", "docker", "native"]);
}

#[test]
fn url_wins_over_machine_providers() {
    assert_eq!(
        pick(&[("PRISM_REDIS_URL", "redis://h:1")], true, PRESENT),
        Ok("external")
    );
}

#[test]
fn docker_then_native_by_default() {
    assert_eq!(pick(&[], true, PRESENT), Ok("docker"));
    assert_eq!(pick(&[], false, PRESENT), Ok("native"));
}

#[test]
fn configured_provider_is_obeyed_or_explained() {
    assert_eq!(
        pick(&[("PRISM_REDIS_PROVIDER", "native")], true, PRESENT),
        Ok("native")
    );
    assert_eq!(
        pick(&[("PRISM_REDIS_PROVIDER", " Docker ")], true, PRESENT),
        Ok("docker")
    );
    let e = pick(&[("PRISM_REDIS_PROVIDER", "native")], true, ABSENT)
        .expect_err("server missing")
        .to_string();
    assert_eq!(e, "PRISM_REDIS_PROVIDER=native, but `prism-no-such-server` is not on PATH: install `prism-no-such-server` (bash scripts/setup-backends.sh)");
    let e = pick(&[("PRISM_REDIS_PROVIDER", "docker")], false, PRESENT)
        .expect_err("no daemon")
        .to_string();
    assert!(e.contains("no docker daemon answers"), "{e}");
    let e = pick(&[("PRISM_REDIS_PROVIDER", "external")], true, PRESENT)
        .expect_err("no url")
        .to_string();
    assert!(e.contains("PRISM_REDIS_URL is not set"), "{e}");
    let e = pick(&[("PRISM_REDIS_PROVIDER", "podman")], true, PRESENT)
        .expect_err("bad name")
        .to_string();
    assert!(e.contains("use external, docker or native"), "{e}");
}

#[test]
fn nothing_available_says_what_is_missing_and_how_to_provide_it() {
    let e = pick(&[], false, "redis-server-not-here")
        .expect_err("nothing")
        .to_string();
    assert_eq!(
        e,
        "no redis instance can be provided: no docker daemon answers (`docker version`), `redis-server-not-here` is not on PATH. \
         To provide one: install and start docker (bash scripts/setup-docker.sh); or install `redis-server-not-here` (bash scripts/setup-backends.sh); \
         or point at a running instance with PRISM_REDIS_URL=<url>"
    );
}

#[test]
fn an_undeclared_provider_is_named_as_such() {
    let mut no_docker = spec();
    no_docker.docker = None;
    no_docker.native.as_mut().expect("native").command[0] = ABSENT.into();
    let env = |_: &str| None;
    let request = Request {
        backend: "fixture",
        spec: &no_docker,
        env: &env,
    };
    let e = match choose(&request, &providers()) {
        Ok(p) => panic!("chose {}", p.name()),
        Err(e) => e.to_string(),
    };
    assert!(
        e.starts_with("no fixture instance can be provided: the registry names no docker image, `prism-no-such-server` is not on PATH."),
        "{e}"
    );
}

#[test]
fn image_names_split_at_the_tag() {
    assert_eq!(docker::split_image("redis:7"), ("redis", "7"));
    assert_eq!(docker::split_image("redis"), ("redis", "latest"));
    assert_eq!(
        docker::split_image("reg.local:5000/prism/redis"),
        ("reg.local:5000/prism/redis", "latest")
    );
    assert_eq!(
        docker::split_image("reg.local:5000/redis:7.2"),
        ("reg.local:5000/redis", "7.2")
    );
}

#[test]
fn variables_name_every_port_and_the_directory() {
    let mut spec = spec();
    spec.ports.push(PortSpec {
        name: "admin".into(),
        container: ContainerPort::SameAsHost,
    });
    let ports = BTreeMap::from([("main".to_owned(), 4000), ("admin".to_owned(), 4001)]);
    let vars = Vars::new(&spec, &ports, Path::new("/tmp/x"));
    assert_eq!(
        vars.expand("${HOST}:${PORT} ${PORT_MAIN} ${PORT_ADMIN} ${DIR}"),
        Ok("127.0.0.1:4000 4000 4001 /tmp/x".to_owned())
    );
    assert!(vars.expand("${PORT_NOPE}").is_err());
}

#[test]
fn an_instance_is_named_by_its_configuration() {
    let none = |_: &str| None;
    let a = slot_name("redis", &spec(), &none);
    assert_eq!(a, slot_name("redis", &spec(), &none), "stable");
    assert!(a.starts_with("instance-redis-"), "{a}");
    let mut other = spec();
    other.startup_timeout_ms += 1;
    assert_ne!(
        a,
        slot_name("redis", &other, &none),
        "another configuration"
    );
    let image = |k: &str| (k == "PRISM_REDIS_IMAGE").then(|| "local/redis:7".to_owned());
    assert_ne!(a, slot_name("redis", &spec(), &image), "another image");
}

#[test]
fn announcement_names_provider_and_how_to_choose_another() {
    let i = Instance {
        backend: "redis".into(),
        provider: "docker",
        url: "redis://127.0.0.1:1".into(),
        ports: BTreeMap::from([("main".to_owned(), 1)]),
        detail: "image redis:7, container abc on 127.0.0.1:1".into(),
        ready_ms: 420,
        started_here: true,
    };
    assert_eq!(announcement(&i), "prism-suite: redis via docker (image redis:7, container abc on 127.0.0.1:1, ready in 420 ms); choose another with PRISM_REDIS_PROVIDER=native or PRISM_REDIS_URL=<url>");
    let given = Instance {
        provider: "external",
        ports: BTreeMap::new(),
        detail: "PRISM_REDIS_URL=redis://h:1".into(),
        ready_ms: 0,
        ..i
    };
    assert!(announcement(&given).contains("unset PRISM_REDIS_URL"));
}

/// A server as the readiness code sees it, for conditions without a provider.
struct FakeServer {
    ports: BTreeMap<String, u16>,
    output: String,
    ended: Option<String>,
}

impl Running for FakeServer {
    fn ports(&self) -> &BTreeMap<String, u16> {
        &self.ports
    }
    fn output(&self) -> String {
        self.output.clone()
    }
    fn ended(&self) -> Option<String> {
        self.ended.clone()
    }
    fn detail(&self) -> String {
        "fake".into()
    }
    fn stop(&mut self) {}
}

fn fake(port: u16, output: &str) -> FakeServer {
    FakeServer {
        ports: BTreeMap::from([("main".to_owned(), port)]),
        output: output.into(),
        ended: None,
    }
}

fn wait_briefly(conditions: &[WaitFor], server: &FakeServer) -> Result<(), String> {
    let vars = Vars::new(&spec(), server.ports(), Path::new("/tmp"));
    let timeout = Duration::from_millis(300);
    ready::wait(conditions, &vars, server, Instant::now() + timeout, timeout)
}

#[test]
fn readiness_conditions_hold_in_order_or_say_which_did_not() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // A one-connection-at-a-time PING server for the probe.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 64];
            if stream
                .read(&mut buf)
                .is_ok_and(|n| buf[..n].starts_with(b"PING"))
            {
                let _ = stream.write_all(b"+PONG\r\n");
            }
        }
    });
    let server = fake(port, "booting\nReady to accept connections\n");
    let conditions = vec![
        WaitFor::Log("Ready to accept connections".into()),
        WaitFor::Port("main".into()),
        WaitFor::Command(vec!["sh".into(), "-c".into(), "test ${PORT} -gt 0".into()]),
        WaitFor::Probe {
            port: "main".into(),
            send: b"PING\r\n".to_vec(),
            expect: b"+PONG".to_vec(),
        },
    ];
    assert_eq!(wait_briefly(&conditions, &server), Ok(()));

    let e = wait_briefly(&[WaitFor::Log("never".into())], &server).expect_err("no such line");
    assert!(
        e.starts_with("a line with `never` did not hold within 300 ms"),
        "{e}"
    );
    assert!(
        e.contains("Ready to accept connections"),
        "quotes the output: {e}"
    );
    let e = wait_briefly(
        &[WaitFor::Probe {
            port: "main".into(),
            send: b"PING\r\n".to_vec(),
            expect: b"+OK".to_vec(),
        }],
        &server,
    )
    .expect_err("wrong reply");
    assert!(e.contains("got `+PONG\\r\\n`"), "{e}");
    let e = wait_briefly(&[WaitFor::Command(vec!["false".into()])], &server).expect_err("exits 1");
    assert!(e.starts_with("`false` to exit 0 did not hold"), "{e}");
    let e = wait_briefly(&[WaitFor::Port("nope".into())], &server).expect_err("no port");
    assert!(e.contains("no port named `nope`"), "{e}");
}

#[test]
fn a_server_that_ends_before_it_is_ready_says_so_at_once() {
    let mut server = fake(1, "FATAL: bad config\n");
    server.ended = Some("exited with status 1".into());
    let started = Instant::now();
    let e = wait_briefly(&[WaitFor::Log("ready".into())], &server).expect_err("ended");
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "not after the timeout"
    );
    assert!(
        e.starts_with("it exited with status 1 before it was ready"),
        "{e}"
    );
    assert!(e.contains("FATAL: bad config"), "{e}");
}

#[test]
fn setup_commands_run_in_order_and_a_failing_one_is_named() {
    let dir = std::env::temp_dir().join(format!("prism-setup-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let server = fake(1, "");
    let vars = Vars::new(&spec(), server.ports(), &dir);
    let deadline = Instant::now() + Duration::from_secs(5);
    let steps = vec![
        vec!["sh".into(), "-c".into(), "echo one > ${DIR}/steps".into()],
        vec!["sh".into(), "-c".into(), "echo two >> ${DIR}/steps".into()],
    ];
    assert_eq!(ready::setup(&steps, &vars, &server, deadline), Ok(()));
    assert_eq!(
        std::fs::read_to_string(dir.join("steps")).expect("written"),
        "one\ntwo\n"
    );
    let failing = vec![vec![
        "sh".into(),
        "-c".into(),
        "echo 'no such role' >&2; exit 2".into(),
    ]];
    let e = ready::setup(&failing, &vars, &server, deadline).expect_err("fails");
    assert!(
        e.starts_with("setup `sh -c echo 'no such role' >&2; exit 2` exit status: 2"),
        "{e}"
    );
    assert!(e.contains("no such role"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A native "server" with every kind of condition, init and setup, through the run's supervisor
/// of this test process: Python's HTTP server.
#[test]
fn a_native_server_is_initialised_started_probed_and_set_up() {
    let spec = InstanceSpec {
        url: "http://${HOST}:${PORT}/".into(),
        ports: vec![PortSpec {
            name: "web".into(),
            container: ContainerPort::Fixed(80),
        }],
        ready: vec![
            WaitFor::Log("Serving HTTP".into()),
            WaitFor::Port("web".into()),
            WaitFor::Command(vec![
                "test".into(),
                "-f".into(),
                "${DIR}/initialised".into(),
            ]),
            WaitFor::Probe {
                port: "web".into(),
                send: b"GET / HTTP/1.0\r\n\r\n".to_vec(),
                expect: b"HTTP/1.0 200".to_vec(),
            },
        ],
        setup: vec![vec![
            "sh".into(),
            "-c".into(),
            "echo ${PORT_WEB} > ${DIR}/set-up".into(),
        ]],
        startup_timeout_ms: 20_000,
        docker: None,
        native: Some(NativeSpec {
            command: vec![
                "python3".into(),
                "-u".into(),
                "-m".into(),
                "http.server".into(),
                "${PORT}".into(),
                "--bind".into(),
                "${HOST}".into(),
            ],
            init: vec![vec!["touch".into(), "${DIR}/initialised".into()]],
            env: BTreeMap::new(),
            ready: None,
            setup: None,
        }),
    };
    let got = obtain_named("native_fixture", &spec).expect("the server starts");
    assert_eq!(got.provider, "native");
    assert!(got.started_here);
    let port = got.ports["web"];
    assert_eq!(got.url, format!("http://127.0.0.1:{port}/"));
    assert!(got.detail.contains("`python3` pid"), "{}", got.detail);
    let again = obtain_named("native_fixture", &spec).expect("cached");
    assert_eq!(again, got, "one instance per process");
    let slot_dir = Run::current()
        .dir()
        .join("slots")
        .join(slot_name("native_fixture", &spec, &system_env))
        .join("g1");
    assert_eq!(
        std::fs::read_to_string(slot_dir.join("set-up")).expect("setup ran"),
        format!("{port}\n")
    );
}

#[test]
fn a_native_server_that_exits_is_a_remembered_start_failure() {
    let spec = InstanceSpec {
        url: "x://${HOST}:${PORT}".into(),
        ports: vec![PortSpec {
            name: "main".into(),
            container: ContainerPort::SameAsHost,
        }],
        ready: vec![WaitFor::Port("main".into())],
        setup: Vec::new(),
        startup_timeout_ms: 10_000,
        docker: None,
        native: Some(NativeSpec {
            command: vec![
                "sh".into(),
                "-c".into(),
                "echo 'bad flag --nope' >&2; exit 3".into(),
            ],
            init: Vec::new(),
            env: BTreeMap::new(),
            ready: None,
            setup: None,
        }),
    };
    let e = obtain_named("exiting_fixture", &spec).expect_err("it exits");
    let text = e.to_string();
    assert!(
        text.starts_with("exiting_fixture via native did not start: `sh` pid"),
        "{text}"
    );
    assert!(
        text.contains("it exited with status 3 before it was ready"),
        "{text}"
    );
    assert!(text.contains("bad flag --nope"), "{text}");
    // Remembered by the run's slot, as another process of the run would read it.
    let slot = Run::current().slot::<Recorded, InstanceError>(&slot_name(
        "exiting_fixture",
        &spec,
        &system_env,
    ));
    assert!(matches!(
        slot.peek(),
        Some(crate::lifecycle::Entry::Failed { error, .. }) if error == e
    ));
}

#[test]
fn warm_mode_is_off_unless_asked_and_bad_values_are_errors() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    assert_eq!(warm::idle(&env(&[])), Ok(None));
    assert_eq!(warm::idle(&env(&[("PRISM_WARM", "0")])), Ok(None));
    assert_eq!(
        warm::idle(&env(&[("PRISM_WARM", "1")])),
        Ok(Some(warm::DEFAULT_IDLE))
    );
    assert_eq!(
        warm::idle(&env(&[("PRISM_WARM", "1"), ("PRISM_WARM_IDLE_SECS", "30")])),
        Ok(Some(Duration::from_secs(30)))
    );
    let e = warm::idle(&env(&[("PRISM_WARM", "yes")])).expect_err("not 0 or 1");
    assert!(e.to_string().contains("PRISM_WARM=yes"), "{e}");
    let e =
        warm::idle(&env(&[("PRISM_WARM", "1"), ("PRISM_WARM_IDLE_SECS", "0")])).expect_err("zero");
    assert!(e.to_string().contains("PRISM_WARM_IDLE_SECS=0"), "{e}");
}
