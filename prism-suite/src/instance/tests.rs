use super::*;
use prism_registry::{DockerSpec, NativeSpec, PortSpec};

fn spec() -> InstanceSpec {
    InstanceSpec {
        url: "redis://${HOST}:${PORT}".into(),
        ports: vec![PortSpec {
            name: "main".into(),
            container: ContainerPort::Fixed(6379),
        }],
        ready: vec![WaitFor::Port("main".into())],
        setup: Vec::new(),
        docker: Some(DockerSpec {
            image: "redis:7".into(),
            args: Vec::new(),
            env: BTreeMap::new(),
            ready: Some(vec![WaitFor::Log("Ready to accept connections".into())]),
            setup: None,
        }),
        native: Some(NativeSpec {
            command: vec!["redis-server".into(), "--port".into(), "${PORT}".into()],
            init: Vec::new(),
            env: BTreeMap::new(),
            ready: None,
            setup: None,
        }),
        startup_timeout_ms: 1000,
    }
}

/// Runs the choice with the given variables, daemon and PATH.
fn pick(vars: &[(&str, &str)], docker: bool, on_path: bool) -> Result<Choice, InstanceError> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| vars.get(k).cloned();
    let docker_answers = move || docker;
    let path = move |_: &str| on_path;
    choose(
        "redis",
        &spec(),
        &Probe {
            env: &env,
            docker_answers: &docker_answers,
            on_path: &path,
        },
    )
}

#[test]
fn url_wins_over_everything() {
    let c = pick(&[("PRISM_REDIS_URL", "redis://h:1")], true, true);
    assert_eq!(c, Ok(Choice::External("redis://h:1".into())));
}

#[test]
fn docker_then_native_by_default() {
    assert_eq!(
        pick(&[], true, true),
        Ok(Choice::Docker {
            image: "redis:7".into()
        })
    );
    assert_eq!(pick(&[], false, true), Ok(Choice::Native));
    assert_eq!(
        pick(&[("PRISM_REDIS_IMAGE", "prism-local/redis:7")], true, true),
        Ok(Choice::Docker {
            image: "prism-local/redis:7".into()
        })
    );
}

#[test]
fn configured_provider_is_obeyed_or_explained() {
    assert_eq!(
        pick(&[("PRISM_REDIS_PROVIDER", "native")], true, true),
        Ok(Choice::Native)
    );
    let e = pick(&[("PRISM_REDIS_PROVIDER", "native")], true, false)
        .expect_err("redis-server missing")
        .to_string();
    assert_eq!(e, "PRISM_REDIS_PROVIDER=native, but `redis-server` is not on PATH: install `redis-server` (bash scripts/setup-backends.sh)");
    let e = pick(&[("PRISM_REDIS_PROVIDER", "docker")], false, true)
        .expect_err("no daemon")
        .to_string();
    assert!(e.contains("no docker daemon answers"), "{e}");
    let e = pick(&[("PRISM_REDIS_PROVIDER", "external")], true, true)
        .expect_err("no url")
        .to_string();
    assert!(e.contains("PRISM_REDIS_URL is not set"), "{e}");
    let e = pick(&[("PRISM_REDIS_PROVIDER", "podman")], true, true)
        .expect_err("bad name")
        .to_string();
    assert!(e.contains("use docker, native or external"), "{e}");
}

#[test]
fn nothing_available_says_what_is_missing_and_how_to_provide_it() {
    let e = pick(&[], false, false).expect_err("nothing").to_string();
    assert_eq!(
        e,
        "no redis instance can be provided: no docker daemon answers (`docker version`), `redis-server` is not on PATH. \
         To provide one: install and start docker (bash scripts/setup-docker.sh); or install `redis-server` (bash scripts/setup-backends.sh); \
         or point at a running instance with PRISM_REDIS_URL=<url>"
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
fn state_round_trips() {
    let i = Instance {
        backend: "redis".into(),
        provider: Provider::Native,
        url: "redis://127.0.0.1:4000".into(),
        detail: "`redis-server` pid 1 on 127.0.0.1:4000".into(),
        ready_ms: 12,
        started_here: true,
    };
    let back = parse_state("redis", &state_text(&i)).expect("parses");
    assert_eq!(
        back,
        Instance {
            started_here: false,
            ..i
        }
    );
}

#[test]
fn announcement_names_provider_and_how_to_choose_another() {
    let i = Instance {
        backend: "redis".into(),
        provider: Provider::Docker,
        url: "redis://127.0.0.1:1".into(),
        detail: "image redis:7, container abc on 127.0.0.1:1".into(),
        ready_ms: 420,
        started_here: true,
    };
    assert_eq!(announcement(&i), "prism-suite: redis via docker (image redis:7, container abc on 127.0.0.1:1, ready in 420 ms); choose another with PRISM_REDIS_PROVIDER=native|docker or PRISM_REDIS_URL=<url>");
}

#[test]
fn an_image_override_needs_the_registry_docker_section() {
    let mut no_docker = spec();
    no_docker.docker = None;
    let env = |k: &str| (k == "PRISM_REDIS_IMAGE").then(|| "local/redis:7".to_owned());
    let probe = Probe {
        env: &env,
        docker_answers: &|| true,
        on_path: &|_| true,
    };
    assert_eq!(choose("redis", &no_docker, &probe), Ok(Choice::Native));
}
