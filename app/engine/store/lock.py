"""An exclusive lock on the data folder, held for as long as the journal is open.

Two Tradedesk processes writing the same journal would each believe their own view of open
orders, so the second one must refuse to start. The lock is an OS file lock on
``tradedesk.lock`` (``flock`` on POSIX, ``msvcrt.locking`` on Windows): the OS drops it when
the process dies, so a crash never leaves a stale lock behind. The holder's PID is written
into the file only to make the refusal message useful; the lock itself decides.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from app.engine.store.errors import DataDirInUse, StorageUnavailable

LOCK_NAME = "tradedesk.lock"
# Windows locks are mandatory (a locked byte cannot be read by others), so lock a byte far
# past the PID text; Windows allows locking beyond the end of a file.
_WIN_LOCK_OFFSET = 1 << 20


class DataDirLock:
    """Holds the data folder lock; ``release`` (or process exit) lets it go."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._file: IO[str] | None = None

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        lock = cls(data_dir)
        lock._acquire()
        return lock

    @property
    def held(self) -> bool:
        return self._file is not None

    def _acquire(self) -> None:
        try:
            # "a+" creates the file without truncating the PID another holder wrote.
            handle = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 - held until release
        except OSError as exc:
            raise StorageUnavailable(self.path, f"cannot create the lock file ({exc})") from exc
        try:
            _lock(handle)
        except OSError:
            pid = _read_pid(self.path)
            handle.close()
            raise DataDirInUse(self.data_dir, pid) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        # The file stays: deleting a lock file while another process waits on it lets two
        # processes hold "the" lock on two different files.
        try:
            _unlock(handle)
        finally:
            handle.close()


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(_WIN_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[str]) -> None:
        handle.seek(_WIN_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        # flock locks belong to the open file, so even a second open in this same process
        # is refused (POSIX record locks would let it through).
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
