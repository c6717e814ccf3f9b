"""Which modules a real `parallax` command imports, seen from a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .fakes import CHILD_PRELUDE

HEAVY = ("torch", "sentence_transformers", "transformers")

_PROBE = CHILD_PRELUDE + (  # the fake model registered, as in the tests' own process
    "import json, os, sys\n"
    "watched, sys.argv = json.loads(sys.argv[1]), ['parallax'] + sys.argv[2:]\n"
    "def report(code, real=os._exit):\n"  # main() leaves through os._exit: look at sys.modules then
    "    print('LOADED=' + json.dumps([m for m in watched if m in sys.modules]), file=sys.stderr, flush=True)\n"
    "    real(code)\n"
    "os._exit = report\n"
)
_ENTRY = "from parallax.cli.main import main\nmain()\n"
# Runs the installed console script itself, as the shell would, with the script as sys.argv[0].
_SCRIPT = "import runpy\nsys.argv[0] = {path!r}\nrunpy.run_path(sys.argv[0], run_name='__main__')\n"


def modules_loaded_by(
    args: Sequence[str],
    watched: Sequence[str] = HEAVY,
    env: Mapping[str, str] | None = None,
    script: Path | None = None,
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """Run ``parallax ARGS`` through its entry point (or through the console ``script``, when given);
    which of ``watched`` it had imported when it exited."""
    code = _PROBE + (_ENTRY if script is None else _SCRIPT.format(path=str(script)))
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(watched)), *args],
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
    )
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("LOADED=")]
    assert lines, out.stderr[-500:]
    return json.loads(lines[-1][len("LOADED=") :]), out
