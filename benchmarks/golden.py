"""Golden outputs: what `parallax search/compare/topics --json` print on the seeds, saved or checked.

Run end to end through the installed command line with the real model, in a Parallax home of its own:

- `parallax search --queries` on the 89 labelled seeds queries (`seeds_queries.jsonl`), in every mode;
- `parallax compare TOPIC --json` on six labelled topics (`seeds_coverage.json`, t01, t03, t05, t07,
  t09, t14);
- `parallax topics --json`, with k chosen by silhouette and with `-n 6`.

Latency figures and the temporary home's path are the only fields that differ between two runs of the
same code, so they are removed before saving. `--save` writes `benchmarks/data/golden/*.jsonl`;
`--check` runs the same commands and prints, per file, how many objects are identical and the first
difference. A refactoring that must not change behaviour is checked with:

    .venv/bin/python benchmarks/golden.py --check
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
GOLDEN = HERE / "data" / "golden"
PARALLAX = [sys.executable, "-m", "parallax"]
TOPIC_IDS = ("t01", "t03", "t05", "t07", "t09", "t14")
MODES = ("hybrid", "dense", "bm25")


def _run(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run([*PARALLAX, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"parallax {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    return out.stdout


def _scrub(value: Any, home: str) -> Any:
    """Drop what differs between runs of the same code: latency and the temporary home's path."""
    if isinstance(value, dict):
        return {k: _scrub(v, home) for k, v in value.items() if k != "latency_ms"}
    if isinstance(value, list):
        return [_scrub(v, home) for v in value]
    if isinstance(value, str) and home and home in value:
        return value.replace(home, "$PARALLAX_HOME")
    return value


def outputs(home: str) -> Iterator[tuple[str, list[Any]]]:
    """(file name, JSON objects) for every golden command, run in the Parallax home ``home``."""
    env = {**os.environ, "PARALLAX_HOME": home}
    env.pop("PARALLAX_MODEL", None)
    env.pop("PARALLAX_BACKEND", None)
    queries = [json.loads(line)["query"] for line in (HERE / "data" / "seeds_queries.jsonl").read_text().splitlines()]
    qfile = Path(home) / "queries.txt"
    qfile.write_text("\n".join(queries) + "\n", encoding="utf-8")
    for mode in MODES:
        lines = _run(["search", "--queries", str(qfile), "--mode", mode, "-k", "10"], env).splitlines()
        yield f"search-{mode}.jsonl", [_scrub(json.loads(ln), home) for ln in lines if ln.strip()]
    labelled = json.loads((HERE / "data" / "seeds_coverage.json").read_text(encoding="utf-8"))["topics"]
    topics = [t["topic"] for t in labelled if t["id"] in TOPIC_IDS]
    yield "compare.jsonl", [_scrub(json.loads(_run(["compare", t, "--json"], env)), home) for t in topics]
    yield (
        "topics.jsonl",
        [_scrub(json.loads(_run(["topics", "--json", *extra], env)), home) for extra in ([], ["-n", "6"])],
    )


def _first_difference(a: Any, b: Any, where: str = "") -> str:
    if type(a) is not type(b):
        return f"{where or '.'}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key}: only in {'saved' if key in a else 'new'}"
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{where}.{key}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items saved, {len(b)} now"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
    return f"{where}: {str(a)[:120]!r} != {str(b)[:120]!r}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--save", action="store_true", help="write the golden files")
    action.add_argument("--check", action="store_true", help="compare with the golden files")
    args = parser.parse_args()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="parallax-golden-") as home:
        for name, objects in outputs(home):
            path = GOLDEN / name
            if args.save:
                path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), encoding="utf-8")
                print(f"saved {len(objects)} objects to {path}")
                continue
            saved = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            same = sum(x == y for x, y in zip(saved, objects))
            diff = [_first_difference(x, y) for x, y in zip(saved, objects) if x != y]
            ok = same == len(saved) == len(objects)
            failed += not ok
            print(f"{name:18} {same}/{len(saved)} identical" + ("" if ok else f"; first difference {diff[:1]}"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
