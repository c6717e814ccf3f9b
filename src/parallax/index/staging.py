"""Replacing an index folder so that a crash never leaves it half-written.

A build writes a temporary sibling ``.<name>.tmp-<pid>-<rand>``, flushes it to disk and swaps it in
with two renames: ``dest -> .<name>.old-<rand>``, ``tmp -> dest``, then removes the old folder. A
build killed between the renames leaves no ``dest``: ``recover`` puts the old folder back (a reader
does this too). Every function here but ``check_destination`` must be called
with the index lock held (``parallax.index.lock``); none of them takes it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parallax.core.errors import InputError
from parallax.core.files import fsync_path
from parallax.index.manifest import is_index_dir


def check_destination(dest: Path) -> None:
    """Refuse to replace a file, or a folder that holds something other than an index."""
    if dest.exists() and not dest.is_dir():
        raise InputError(f"{dest} exists and is not a folder; choose another --index")
    if dest.is_dir() and any(dest.iterdir()) and not is_index_dir(dest):
        raise InputError(
            f"{dest} holds files, not a Parallax index, so no index is written there; give --index a new or "
            "empty folder (--index NEW_FOLDER), or leave --index out for a named index in the Parallax home"
        )


def has_backup(dest: Path) -> bool:
    """Whether a build left an old copy of the index at ``dest`` moved aside."""
    return dest.parent.is_dir() and any(dest.parent.glob(f".{dest.name}.old-*"))


def recover(dest: Path) -> None:
    """Finish a swap that a dead build left half done.

    The swap is ``dest -> .old-X``, ``.tmp-Y -> dest``, then ``.old-X`` removed. Killed after the
    first rename, ``dest`` is missing and ``.old-X`` holds the previous index: it is put back. Killed
    later, ``dest`` is the new index and any ``.old-*`` (whole or half removed) is deleted.
    """
    if not dest.parent.is_dir():
        return
    if dest.exists():
        for old in dest.parent.glob(f".{dest.name}.old-*"):
            shutil.rmtree(old, ignore_errors=True)
        return
    olds = sorted(dest.parent.glob(f".{dest.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.rename(olds[-1], dest)
        for old in olds[:-1]:
            shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(dest: Path) -> None:
    """Remove temporary folders left by builds that died.

    Called with the lock held, so no live build of this index owns one; a folder whose pid is alive
    is still left alone, for an older Parallax that did not lock.
    """
    if not dest.parent.is_dir():
        return
    for tmp in dest.parent.glob(f".{dest.name}.tmp-*"):
        try:
            pid = int(tmp.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        if pid == os.getpid() or not _pid_alive(pid):
            shutil.rmtree(tmp, ignore_errors=True)


def tidy(dest: Path) -> None:
    """What a build does first, with the lock held: finish a half-done swap and remove dead builds'
    temporary folders."""
    recover(dest)
    clean_stale(dest)


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk, so the swap publishes complete files."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file() or path.is_dir():
            fsync_path(path)
    fsync_path(folder)


@contextmanager
def staged_dir(dest: Path) -> Iterator[Path]:
    """A temporary folder beside ``dest`` that replaces it on success and vanishes on failure.

    Call with the index lock held, after ``check_destination`` and ``tidy``.
    """
    tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
    except OSError as exc:
        raise InputError(f"cannot write an index in {dest.parent}: {exc.strerror or exc}") from None
    try:
        yield tmp
        _fsync_tree(tmp)
        backup = None
        if dest.exists():
            backup = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(dest, backup)
        os.rename(tmp, dest)
        fsync_path(dest.parent)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
