"""The set-up commands: `make test` must not change the user's system (issue 12)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SYSTEM = ("apt-get", "apt ", "dpkg", "sudo", "snap ", "brew ")


def dry_run(target: str) -> str:
    """Every command `make TARGET` would run, prerequisites included, as if nothing were built yet."""
    out = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_test_installs_no_system_package() -> None:
    commands = dry_run("test")
    assert "pytest" in commands and "pip install" in commands  # the dry run saw the whole recipe
    assert [c for c in commands.splitlines() if any(s in c for s in SYSTEM)] == []


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_ci_installs_the_browser_before_make_test() -> None:
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines() if not ln.startswith("#")]
    assert lines.index("make browser") < lines.index("make test")
    assert "apt-get" in dry_run("browser")


def test_ci_installs_the_ray_extra_and_make_test_does_not() -> None:
    """The `--engine ray` test runs in CI (the extra installed after `make install`), and is skipped by a
    plain `make test`, which installs only `.[dev]`."""
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines() if not ln.startswith("#")]
    ray = next(i for i, ln in enumerate(lines) if "pip install" in ln and "ray]" in ln)
    assert lines.index("make install") < ray < lines.index("make test")
    if shutil.which("make") is not None:
        assert "ray]" not in dry_run("test")
