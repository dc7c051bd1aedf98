#!/usr/bin/env python3
"""Plays .github/workflows/interface-compliance.yml on this machine, as GitHub would run it.

The jobs' `run:` steps are read from the workflow file and run in order with bash: plan, build
(which archives the tests), two cells of the plan's matrix, then summary. No step is copied here,
so an edit of the workflow is what gets played. `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, job outputs,
`needs`, `matrix`, `strategy.job-index`, `if: always()` and artifacts behave as on GitHub:

- plan and build run in this checkout, whose target directory stands for a warm build cache;
- cells and summary run in a fresh copy of the committed tree (`git archive HEAD`) holding only
  the artifacts they download, so a cell proves the archive runs without a build;
- `uses:` steps: checkout, toolchain, tool installs and caches are no-ops (this machine has the
  tools); upload/download-artifact copy files through a directory of artifacts.

The scenario: the cell `memstore / keyvalue_basic` passes; the cell
`memstore_process / keyvalue_scan` runs with PRISM_MEMSTORE_FAULTS=scan_ignores_limit, a plugin
that lies, so it fails on purpose; every other cell never reports. The summary job must then fail,
and its step summary and JSON must show every cell of the registry: the two that ran, the
failing one as failed with its rerun command, planned cells as planned, the rest as missing.

    python3 scripts/workflow/play.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

WORKFLOW = ".github/workflows/interface-compliance.yml"
PASSING = ("memstore", "keyvalue_basic")
FAILING = ("memstore_process", "keyvalue_scan")
FAULT = {"PRISM_MEMSTORE_FAULTS": "scan_ignores_limit"}
# Steps that need nothing here: this machine has the toolchain, nextest and the tool cache.
NO_OPS = ("actions/checkout@", "dtolnay/rust-toolchain@", "taiki-e/install-action@", "actions/cache@")


class PlayError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# expressions: the subset of GitHub's expression language the workflow uses


def evaluate(expr: str, ctx: dict):
    """`a || b || 'lit'`, context paths (`matrix.backend`, `needs.plan.outputs.matrix`),
    `fromJSON(...)`, `hashFiles(...)`, `always()`; anything else is an error, not a guess."""
    operands = [o.strip() for o in split_top(expr, "||")]
    value = None
    for operand in operands:
        value = operand_value(operand, ctx)
        if value not in (None, "", False, 0):
            return value
    return value


def split_top(expr: str, sep: str) -> list[str]:
    parts, depth, quote, start, i = [], 0, False, 0, 0
    while i < len(expr):
        c = expr[i]
        if c == "'":
            quote = not quote
        elif not quote and c == "(":
            depth += 1
        elif not quote and c == ")":
            depth -= 1
        elif not quote and depth == 0 and expr.startswith(sep, i):
            parts.append(expr[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(expr[start:])
    return parts


def operand_value(operand: str, ctx: dict):
    if re.fullmatch(r"'[^']*'", operand):
        return operand[1:-1]
    if re.fullmatch(r"-?\d+", operand):
        return int(operand)
    call = re.fullmatch(r"(\w+)\((.*)\)", operand, re.S)
    if call:
        name, arg = call.group(1), call.group(2).strip()
        if name == "fromJSON":
            return json.loads(evaluate(arg, ctx))
        if name == "always":
            return True
        if name == "hashFiles":
            return "played"
        raise PlayError(f"unsupported function {name}() in ${{{{ {operand} }}}}")
    if re.fullmatch(r"[A-Za-z_][\w.-]*", operand):
        value = ctx
        for part in operand.split("."):
            if not isinstance(value, dict):
                raise PlayError(f"${{{{ {operand} }}}}: {part} is not in a mapping")
            value = value.get(part)
        return value
    raise PlayError(f"unsupported expression ${{{{ {operand} }}}}")


def substitute(text, ctx: dict):
    """Replaces every `${{ expr }}` in a string; a string that is one expression keeps its type."""
    if not isinstance(text, str):
        return text
    whole = re.fullmatch(r"\$\{\{\s*(.*?)\s*\}\}", text, re.S)
    if whole:
        return evaluate(whole.group(1), ctx)

    def one(m: re.Match) -> str:
        value = evaluate(m.group(1), ctx)
        return "" if value is None else (json.dumps(value) if isinstance(value, (dict, list)) else str(value))

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", one, text, flags=re.S)


# ---------------------------------------------------------------------------------------------
# jobs


class Player:
    def __init__(self, repo: Path, work: Path, workflow: dict):
        self.repo = repo
        self.work = work
        self.workflow = workflow
        self.artifacts = work / "artifacts"
        self.artifacts.mkdir(parents=True)
        self.results: dict[str, dict] = {}
        self.timings: list[tuple[str, float]] = []
        self.summaries: dict[str, str] = {}

    def fresh_checkout(self, name: str) -> Path:
        dest = self.work / "jobs" / name
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(self.repo), "archive", "HEAD"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
        return dest

    def run_job(self, job_id: str, workspace: Path, matrix: dict | None = None, index: int = 0, extra_env: dict | None = None) -> dict:
        job = self.workflow["jobs"][job_id]
        label = job_id if matrix is None else f"{job_id} ({matrix.get('name', index)})"
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        ctx = {
            "inputs": {},
            "runner": {"os": "Linux"},
            "matrix": matrix or {},
            "strategy": {"job-index": index},
            "needs": {n: self.results[n] for n in needs if n in self.results},
            "steps": {},
            "env": {},
        }
        env = dict(os.environ)
        env.update({k: str(substitute(v, ctx)) for k, v in (self.workflow.get("env") or {}).items()})
        ctx["env"] = {k: env[k] for k in (self.workflow.get("env") or {})}
        env.update({k: str(substitute(v, ctx)) for k, v in (job.get("env") or {}).items()})
        env.update(extra_env or {})
        summary_file = self.work / "summaries" / f"{job_id}-{index}.md"
        summary_file.parent.mkdir(exist_ok=True)
        summary_file.touch()
        env["GITHUB_STEP_SUMMARY"] = str(summary_file)
        env["GITHUB_WORKSPACE"] = str(workspace)
        env["CI"] = "true"
        failed = False
        started = time.monotonic()
        print(f"play: job {label} in {workspace}", flush=True)
        for n, step in enumerate(job.get("steps", [])):
            name = step.get("name") or step.get("uses") or f"step {n}"
            condition = str(step.get("if", "success()"))
            runs = "always()" in condition or not failed
            if not runs:
                print(f"play:   skip {name} (an earlier step failed)")
                continue
            if "uses" in step:
                ok = self.uses(step, ctx, workspace)
            else:
                ok = self.run_step(step, ctx, env, workspace, name)
            failed = failed or not ok
        took = time.monotonic() - started
        self.timings.append((label, took))
        outputs = {k: substitute(v, ctx) for k, v in (job.get("outputs") or {}).items()}
        result = {"result": "failure" if failed else "success", "outputs": outputs}
        self.summaries[label] = summary_file.read_text()
        print(f"play: job {label}: {result['result']} in {took:.1f} s", flush=True)
        return result

    def run_step(self, step: dict, ctx: dict, env: dict, workspace: Path, name: str) -> bool:
        step_env = dict(env)
        step_env.update({k: str(substitute(v, ctx)) for k, v in (step.get("env") or {}).items()})
        output = self.work / "outputs" / f"{time.monotonic_ns()}"
        output.parent.mkdir(exist_ok=True)
        output.touch()
        step_env["GITHUB_OUTPUT"] = str(output)
        script = substitute(step["run"], ctx)
        print(f"play:   run {name}", flush=True)
        status = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=workspace, env=step_env).returncode
        if "id" in step:
            ctx["steps"][step["id"]] = {"outputs": parse_outputs(output.read_text())}
        if status != 0:
            print(f"play:   {name}: exit {status}", flush=True)
        return status == 0

    def uses(self, step: dict, ctx: dict, workspace: Path) -> bool:
        action = step["uses"]
        args = {k: substitute(v, ctx) for k, v in (step.get("with") or {}).items()}
        if action.startswith(NO_OPS):
            return True
        if action.startswith("actions/upload-artifact@"):
            return self.upload(str(args["name"]), str(args["path"]), workspace, args.get("if-no-files-found", "warn"))
        if action.startswith("actions/download-artifact@"):
            return self.download(args, workspace)
        raise PlayError(f"no stand-in for `uses: {action}`")

    def upload(self, name: str, paths: str, workspace: Path, if_missing: str) -> bool:
        files: list[Path] = []
        for line in paths.splitlines():
            line = line.strip()
            if not line:
                continue
            p = workspace / line
            if p.is_dir():
                files.extend(f for f in p.rglob("*") if f.is_file())
            elif p.is_file():
                files.append(p)
        if not files:
            print(f"play:   upload {name}: no files ({if_missing})")
            return if_missing != "error"
        # As upload-artifact does: paths relative to the files' least common ancestor.
        root = Path(os.path.commonpath([str(f.parent) for f in files]))
        dest = self.artifacts / name
        for f in files:
            target = dest / f.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
        print(f"play:   upload {name}: {len(files)} files")
        return True

    def download(self, args: dict, workspace: Path) -> bool:
        path = workspace / str(args.get("path", "."))
        if "name" in args:
            names, nested = [str(args["name"])], False
        else:
            pattern = re.compile("^" + re.escape(str(args["pattern"])).replace(r"\*", ".*") + "$")
            names, nested = sorted(a.name for a in self.artifacts.iterdir() if pattern.match(a.name)), True
        for name in names:
            source = self.artifacts / name
            if not source.is_dir():
                print(f"play:   download {name}: no such artifact")
                return False
            shutil.copytree(source, path / name if nested else path, dirs_exist_ok=True)
        print(f"play:   download {', '.join(names) or '(none)'} into {path.relative_to(workspace)}")
        return True


def parse_outputs(text: str) -> dict:
    outputs, lines, i = {}, text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        heredoc = re.fullmatch(r"([\w-]+)<<(\S+)", line)
        if heredoc:
            key, end, value = heredoc.group(1), heredoc.group(2), []
            i += 1
            while i < len(lines) and lines[i] != end:
                value.append(lines[i])
                i += 1
            outputs[key] = "\n".join(value)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
        i += 1
    return outputs


# ---------------------------------------------------------------------------------------------
# the scenario and its checks


def pick(include: list[dict], backend: str, interface: str) -> tuple[int, dict]:
    for index, cell in enumerate(include):
        if cell.get("backend") == backend and cell.get("interface") == interface:
            return index, cell
    raise PlayError(f"the plan has no cell {backend} / {interface}")


def check(player: Player, include: list[dict], planned: list[dict], summary_result: dict, report_dir: Path) -> list[str]:
    problems = []
    if summary_result["result"] != "failure":
        problems.append("the summary job passed although a cell failed and others never reported")
    doc = json.loads((report_dir / "report.json").read_text())
    cells = {(c["backend"], c["interface"]): c for c in doc["cells"]}
    expected = {(c["backend"], c["interface"]) for c in include} | {(p["backend"], p["interface"]) for p in planned}
    if set(cells) != expected:
        problems.append(f"report cells differ from the plan: missing {sorted(expected - set(cells))}, extra {sorted(set(cells) - expected)}")

    def outcomes(key):
        return cells.get(key, {}).get("result", {}).get("outcomes", [])

    passing = outcomes(PASSING)
    if not passing or any(o.get("failure") for o in passing):
        problems.append(f"{PASSING} should have run and passed: {cells.get(PASSING)}")
    failing = [o for o in outcomes(FAILING) if o.get("failure")]
    if not failing:
        problems.append(f"{FAILING} should have failed cases")
    for o in failing:
        if "cargo nextest run" not in o.get("rerun", {}).get("nextest", ""):
            problems.append(f"a failure of {FAILING} has no rerun command: {o}")
        # The `error:` line of the case's own message, read back out of nextest's JUnit.
        if not o["failure"].get("message", "").startswith("check failed at suites/src/keyvalue/scan.rs"):
            problems.append(f"a failure of {FAILING} does not say which check failed: {o['failure'].get('message')!r}")
    for p in planned:
        status = cells.get((p["backend"], p["interface"]), {}).get("result", {}).get("status")
        if status != "planned":
            problems.append(f"planned {p['backend']}/{p['interface']} shows as {status}")
    ran = {PASSING, FAILING}
    for key in expected - ran - {(p["backend"], p["interface"]) for p in planned}:
        status = cells.get(key, {}).get("result", {}).get("status")
        if status != "missing":
            problems.append(f"{key} never reported but shows as {status}")
    markdown = player.summaries.get("summary", "")
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| backend")}
    for backend in {b for b, _ in expected}:
        if backend not in rows:
            problems.append(f"the step summary has no row for {backend}")
    if "❌" not in rows.get(FAILING[0], ""):
        problems.append(f"the step summary does not mark {FAILING[0]} failed")
    if "✅" not in rows.get(PASSING[0], ""):
        problems.append(f"the step summary does not mark {PASSING[0]} passed")
    if planned and "planned" not in markdown:
        problems.append("the step summary shows no planned cell")
    if "missing" not in markdown:
        problems.append("the step summary shows no missing cell")
    if f"test(={FAILING[0]}::{FAILING[1]}::" not in markdown:
        problems.append("the step summary has no rerun command for the failing cell")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="play in this directory and keep it")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[2]
    workflow = yaml.safe_load((repo / WORKFLOW).read_text())
    work = (args.keep or Path(tempfile.mkdtemp(prefix="prism-play-"))).resolve()
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    player = Player(repo, work, workflow)
    try:
        player.results["plan"] = player.run_job("plan", repo)
        player.results["build"] = player.run_job("build", repo)
        matrix = json.loads(player.results["plan"]["outputs"]["matrix"])
        planned = json.loads(player.results["plan"]["outputs"]["planned"])
        include = matrix["include"]
        cell_results = []
        for (backend, interface), extra in ((PASSING, {}), (FAILING, FAULT)):
            index, cell = pick(include, backend, interface)
            workspace = player.fresh_checkout(f"cell-{index}")
            cell_results.append(player.run_job("cell", workspace, matrix=cell, index=index, extra_env=extra))
        # `needs.cell.result` of a matrix job: failure when any of its jobs failed.
        player.results["cell"] = {"result": "failure" if any(r["result"] == "failure" for r in cell_results) else "success", "outputs": {}}
        summary_ws = player.fresh_checkout("summary")
        summary = player.run_job("summary", summary_ws)
        problems = check(player, include, planned, summary, summary_ws / "target" / "prism")
    except PlayError as e:
        print(f"play: {e}", file=sys.stderr)
        return 2
    finally:
        for label, took in player.timings:
            print(f"play: timing {label}: {took:.1f} s")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("play: the summary job's step summary:\n" + player.summaries.get("summary", "(none)")[:3000])
    if problems:
        for p in problems:
            print(f"play: FAILED: {p}", file=sys.stderr)
        return 1
    print(f"play: {len(include)} cells planned, 2 played (1 failing on purpose), {len(planned)} planned; the summary marks each as it should")
    return 0


if __name__ == "__main__":
    sys.exit(main())
