"""Kill ``parallax index`` at random moments and check the index survives every time.

A generated corpus of a few hundred small files is indexed once. Then, ``--kills`` times: some files
are edited, one is added and one deleted (so the next run really rewrites the index), ``parallax
index`` is started as a subprocess and killed with SIGKILL after a random delay, and the index is
loaded and asked a fixed set of queries. The answers must be exactly those of the index before the
kill, or those of the completed new build (the kill came after the final swap); anything else,
or an index that does not load, is a failure. The next, uninterrupted run must then complete and
leave no temporary folders behind. Finally the incrementally maintained index is compared with a
fresh ``--rebuild`` of the same corpus.

Delays are drawn from the phases of measured runs: a fifth before the staged folder appears
(start-up, reading, embedding), three fifths while it is written and swapped in (where a kill
matters most), a fifth after the swap (removing the old folder, exiting).

    .venv/bin/python benchmarks/faults.py --kills 50 --seed 0

Writes ``benchmarks/results/faults.json``: the command, the environment and per-kill timings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: the tests' fake embedder

from parallax.bench.retrieval import environment
from parallax.index.reader import Index
from parallax.search.searcher import Searcher
from tests.fakes import FakeEmbedder, parallax_argv

MODEL = "parallax/fake-hash-64"
QUERIES = [
    "volcano eruption lava",
    "glacier meltwater river",
    "harbour ships trade",
    "festival music night",
    "orchard apples harvest",
    '"north wind" storm',
]
TOPICS = {
    "volcano": "volcano eruption lava ash crater magma ridge island",
    "glacier": "glacier meltwater river ice valley moraine cold",
    "harbour": "harbour ships trade cargo port crane quay",
    "festival": "festival music night dance stage crowd lanterns",
    "orchard": "orchard apples harvest trees blossom cider autumn",
    "weather": "north wind storm rain clouds thunder coast",
}


def sentence(rng: random.Random) -> str:
    words = [*rng.choice(list(TOPICS.values())).split(), "the", "a", "of", "and", "in", "on", "with", "near"]
    body = " ".join(rng.choice(words) for _ in range(rng.randint(6, 16)))
    return body[0].upper() + body[1:] + "."


def document(rng: random.Random) -> str:
    paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(1, 4))]
    return "\n\n".join(paragraphs) + "\n"


def answers(dest: Path) -> list[list[tuple[str, int, int, float]]]:
    index = Index.load(dest, model_id=MODEL)
    try:
        searcher = Searcher(index, FakeEmbedder(dim=64))
        return [[(h.source, h.start, h.end, round(h.score, 6)) for h in searcher.search(q, k=5).hits] for q in QUERIES]
    finally:
        index.close()


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.parent.glob(f".{dest.name}.*") if ".tmp-" in p.name or ".old-" in p.name)


def mutate(corpus: Path, rng: random.Random, counter: list[int]) -> dict[str, int]:
    files = sorted(corpus.glob("*.txt"))
    edited = rng.sample(files, k=max(1, len(files) // 30))
    for path in edited:
        path.write_text(path.read_text(encoding="utf-8") + sentence(rng) + "\n", encoding="utf-8")
    victim = rng.choice([f for f in files if f not in edited])
    victim.unlink()
    counter[0] += 1
    (corpus / f"doc{counter[0]:05d}.txt").write_text(document(rng), encoding="utf-8")
    return {"edited": len(edited), "added": 1, "removed": 1}


def run_index(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float | None, float | None]:
    """Run to completion; return the exit code, the seconds taken, and when the staged folder appeared
    and was swapped in (polled every 2 ms)."""
    dest = Path(cmd[cmd.index("--index") + 1])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    staged_at = swapped_at = None
    while proc.poll() is None:
        staged = any(dest.parent.glob(f".{dest.name}.tmp-*"))
        if staged_at is None and staged:
            staged_at = time.perf_counter() - t0
        elif staged_at is not None and swapped_at is None and not staged:
            swapped_at = time.perf_counter() - t0
        time.sleep(0.002)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        assert proc.stderr is not None
        sys.stderr.write(proc.stderr.read().decode(errors="replace"))
    return proc.returncode, elapsed, staged_at, swapped_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "faults.json")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="parallax-faults-"))
    corpus, dest = work / "corpus", work / "idx"
    corpus.mkdir()
    env = {**os.environ, "PARALLAX_MODEL": MODEL, "PARALLAX_HOME": str(work / "home")}
    os.environ.update({"PARALLAX_MODEL": MODEL, "PARALLAX_HOME": str(work / "home")})
    for i in range(args.files):
        (corpus / f"doc{i:05d}.txt").write_text(document(rng), encoding="utf-8")
    counter = [args.files]
    cmd = parallax_argv("index", str(corpus), "--index", str(dest))  # the fake model registered

    code, first_s, _, _ = run_index(cmd, env)
    assert code == 0, "the first build failed"
    # Phases of an incremental run, measured on three real updates.
    phases = []
    for _ in range(3):
        mutate(corpus, rng, counter)
        code, elapsed, staged, swapped = run_index(cmd, env)
        assert code == 0 and staged is not None
        phases.append((staged, swapped or elapsed, elapsed))
    staged_at = min(p[0] for p in phases)
    swapped_at = max(p[1] for p in phases)
    run_s = max(p[2] for p in phases)
    print(
        f"first build {first_s:.2f} s; an update takes up to {run_s:.2f} s, "
        f"writing and swapping between {staged_at:.2f} and {swapped_at:.2f} s",
        flush=True,
    )

    kills: list[dict[str, Any]] = []
    for k in range(1, args.kills + 1):
        before = answers(dest)
        change = mutate(corpus, rng, counter)
        phase = rng.random()
        if phase < 0.2:
            delay = rng.uniform(0.0, staged_at)
        elif phase < 0.8:
            delay = rng.uniform(staged_at, swapped_at)
        else:
            delay = rng.uniform(swapped_at, run_s)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(max(0.0, delay - (time.perf_counter() - t0)))
        staged = any(dest.parent.glob(f".{dest.name}.tmp-*"))
        swapping = any(dest.parent.glob(f".{dest.name}.old-*"))
        finished_first = proc.poll() is not None
        if not finished_first:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = time.perf_counter() - t0
        t1 = time.perf_counter()
        error = None
        try:
            after_kill = answers(dest)
        except Exception as exc:  # any failure to load or answer is a lost index
            after_kill, error = None, f"{type(exc).__name__}: {exc}"
        check_ms = (time.perf_counter() - t1) * 1000
        code, rerun_s, _, _ = run_index(cmd, env)
        after = answers(dest) if code == 0 else None
        left = leftovers(dest)
        if after_kill is None:
            state = "unreadable"
        elif after_kill == before and after_kill == after:
            state = "before=after"
        elif after_kill == before:
            state = "before"
        elif after_kill == after:
            state = "after"
        else:
            state = "neither"
        survived = state in ("before", "after", "before=after") and code == 0 and not left
        kills.append(
            {
                "kill": k,
                "delay_s": round(delay, 4),
                "killed_at_s": round(killed_at, 4),
                "exited_before_kill": finished_first,
                "staged_folder_present": staged,
                "swap_in_progress": swapping,
                "state": state,
                "check_ms": round(check_ms, 1),
                "next_run_s": round(rerun_s, 3),
                "next_run_exit": code,
                "leftovers_after_next_run": left,
                "error": error,
                "survived": survived,
                "change": change,
            }
        )
        print(
            f"kill {k:2d}: after {killed_at:5.2f} s{' (had finished)' if finished_first else ''}"
            f"{' writing' if staged else ''}{' swapping' if swapping else ''} -> {state}"
            f"{'' if survived else '  FAILED ' + str(error or left or code)}",
            flush=True,
        )

    fresh = work / "fresh"
    code, _, _, _ = run_index(parallax_argv("index", str(corpus), "--index", str(fresh), "--rebuild"), env)
    incremental_equals_rebuild = code == 0 and answers(fresh) == answers(dest)
    survived = sum(k["survived"] for k in kills)
    states: dict[str, int] = {}
    for entry in kills:
        states[entry["state"]] = states.get(entry["state"], 0) + 1
    summary = {
        "kills": len(kills),
        "survived": survived,
        "states": states,
        "killed_while_writing": sum(k["staged_folder_present"] and not k["exited_before_kill"] for k in kills),
        "killed_mid_swap": sum(k["swap_in_progress"] and not k["exited_before_kill"] for k in kills),
        "finished_before_kill": sum(k["exited_before_kill"] for k in kills),
        "incremental_equals_rebuild": incremental_equals_rebuild,
        "files": args.files,
        "first_build_s": round(first_s, 3),
        "update_s": round(run_s, 3),
        "staged_folder_from_s": round(staged_at, 3),
        "swapped_by_s": round(swapped_at, 3),
        "median_check_ms": sorted(k["check_ms"] for k in kills)[len(kills) // 2] if kills else None,
    }
    result = {
        "command": " ".join(["python benchmarks/faults.py", f"--kills {args.kills}", f"--seed {args.seed}"])
        + (f" --files {args.files}" if args.files != 300 else ""),
        "environment": environment(),
        "model": MODEL,
        "queries": QUERIES,
        "summary": summary,
        "per_kill": kills,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"survived {survived}/{len(kills)} kills ({', '.join(f'{v} {k}' for k, v in sorted(states.items()))}); "
        f"{summary['killed_while_writing']} while writing, {summary['killed_mid_swap']} mid-swap; "
        f"incremental == rebuild: {incremental_equals_rebuild}. Wrote {args.out}"
    )
    return 0 if survived == len(kills) and incremental_equals_rebuild else 1


if __name__ == "__main__":
    raise SystemExit(main())
