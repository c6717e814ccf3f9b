"""One build of an index at a time: an OS file lock beside the index folder.

The lock file is ``.<name>.lock`` in the folder that holds the index, so that swapping the index
folder never touches it. It is an ``flock``, which the kernel releases when its holder dies, so a
killed build never leaves it stuck. It holds the holder's pid, for the message another build prints.

The lock is not re-entrant: a build takes it once, and everything it calls while holding it
(recovery, staging, writing) assumes it is held. A second holder, in this process or another, waits
or is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parallax.core.errors import IndexBusyError, InputError


def lock_path(dest: Path) -> Path:
    """The lock file of an index: ``.<name>.lock`` in the folder that holds the index, so swaps never touch it."""
    return dest.parent / f".{dest.name}.lock"


def _owner(path: Path) -> str:
    """`` (pid N)`` of the process that holds the lock file ``path``, or "" when it cannot be read."""
    try:
        pid = int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return ""
    return f" (pid {pid})"


def _record_pid(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        finally:
            os.close(fd)
    except OSError:
        pass  # the pid is only for the message another build prints


@contextmanager
def index_lock(dest: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock of the index at ``dest``; wait up to ``wait`` seconds for another build to finish,
    then raise ``IndexBusyError``."""
    from filelock import FileLock, Timeout

    key = lock_path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {dest.parent}: {exc.strerror or exc}") from None
    lock = FileLock(str(key))
    try:
        lock.acquire(timeout=max(float(wait), 0.0), poll_interval=0.05)
    except Timeout:
        raise IndexBusyError(
            f"another parallax index is running on {dest}{_owner(key)}; wait for it to finish or retry "
            f"with --wait SECONDS"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot write an index in {dest.parent} ({exc.strerror or exc}); nothing was changed there"
        ) from None
    try:
        _record_pid(key)
        yield
    finally:
        lock.release()
