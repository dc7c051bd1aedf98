#!/usr/bin/env python3
"""What an editor shows for the generated tests, asked of a real rust-analyzer over LSP.

Starts rust-analyzer as a language server on the workspace, waits until it has indexed it, then
asks, for each file given, what an editor asks: code lenses (`textDocument/codeLens`, resolved)
and runnables (`experimental/runnables`). Prints, per line, how many Run lenses an editor would
draw there, their labels and the cargo command behind each, and fails when:

- a case has no runnable (for `compliance.rs`: a generated test without a `test` runnable);
- a runnable's command would not run exactly its case (`--exact` and the test's full path);
- in a suite file, a case function does not carry the runnable of its `every_backend` test on its
  own line;
- a line carries more lenses than `--max-lenses-per-line` (a stack nobody can click).

  python3 scripts/ide/ide-check.py [--rust-analyzer PATH] [--max-lenses-per-line N] FILE...

The rust-analyzer binary comes from scripts/ide/setup-rust-analyzer.sh. Only the standard library
is used: the LSP framing is a header and a JSON body.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Server:
    """A rust-analyzer process spoken to over stdio."""

    def __init__(self, binary, root):
        self.proc = subprocess.Popen(
            [binary],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(root / "target" / "prism" / "rust-analyzer.log", "wb"),
        )
        self.next_id = 0
        self.responses = {}
        self.progress = {}  # token -> title, while running
        self.ended = []  # titles of finished progress
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = json.loads(out.read(length))
            with self.cond:
                if "id" in body and "method" in body:
                    # A request from the server (configuration, progress creation): answer it.
                    result = None
                    if body["method"] == "workspace/configuration":
                        result = [CONFIG for _ in body["params"]["items"]]
                    self._send({"jsonrpc": "2.0", "id": body["id"], "result": result})
                elif "id" in body:
                    self.responses[body["id"]] = body
                elif body.get("method") == "$/progress":
                    token = body["params"]["token"]
                    value = body["params"]["value"]
                    if value.get("kind") == "begin":
                        self.progress[token] = value.get("title", "")
                    elif value.get("kind") == "end":
                        self.ended.append(self.progress.pop(token, ""))
                self.cond.notify_all()

    def _send(self, message):
        data = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def request(self, method, params, timeout=600):
        with self.cond:
            self.next_id += 1
            rid = self.next_id
            self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
            deadline = time.time() + timeout
            while rid not in self.responses:
                if not self.cond.wait(max(0.0, deadline - time.time())):
                    raise TimeoutError(f"{method}: no answer in {timeout} s")
            reply = self.responses.pop(rid)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method, params):
        with self.cond:
            self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_quiet(self, settle=3.0, timeout=1800):
        """Until no progress (indexing, build scripts, proc macros) has run for `settle` s."""
        deadline = time.time() + timeout
        quiet_since = None
        while time.time() < deadline:
            with self.cond:
                busy = bool(self.progress)
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.time()
            elif time.time() - quiet_since >= settle and self.ended:
                return
            time.sleep(0.2)
        raise TimeoutError("rust-analyzer did not finish indexing")

    def stop(self):
        try:
            self.request("shutdown", None, timeout=30)
            self.notify("exit", None)
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a server that does not stop is killed
            self.proc.kill()


CONFIG = {
    "cargo": {"buildScripts": {"enable": True}, "allTargets": True},
    "procMacro": {"enable": True},
    "checkOnSave": False,
    "lens": {"enable": True, "run": {"enable": True}, "debug": {"enable": False},
             "implementations": {"enable": False}, "references": {"adt": {"enable": False}}},
}


def command_of(runnable):
    args = runnable.get("args", {})
    cargo = args.get("cargoArgs", [])
    extra = args.get("executableArgs", [])
    return "cargo " + " ".join(cargo + (["--"] + extra if extra else []))


def exact_test(runnable):
    """The test a runnable runs exactly (`--exact <path>`), if it is one."""
    extra = runnable.get("args", {}).get("executableArgs", [])
    if "--exact" in extra:
        rest = [a for a in extra if not a.startswith("-")]
        return rest[0] if len(rest) == 1 else None
    return None


def report(server, path, max_per_line, expected_tests):
    uri = path.resolve().as_uri()
    text = path.read_text()
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "rust", "version": 1, "text": text}})
    runnables = server.request("experimental/runnables", {"textDocument": {"uri": uri}})
    lenses = server.request("textDocument/codeLens", {"textDocument": {"uri": uri}}) or []
    resolved = []
    for lens in lenses:
        if "command" not in lens:
            lens = server.request("codeLens/resolve", lens)
        resolved.append(lens)
    per_line = {}
    for lens in resolved:
        line = lens["range"]["start"]["line"] + 1
        per_line.setdefault(line, []).append(lens)
    rel = path.resolve().relative_to(ROOT)
    print(f"== {rel}: {len(resolved)} code lenses on {len(per_line)} lines, {len(runnables)} runnables")
    problems = []
    for line in sorted(per_line):
        items = per_line[line]
        print(f"  line {line}: {len(items)} lens(es)")
        for lens in items[:6]:
            cmd = lens.get("command", {})
            title = cmd.get("title", "?")
            args = cmd.get("arguments") or [{}]
            shown = command_of(args[0]) if isinstance(args[0], dict) and "args" in args[0] else ""
            print(f"    {title:<14} {shown}")
        if len(items) > 6:
            print(f"    ... {len(items) - 6} more on this line")
        if len(items) > max_per_line:
            problems.append(f"{rel}:{line}: {len(items)} lenses on one line (at most {max_per_line} are usable)")
    tests = {}
    for r in runnables:
        name = exact_test(r)
        if r.get("kind") == "cargo" and name:
            tests[name] = r
    for r in runnables:
        label = r.get("label", "")
        if label.startswith("test ") and exact_test(r) is None:
            problems.append(f"{rel}: runnable `{label}` does not run exactly one test: {command_of(r)}")
    if expected_tests is not None:
        missing = sorted(set(expected_tests) - set(tests))
        if missing:
            problems.append(f"{rel}: {len(missing)} of {len(expected_tests)} tests have no runnable, e.g. {missing[:3]}")
    problems += suite_cases(rel, text, tests)
    return problems, tests


CASE = re.compile(r"^\s*pub async fn (\w+)\(cx: &mut Case\)", re.M)


def suite_cases(rel, text, tests):
    """In a suite file: each case function carries, on its own line, the runnable of the test
    `#[interface_suite]` generates for it (`<suite>::every_backend::<case>`, run exactly)."""
    cases = {m.group(1): text.count("\n", 0, m.start(1)) + 1 for m in CASE.finditer(text)}
    if not cases:
        return []
    everywhere = {}
    for name, runnable in tests.items():
        parts = name.split("::")
        if len(parts) >= 2 and parts[-2] == "every_backend":
            everywhere[parts[-1]] = runnable
    problems = []
    for n, (case, line) in enumerate(sorted(cases.items(), key=lambda c: c[1])):
        runnable = everywhere.get(case)
        if runnable is None:
            problems.append(f"{rel}:{line}: case `{case}` has no runnable for its every-backend test")
            continue
        at = runnable["location"]["targetSelectionRange"]["start"]["line"] + 1
        if at != line:
            problems.append(f"{rel}:{line}: the runnable of `{case}` sits on line {at}, not on the case")
        if n < 3:
            print(f"  case {case} (line {line}): {command_of(runnable)}")
    print(f"  {len(cases)} case functions; {len(problems)} without their runnable on their line")
    return problems


def listed_tests(package, target):
    out = subprocess.run(
        ["cargo", "test", "-q", "-p", package, "--test", target, "--", "--list"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [l[: -len(": test")] for l in out.splitlines() if l.endswith(": test")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rust-analyzer", default=os.environ.get("PRISM_RUST_ANALYZER", "rust-analyzer-0.0.348"))
    parser.add_argument("--max-lenses-per-line", type=int, default=30)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    (ROOT / "target" / "prism").mkdir(parents=True, exist_ok=True)

    started = time.time()
    server = Server(args.rust_analyzer, ROOT)
    server.request("initialize", {
        "processId": os.getpid(),
        "rootUri": ROOT.as_uri(),
        "capabilities": {
            "window": {"workDoneProgress": True},
            "workspace": {"configuration": True},
            "experimental": {"commands": {"commands": ["rust-analyzer.runSingle"]}},
        },
        "initializationOptions": CONFIG,
    })
    server.notify("initialized", {})
    server.wait_quiet()
    print(f"ide-check: rust-analyzer indexed the workspace in {time.time() - started:.1f} s "
          f"(progress seen: {sorted(set(server.ended))})")
    problems = []
    try:
        for f in args.files:
            path = (ROOT / f) if not os.path.isabs(f) else pathlib.Path(f)
            expected = None
            if path.parent.name == "tests" and path.parent.parent.name == "suites":
                expected = listed_tests("prism-suites", path.stem)
            found, _ = report(server, path, args.max_lenses_per_line, expected)
            problems += found
    finally:
        server.stop()
    for p in problems:
        print(f"ide-check: {p}", file=sys.stderr)
    if problems:
        print(f"ide-check: FAILED ({len(problems)} problem(s))", file=sys.stderr)
        return 1
    print("ide-check: every case has a runnable that runs exactly it; every line's lenses are usable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
