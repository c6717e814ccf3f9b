"""Time of an update that finds nothing changed, on a folder of HTML pages: with and without reusing
the extractions the index stored.

Makes --copies HTML pages from the seed articles (each copy's text differs, so none is a duplicate),
indexes them with the fake embedder (embedding is not what is measured), then times, side by side
and --runs times each:
- `index_paths` on the unchanged folder (the index reuses what it extracted: files are read and hashed);
- `load_corpus` on the same folder without reuse (what every update did before: trafilatura again).

    .venv/bin/python benchmarks/noop_update.py --copies 40 --runs 3

Writes benchmarks/results/noop-update.json and prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: the tests' fake embedder

from parallax.api import index_paths
from parallax.bench.retrieval import environment
from parallax.core.settings import seeds_dir
from parallax.ingest.load import load_corpus
from tests.fakes import FakeEmbedder

HERE = Path(__file__).parent


def make_pages(folder: Path, copies: int) -> int:
    folder.mkdir(parents=True)
    articles = [p for p in sorted(seeds_dir().glob("*.txt"))]
    n = 0
    for k in range(copies):
        for path in articles:
            paras = [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
            body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
            page = (
                f"<html><head><title>{html.escape(paras[0][:80])} ({k})</title></head><body>"
                f"<nav>Home | World | Asia</nav><article><h1>Copy {k}</h1>{body}</article>"
                f"<footer>Contact us</footer></body></html>"
            )
            (folder / f"{path.stem}-{k:03d}.html").write_text(page, encoding="utf-8")
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "noop-update.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, dest = Path(tmp) / "pages", Path(tmp) / "index"
        pages = make_pages(folder, args.copies)
        fake = FakeEmbedder(dim=64)
        t0 = time.perf_counter()
        index_paths([folder], index=dest, embedder=fake)
        first = time.perf_counter() - t0
        reuse, again = [], []
        for _ in range(args.runs):  # interleaved
            t0 = time.perf_counter()
            _dest, stats = index_paths([folder], index=dest, embedder=fake)
            reuse.append(time.perf_counter() - t0)
            assert not stats.written and stats.chunks_embedded == 0
            t0 = time.perf_counter()
            load_corpus([folder])
            again.append(time.perf_counter() - t0)
    result = {
        "command": ("python benchmarks/noop_update.py " + " ".join(sys.argv[1:])).strip(),
        "environment": environment(),
        "html_pages": pages,
        "first_index_seconds_fake_embedder": round(first, 2),
        "noop_update_seconds": {"median": round(statistics.median(reuse), 3), "runs": [round(x, 3) for x in reuse]},
        "extract_all_again_seconds": {
            "median": round(statistics.median(again), 3),
            "runs": [round(x, 3) for x in again],
        },
    }
    result["speedup"] = round(
        result["extract_all_again_seconds"]["median"] / result["noop_update_seconds"]["median"], 1
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{pages} HTML pages: no-op update {result['noop_update_seconds']['median']:.2f} s (stored extractions), "
        f"extracting them all again {result['extract_all_again_seconds']['median']:.2f} s -> {result['speedup']}x"
    )


if __name__ == "__main__":
    main()
