"""``parallax index --device auto|cpu|cuda``: the choice (on any machine), the device recorded in the
manifest, and, where a CUDA GPU is, the GPU's vectors against the CPU's on every chunk of the seeds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from parallax.core.errors import InputError, MissingExtraError
from parallax.core.settings import MINILM_ID, seeds_dir
from parallax.embed import device
from parallax.embed.base import Progress
from parallax.embed.registry import get_embedder
from parallax.index.builder import build_index, update_index
from parallax.index.manifest import MANIFEST_FILE
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus

from .conftest import assert_one_line_error, run
from .fakes import FakeEmbedder

NO_GPU = "no CUDA GPU is visible"


def test_auto_without_a_gpu_is_the_cpu() -> None:
    assert device.choose_device("auto", NO_GPU) == "cpu"
    assert device.choose_device("auto", "torch 2.13.0+cpu is a CPU build") == "cpu"


def test_auto_and_cuda_with_a_gpu_are_cuda() -> None:
    assert device.choose_device("auto", None) == "cuda"
    assert device.choose_device("cuda", None) == "cuda"


def test_cpu_is_the_cpu_whatever_the_machine() -> None:
    assert device.choose_device("cpu", None) == "cpu"
    assert device.choose_device("cpu", NO_GPU) == "cpu"


def test_cuda_without_a_gpu_is_a_one_line_error_naming_the_extra() -> None:
    with pytest.raises(MissingExtraError) as caught:
        device.choose_device("cuda", NO_GPU)
    message = str(caught.value)
    assert "\n" not in message
    assert NO_GPU in message and "pip install 'parallax[gpu]'" in message


def test_unknown_device_is_refused() -> None:
    with pytest.raises(InputError, match="auto, cpu, cuda"):
        device.choose_device("tpu", None)


def test_no_gpu_visible_means_cpu_without_importing_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "gpu_visible", lambda: False)
    assert device.cuda_problem() == NO_GPU
    assert device.resolve_device("auto") == "cpu"


def test_cuda_visible_devices_can_hide_the_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert not device.gpu_visible()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert not device.gpu_visible()


def test_a_visible_gpu_puts_minilm_on_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "cuda_problem", lambda: None)  # a fake visible, usable GPU
    for requested in ("auto", "cuda"):
        embedder = get_embedder(MINILM_ID, device=requested)  # built, not loaded: no GPU is touched
        assert isinstance(embedder, device.CudaEmbedder)
        assert (embedder.device, embedder.dtype, embedder.dim) == ("cuda", "float16", 384)
    assert not isinstance(get_embedder(MINILM_ID, device="cpu"), device.CudaEmbedder)
    assert not isinstance(get_embedder(MINILM_ID), device.CudaEmbedder)  # the library default: as before


def test_without_a_gpu_minilm_stays_on_the_onnx_cpu_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "cuda_problem", lambda: NO_GPU)
    embedder = get_embedder(MINILM_ID, device="auto")
    assert not isinstance(embedder, device.CudaEmbedder)
    assert getattr(embedder, "device", None) == "cpu"
    with pytest.raises(MissingExtraError, match=r"parallax\[gpu\]"):
        get_embedder(MINILM_ID, device="cuda")


def test_other_models_have_no_cuda_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "cuda_problem", lambda: None)
    assert isinstance(get_embedder(device="auto"), FakeEmbedder)  # the tests' model: left where it runs
    with pytest.raises(InputError, match="only"):
        get_embedder(device="cuda")
    with pytest.raises(InputError, match="unknown --device"):
        get_embedder(device="tpu")


def test_cli_cuda_without_a_gpu_is_one_line(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARALLAX_MODEL", MINILM_ID)
    monkeypatch.setattr(device, "cuda_problem", lambda: NO_GPU)
    code, output = run("index", str(small_corpus), "--index", str(tmp_path / "idx"), "--device", "cuda")
    assert_one_line_error(code, output, "pip install 'parallax[gpu]'")
    assert not (tmp_path / "idx").exists()


def test_cli_auto_without_a_gpu_indexes_silently(small_corpus: Path, tmp_path: Path) -> None:
    code, output = run("index", str(small_corpus), "--index", str(tmp_path / "idx"))
    assert code == 0, output
    said = output.replace(str(tmp_path), "").lower()
    assert "cuda" not in said and "gpu" not in said


@pytest.mark.parametrize(("free_gib", "batch"), [(0, 64), (0.5, 64), (2, 256), (4, 512), (15, 1024), (80, 1024)])
def test_gpu_batch_follows_free_memory(free_gib: float, batch: int) -> None:
    assert device.gpu_batch(int(free_gib * 2**30)) == batch


def test_devices_after() -> None:
    assert device.devices_after(None, kept_vectors=False, embedded=True, device="cuda") == ["cuda"]
    assert device.devices_after(["cpu"], kept_vectors=True, embedded=True, device="cuda") == ["cpu", "cuda"]
    assert device.devices_after(["cpu", "cuda"], kept_vectors=False, embedded=True, device="cpu") == ["cpu"]
    assert device.devices_after(["cpu"], kept_vectors=True, embedded=False, device="cuda") == ["cpu"]
    assert device.devices_after(None, kept_vectors=True, embedded=True, device="cpu") == ["cpu", "unknown"]


class GpuFake(FakeEmbedder):
    """The fake embedder, saying that it runs on a GPU."""

    device = "cuda"


def _devices(dest: Path) -> object:
    return json.loads((dest / MANIFEST_FILE).read_text(encoding="utf-8"))["extras"].get("devices")


def test_manifest_records_the_devices_of_an_update(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "idx"
    build_index(load_corpus([seeds_copy]), FakeEmbedder(), dest, inputs=[str(seeds_copy)])
    assert _devices(dest) == ["cpu"]
    before = (dest / MANIFEST_FILE).read_bytes()
    stats = update_index(
        load_corpus([seeds_copy]), GpuFake(), dest, inputs=[str(seeds_copy)]
    )  # nothing new: nothing written
    assert not stats.written and (dest / MANIFEST_FILE).read_bytes() == before
    first = sorted(seeds_copy.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n", encoding="utf-8")
    update_index(load_corpus([seeds_copy]), GpuFake(), dest, inputs=[str(seeds_copy)])
    assert _devices(dest) == ["cpu", "cuda"]
    assert len(Index.load(dest, model_id=FakeEmbedder().model_id)) > 0
    build_index(load_corpus([seeds_copy]), GpuFake(), dest)
    assert _devices(dest) == ["cuda"]


def test_an_index_from_before_the_record_is_left_as_it_was(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "idx"
    build_index(load_corpus([seeds_copy]), FakeEmbedder(), dest, inputs=[str(seeds_copy)])
    manifest = json.loads((dest / MANIFEST_FILE).read_text(encoding="utf-8"))
    del manifest["extras"]["devices"]  # as written before the record existed
    (dest / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    assert not update_index(load_corpus([seeds_copy]), FakeEmbedder(), dest, inputs=[str(seeds_copy)]).written


# ---------------------------------------------------------------------------------------------
# Where a CUDA GPU is: its vectors against the CPU's, on every chunk and sentence of the seeds.


class Recording:
    """An embedder that keeps the texts it embedded and their vectors."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        for name in ("model_id", "dim", "max_tokens", "device"):
            setattr(self, name, getattr(inner, name, "cpu"))
        self.texts: list[str] = []
        self.vectors: list[np.ndarray] = []

    def load(self) -> None:
        self.inner.load()  # type: ignore[attr-defined]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)  # type: ignore[attr-defined,no-any-return]

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        out: np.ndarray = self.inner.embed(texts, batch_size=batch_size, progress=progress)  # type: ignore[attr-defined]
        self.texts += list(texts)
        self.vectors.append(out)
        return out


needs_cuda = pytest.mark.skipif(device.cuda_problem() is not None, reason="no usable CUDA GPU here")


@pytest.mark.integration
@needs_cuda
def test_gpu_vectors_match_the_cpu_on_every_chunk_of_the_seeds(tmp_path: Path) -> None:
    cpu = Recording(get_embedder(MINILM_ID, device="cpu"))
    dest = tmp_path / "seeds"
    build_index(load_corpus([seeds_dir()]), cpu, dest, ChunkerConfig(), inputs=[str(seeds_dir())])
    assert cpu.device == "cpu" and len(cpu.texts) > 1000
    gpu = get_embedder(MINILM_ID, device="cuda")
    assert isinstance(gpu, device.CudaEmbedder)
    on_gpu = gpu.embed(cpu.texts)
    on_cpu = np.concatenate(cpu.vectors)
    cosines = np.sum(on_gpu * on_cpu, axis=1)
    assert float(cosines.min()) >= 0.999, f"lowest cosine {cosines.min():.5f} of {len(cosines)} texts"


@pytest.mark.integration
@needs_cuda
def test_an_index_built_on_the_cpu_is_updated_on_the_gpu(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(seeds_dir(), folder)
    dest = tmp_path / "idx"
    build_index(load_corpus([folder]), get_embedder(MINILM_ID, device="cpu"), dest, inputs=[str(folder)])
    first = sorted(folder.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n", encoding="utf-8")
    stats = update_index(load_corpus([folder]), get_embedder(MINILM_ID, device="cuda"), dest)
    assert stats.chunks_embedded > 0
    assert _devices(dest) == ["cpu", "cuda"]
    assert len(Index.load(dest, model_id=MINILM_ID)) == stats.chunks
