"""Linux: a .tar.gz of the one-folder app (unpack anywhere, run ``Tradedesk/Tradedesk``)."""

from __future__ import annotations

import platform
import tarfile
from pathlib import Path

from installer.bundle import APP_NAME


def tarball_name(version: str, machine: str | None = None) -> str:
    arch = (machine or platform.machine() or "unknown").lower()
    return f"{APP_NAME}-{version}-linux-{arch}.tar.gz"


def make_tarball(bundle_dir: Path, out_dir: Path, version: str) -> Path:
    """Pack ``bundle_dir`` as ``Tradedesk/...``; permissions and symlinks are kept."""
    if not (bundle_dir / APP_NAME).is_file():
        raise FileNotFoundError(f"{bundle_dir} holds no {APP_NAME} executable")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / tarball_name(version)
    with tarfile.open(target, "w:gz") as tar:
        tar.add(bundle_dir, arcname=APP_NAME, filter=_normalised)
    return target


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # the builder's user and group mean nothing on the machine that unpacks it
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
