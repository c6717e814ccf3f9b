"""A torch-free MiniLM encoder: onnxruntime plus the ``tokenizers`` library.

The packaged sentence-transformers model is exported once to ONNX, with mean pooling and L2
normalisation inside the graph, so the ONNX model returns the same unit vectors as
sentence-transformers. The export needs torch and no network; it is cached under the Parallax home
with the model id and the sha256 of the weights it came from.

Two choices keep a cold query fast, with the same vectors:
- The graph is fused with onnxruntime's own transformer optimiser (one Attention, SkipLayerNorm and
  BiasGelu node per layer instead of ~100 small ops): 685 nodes become 65.
- The word-embedding table (30,522 x 384 floats, half the weights) stays out of the graph, in a
  ``.npy`` file that is memory-mapped: a query reads the dozen rows it needs instead of making
  onnxruntime copy 47 MB at every start. The graph takes ``inputs_embeds``.

Queries are tokenised without padding (the packaged ``tokenizer.json`` pads to 128, which would
cost 10x on short queries).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from parallax.core.errors import MissingExtraError
from parallax.core.files import atomic_write, replacing
from parallax.core.report import Notify, note
from parallax.core.settings import MINILM_ID, home
from parallax.embed.base import Progress
from parallax.embed.minilm import load_tokenizer, packaged_model_dir

if TYPE_CHECKING:
    from logging import LogRecord

    from tokenizers import Tokenizer

ONNX_FILE = "model.onnx"
WORDS_FILE = "word_embeddings.npy"
INT8_FILE = "model.int8.onnx"
META_FILE = "meta.json"
OPSET = 17
EXPORT_VERSION = 3  # 2: eager attention, fused by onnxruntime.transformers; 3: word embeddings outside
MAX_SEQ = 256

# Exception classes of the native libraries under the export and the session, which derive from
# ``Exception`` directly (none from RuntimeError): by module, looked up only once it is imported.
_NATIVE_FAILURES = (
    (
        "onnxruntime.capi.onnxruntime_pybind11_state",
        (
            "Fail",
            "InvalidArgument",
            "NoSuchFile",
            "NoModel",
            "EngineError",
            "RuntimeException",
            "InvalidProtobuf",
            "ModelLoaded",
            "NotImplemented",
            "InvalidGraph",
            "EPFail",
        ),
    ),
    ("google.protobuf.message", ("DecodeError", "EncodeError")),
    ("onnx.onnx_cpp2py_export.checker", ("ValidationError",)),
    ("onnx.onnx_cpp2py_export.shape_inference", ("InferenceError",)),
    ("safetensors._safetensors_rust", ("SafetensorError",)),
)


def native_failures() -> tuple[type[BaseException], ...]:
    """The exception classes of onnxruntime, onnx, protobuf and safetensors, for those already imported.

    A library that is not imported cannot have raised, so none is imported here.
    """
    found: list[type[BaseException]] = []
    for module_name, names in _NATIVE_FAILURES:
        module = sys.modules.get(module_name)
        for name in names if module is not None else ():
            cls = getattr(module, name, None)
            if isinstance(cls, type) and issubclass(cls, BaseException):
                found.append(cls)
    return tuple(found)


def _fingerprint(weights: Path) -> dict[str, int]:
    st = weights.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def cache_dir() -> Path:
    return home() / "models" / "all-MiniLM-L6-v2-onnx"


def _valid_cache(folder: Path, weights: Path) -> bool:
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(
        meta.get("model_id") == MINILM_ID
        and meta.get("weights") == _fingerprint(weights)
        and meta.get("opset") == OPSET
        and meta.get("export") == EXPORT_VERSION
        and meta.get("files") == _sizes(folder)  # a damaged or truncated file is exported again
    )


def _sizes(folder: Path) -> dict[str, int] | None:
    """Byte sizes of the exported files, or None when one is missing."""
    try:
        return {name: (folder / name).stat().st_size for name in (ONNX_FILE, WORDS_FILE)}
    except OSError:
        return None


def export(model_dir: Path, folder: Path, notify: Notify = note) -> Path:
    """Export the packaged model to ``folder/model.onnx`` (pooling and normalisation included)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    notify("Exporting MiniLM to ONNX once for fast queries (about 20 s)…")
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    weights = model_dir / "model.safetensors"
    # Eager attention exports as plain MatMul/Softmax, a pattern the fusion below recognises.
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
    model.eval()
    words = model.embeddings.word_embeddings.weight.detach()
    with replacing(folder / ONNX_FILE) as tmp:  # the graph replaces the old one last, after the word table
        _export_graph(model, words, tmp)
        fused = _fuse(tmp, int(model.config.num_attention_heads), int(model.config.hidden_size))
        (folder / INT8_FILE).unlink(missing_ok=True)  # quantised from an older export
        with replacing(folder / WORDS_FILE) as words_tmp, open(words_tmp, "wb") as f:
            np.save(f, words.numpy().astype(np.float32))
    meta = {
        "model_id": MINILM_ID,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "weights": _fingerprint(weights),
        "opset": OPSET,
        "export": EXPORT_VERSION,
        "fused": fused,
        "files": _sizes(folder),
        "torch": torch.__version__,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write(folder / META_FILE, json.dumps(meta, indent=2))
    return folder / ONNX_FILE


def _export_graph(model: Any, words: Any, path: Path) -> None:
    """Write the encoder with mean pooling and L2 normalisation as one ONNX graph that takes ``inputs_embeds``."""
    import warnings

    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, inputs_embeds: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                inputs_embeds=inputs_embeds, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    ids = torch.ones(2, 8, dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(model),
            (words[ids], torch.ones_like(ids), torch.zeros_like(ids)),
            str(path),
            dynamo=False,
            input_names=["inputs_embeds", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "inputs_embeds": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "token_type_ids": {0: "batch", 1: "seq"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
        )


def _fusion_failures() -> tuple[type[BaseException], ...]:
    """What onnxruntime's optimiser raises on a graph it cannot read or fuse.

    The native libraries' classes (protobuf's ``DecodeError`` for a file that is not a graph,
    onnxruntime's ``Fail``/``InvalidGraph``..., onnx's ``ValidationError``), ``OSError`` for files, and
    the Python errors its pattern matchers raise on graphs they were not written for: ``ValueError``,
    ``LookupError``, ``TypeError``, ``AttributeError``, ``AssertionError``, ``RuntimeError``.
    """
    python = (OSError, ValueError, LookupError, TypeError, AttributeError, AssertionError, RuntimeError)
    return (*python, *native_failures())


def _fuse(path: Path, heads: int, hidden: int) -> dict[str, int]:
    """Rewrite ``path`` in place with onnxruntime's BERT fusions; on failure keep the plain graph.

    Returns the count of each fused operator (empty when fusion was not possible).
    """
    import logging

    try:
        from onnxruntime.transformers import optimizer
    except ImportError:
        return {}
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    try:
        with replacing(path) as fused_path:
            model = optimizer.optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden)
            stats = {k: int(v) for k, v in model.get_fused_operator_statistics().items() if v}
            model.save_model_to_file(str(fused_path))
    except _fusion_failures():  # fusion is an optimisation: the unfused graph gives the same vectors
        return {}
    return stats


@contextmanager
def root_logger_kept(drop_below: int) -> Iterator[None]:
    """Leave the root logger as it was found, and drop records below ``drop_below`` logged on it meanwhile.

    onnxruntime's quantisation package calls ``logging.basicConfig(level=INFO)`` when it is imported (a
    handler and a level on the root logger, which would make every library's INFO and DEBUG records print
    for the rest of the process), and its quantiser warns through ``logging.warning()`` on the root
    logger. Inside the block a filter drops the root's own records below ``drop_below`` (records that
    propagate up from named loggers meet the root's handlers, not its filters); at the end the root's
    handlers, level and filters are put back, however the block ends.
    """
    import logging

    def quiet(record: LogRecord) -> bool:
        return record.levelno >= drop_below

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)
        root.handlers[:] = handlers
        root.setLevel(level)


def quantize(folder: Path) -> Path:
    """A dynamically quantised copy of the exported model: int8 weights, one scale per output channel."""
    import logging

    target = folder / INT8_FILE
    if target.is_file():
        return target
    with replacing(target) as tmp, root_logger_kept(logging.ERROR):
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(
            str(folder / ONNX_FILE),
            str(tmp),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # The fused operators are in onnxruntime's own domain, which ONNX shape inference cannot type.
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    return target


def ensure_onnx(model_dir: Path | None = None, notify: Notify = note, int8: bool = False) -> Path:
    """The cached ONNX file for the packaged model, exported first if needed."""
    model_dir = model_dir or packaged_model_dir()
    folder = cache_dir()
    if not _valid_cache(folder, model_dir / "model.safetensors"):
        export(model_dir, folder, notify)
    return quantize(folder) if int8 else folder / ONNX_FILE


class OnnxEmbedder:
    """all-MiniLM-L6-v2 through onnxruntime: same vectors as sentence-transformers, no torch."""

    model_id = MINILM_ID
    dim = 384
    max_tokens = 254

    def __init__(self, int8: bool = False, threads: int | None = None, notify: Notify = note) -> None:
        self.model_dir = packaged_model_dir()
        self.int8 = int8
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self._notify = notify
        self._session: Any = None
        self._words: Any = None  # memory-mapped (vocab, dim) word-embedding table
        self._tokenizer: Tokenizer | None = None

    @property
    def backend(self) -> str:
        return "onnx-int8" if self.int8 else "onnx"

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.model_dir)
        return self._tokenizer

    def load(self) -> None:
        if self._session is not None:
            return
        try:
            import onnxruntime as ort
        except ImportError:
            raise MissingExtraError("onnxruntime is not installed; install it with: pip install onnxruntime") from None
        path = ensure_onnx(self.model_dir, self._notify, self.int8)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Spinning worker threads help a dedicated server and hurt a shared laptop or a 2-core CI box.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._words = np.load(path.parent / WORDS_FILE, mmap_mode="r")
        self.tokenizer  # noqa: B018 - parsed here (~35 ms) so that it counts as load, not as the first query

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        embeds = np.asarray(self._words[ids], dtype=np.float32)
        feed = {"inputs_embeds": embeds, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = self._session.run(None, feed)
        return np.asarray(out[0], dtype=np.float32)

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        self.load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = [min(len(e.ids), MAX_SEQ) for e in encodings]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = max(lengths[i] for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                seq = encodings[i].ids
                if len(seq) > MAX_SEQ:  # like sentence-transformers: keep the start, end with [SEP]
                    seq = [*seq[: MAX_SEQ - 1], seq[-1]]
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            out[idx] = self._run(ids, mask)
            if progress:
                progress(len(idx))
        return out
