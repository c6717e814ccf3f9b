"""What reading FAISS flat files without FAISS saves: `import faiss` against `import numpy`, side by side.

An index's vectors are FAISS files; `parallax.index.flatfile` reads them with numpy alone, so a cold
`parallax search` never imports faiss. This measures the start-up that saves: fresh interpreters alternate
`import numpy` and `import faiss` (faiss imports numpy itself), --runs times each; medians and the difference.

    .venv/bin/python benchmarks/import_cost.py --runs 15
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
STATEMENTS = {"python": "pass", "numpy": "import numpy", "faiss": "import faiss"}


def wall(statement: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "import-cost.json")
    args = parser.parse_args()
    runs: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for _ in range(args.runs):  # interleaved, so that machine noise hits every variant alike
        for name, statement in STATEMENTS.items():
            runs[name].append(wall(statement))
    medians = {name: statistics.median(v) for name, v in runs.items()}
    from parallax.bench.retrieval import environment

    result = {
        "command": ("python benchmarks/import_cost.py " + " ".join(sys.argv[1:])).strip(),
        "environment": environment(),
        "seconds": {k: {"median": round(medians[k], 4), "runs": [round(x, 4) for x in v]} for k, v in runs.items()},
        "faiss_minus_numpy_ms": round(1000 * (medians["faiss"] - medians["numpy"]), 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"median of {args.runs} fresh interpreters, seconds:")
    for name in STATEMENTS:
        print(f"  {STATEMENTS[name]:<14} {medians[name]:.3f}")
    print(f"import faiss costs {result['faiss_minus_numpy_ms']} ms more than import numpy")


if __name__ == "__main__":
    main()
