"""Atomic file writing: write to a temporary file in the same folder, then rename.

An interrupted or failed write never leaves a half-written file under the final name, and an
existing file is only replaced when ``overwrite`` is True.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from core.errors import InputError


@contextlib.contextmanager
def atomic_path(path: str | Path, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError("exists already; not overwritten (use --force to replace it)", path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
        os.close(fd)
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror or exc})", path) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; a result file is as any other
        os.replace(tmp_path, path)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise InputError(f"could not be written ({exc.strerror or exc})", path) from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Read once, at import: reading it means setting it, and a umask of 0 for a moment while a worker
# thread (model cache, exports) creates a file would leave that file writable by everyone.
_UMASK = _umask()


def atomic_write_bytes(path: str | Path, data: bytes, overwrite: bool = True) -> Path:
    with atomic_path(path, overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, overwrite: bool = True) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite)
