#!/usr/bin/env python3
"""Opens prism-matrix's HTML report in headless Chromium (Debian's chromium, driven by
Playwright) as a reader would: the grid must be there with a cell per backend x interface of the
report's JSON, a failing cell must open on a click and show its failures' messages and rerun
commands. Takes a screenshot with the first failing cell open.

    python3 scripts/workflow/html-check.py REPORT.html REPORT.json --screenshot OUT.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("json", type=Path, help="the same run's JSON report, to compare the grid with")
    parser.add_argument("--screenshot", type=Path, required=True)
    args = parser.parse_args()
    doc = json.loads(args.json.read_text())
    expected = {f"{c['backend']}::{c['interface']}": c["result"]["status"] for c in doc["cells"]}
    failing = sorted(
        f"{c['backend']}::{c['interface']}"
        for c in doc["cells"]
        if any(o.get("failure") for o in c["result"].get("outcomes", []))
    )
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(args.html.resolve().as_uri())
        cells = page.eval_on_selector_all(
            "table#matrix td[data-cell]", "tds => tds.map(td => [td.dataset.cell, td.dataset.verdict])"
        )
        shown = dict(cells)
        if set(shown) != set(expected):
            problems.append(
                f"grid cells differ from the JSON: missing {sorted(set(expected) - set(shown))[:5]}, "
                f"extra {sorted(set(shown) - set(expected))[:5]}"
            )
        for cell, status in expected.items():
            verdict = shown.get(cell)
            want = {"planned": "planned", "missing": "missing"}.get(status)
            if want and verdict != want:
                problems.append(f"{cell} is {status} in the JSON but {verdict} in the grid")
        for cell in failing:
            if shown.get(cell) != "fail":
                problems.append(f"{cell} failed but the grid shows {shown.get(cell)}")
        if not failing:
            problems.append("the report has no failing cell to open")
        else:
            cell = page.locator(f'td[data-cell="{failing[0]}"]')
            message = cell.locator(".failure .message").first
            if message.is_visible():
                problems.append(f"{failing[0]}'s failures show before the cell is opened")
            cell.locator("summary").click()
            if not message.is_visible():
                problems.append(f"{failing[0]}'s failure message is not shown after a click")
            text = message.inner_text().strip()
            rerun = cell.locator(".failure code.rerun").first.inner_text()
            if not text:
                problems.append(f"{failing[0]}'s failure message is empty")
            if "cargo nextest run" not in rerun:
                problems.append(f"{failing[0]}'s failure has no nextest rerun command: {rerun!r}")
            print(f"html-check: {failing[0]} opened: {text[:120]!r}; rerun: {rerun}")
        args.screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.screenshot), full_page=True)
        browser.close()
    for problem in problems:
        print(f"html-check: FAILED: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"html-check: {len(shown)} cells in the grid as in the JSON, {len(failing)} failing; screenshot {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
