"""``--engine ray`` on a real (local) Ray cluster with the real MiniLM: the seeds index it builds is the local
engine's, and an update sends the cluster only the changed document. Skipped without the extra
(``pip install 'parallax[ray]'``; CI installs it)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parallax.api import Engine, index_paths
from parallax.core.settings import MINILM_ID
from parallax.embed.registry import get_embedder

from .conftest import assert_same_index

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'parallax[ray]' runs this test")
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def model_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One Parallax home for the driver and the workers (the ONNX export, once), and a local Ray of 2 CPUs."""
    home = tmp_path_factory.mktemp("ray-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARALLAX_HOME", str(home))
        get_embedder(MINILM_ID, backend="onnx").load()  # exported here, before the workers look for it
    env = {"PARALLAX_HOME": str(home), "PARALLAX_MODEL": MINILM_ID, "PARALLAX_BACKEND": "onnx"}
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": env})
    yield home
    ray.shutdown()


@pytest.fixture
def minilm(model_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARALLAX_HOME", str(model_home))
    monkeypatch.setenv("PARALLAX_MODEL", MINILM_ID)
    monkeypatch.setenv("PARALLAX_BACKEND", "onnx")


def test_ray_builds_the_local_index_and_updates_only_what_changed(
    minilm: None, seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parallax.index.ray_engine import RayRunner

    sent: list[list[str]] = []
    call = RayRunner.__call__

    def watched(self: RayRunner, docs: list, *args: object) -> Iterator[object]:  # type: ignore[type-arg]
        sent.append([d.source for d in docs])
        return call(self, docs, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(RayRunner, "__call__", watched)
    builds = {"ray": Engine("ray"), "local": Engine()}
    for name, engine in builds.items():
        index_paths([seeds_copy], index=tmp_path / name, engine=engine)
    assert sent == [sorted(p.name for p in seeds_copy.glob("*.txt"))]
    assert_same_index(tmp_path / "ray", tmp_path / "local", atol=1e-5)

    changed = sorted(seeds_copy.glob("*.txt"))[2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nNATO opened a liaison office.\n", encoding="utf-8")
    os.utime(changed, ns=(time.time_ns() - 10**10,) * 2)  # not "changed a moment ago" for one build and not the other
    stats = {name: index_paths([seeds_copy], index=tmp_path / name, engine=e)[1] for name, e in builds.items()}
    assert sent[1:] == [[changed.name]]
    assert stats["ray"].updated == [changed.name] and not stats["ray"].added
    assert stats["ray"].chunks_embedded == stats["local"].chunks_embedded > 0
    assert_same_index(tmp_path / "ray", tmp_path / "local", atol=1e-5)
