"""Where a benchmark ran: machine, CPU count, threads, versions and date, saved with every result."""

from __future__ import annotations

import os
import platform
import time
from typing import Any

from parallax import __version__


def environment() -> dict[str, Any]:
    """The machine and software a result was measured on (torch's thread count when torch is installed)."""
    threads = None
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        pass
    return {
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": threads,
        "python": platform.python_version(),
        "parallax": __version__,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
