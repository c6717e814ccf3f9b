"""Which modules a real `parallax` command imports, seen from a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence

from .fakes import CHILD_PRELUDE

HEAVY = ("torch", "sentence_transformers", "transformers")

_PROBE = CHILD_PRELUDE + (  # the fake model registered, as in the tests' own process
    "import json, os, sys\n"
    "watched, sys.argv = json.loads(sys.argv[1]), ['parallax'] + sys.argv[2:]\n"
    "def report(code, real=os._exit):\n"  # main() leaves through os._exit: look at sys.modules then
    "    print('LOADED=' + json.dumps([m for m in watched if m in sys.modules]), file=sys.stderr, flush=True)\n"
    "    real(code)\n"
    "os._exit = report\n"
    "from parallax.cli.main import main\n"
    "main()\n"
)


def modules_loaded_by(
    args: Sequence[str], watched: Sequence[str] = HEAVY, env: Mapping[str, str] | None = None
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """Run ``parallax ARGS`` through its entry point; which of ``watched`` it had imported when it exited."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(watched)), *args],
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
    )
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("LOADED=")]
    assert lines, out.stderr[-500:]
    return json.loads(lines[-1][len("LOADED=") :]), out
