"""Windows: the version resource for Tradedesk.exe and the Inno Setup installer.

Nothing here runs Windows tools by itself: ``iscc_command`` builds the command line and
``find_iscc`` locates the compiler, so both are testable on any platform.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from string import Template

from installer.bundle import APP_NAME, ICON_DIR, ROOT, version_tuple
from installer.errors import BuildError

ISS_SCRIPT = ROOT / "installer" / "windows" / "Tradedesk.iss"
VERSION_TEMPLATE = ROOT / "installer" / "windows" / "version_info.txt.in"
#: where `choco install innosetup` puts the compiler
ISCC_DEFAULTS = (
    Path(r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"),
    Path(r"C:\Program Files\Inno Setup 6\ISCC.exe"),
)


def render_version_info(version: str, template: Path = VERSION_TEMPLATE) -> str:
    """The VSVersionInfo text PyInstaller embeds in Tradedesk.exe."""
    numbers = version_tuple(version)
    return Template(template.read_text("utf-8")).substitute(
        version=version, version_tuple=repr(numbers)
    )


def write_version_info(version: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "version_info.txt"
    path.write_text(render_version_info(version), encoding="utf-8")
    return path


def iscc_defines(version: str, source_dir: Path, output_dir: Path) -> dict[str, str]:
    """The /D values Tradedesk.iss requires (it stops with #error when one is missing)."""
    return {
        "AppVersion": version,
        "AppVersionNumeric": ".".join(str(n) for n in version_tuple(version)),
        "SourceDir": str(source_dir),
        "OutputDir": str(output_dir),
        "IconFile": str(ICON_DIR / "tradedesk.ico"),
    }


def iscc_command(iscc: Path, version: str, source_dir: Path, output_dir: Path) -> list[str]:
    defines = iscc_defines(version, source_dir, output_dir)
    return [str(iscc), "/Qp", *(f"/D{k}={v}" for k, v in defines.items()), str(ISS_SCRIPT)]


def installer_name(version: str) -> str:
    return f"{APP_NAME}-Setup-{version}.exe"


def find_iscc(env: Mapping[str, str] = os.environ) -> Path:
    """ISCC.exe from TRADEDESK_ISCC, the PATH, or Inno Setup 6's default folders."""
    configured = env.get("TRADEDESK_ISCC")
    if configured:
        if not Path(configured).is_file():
            raise BuildError(f"TRADEDESK_ISCC={configured} is not a file")
        return Path(configured)
    on_path = shutil.which("ISCC") or shutil.which("iscc")
    if on_path:
        return Path(on_path)
    for candidate in ISCC_DEFAULTS:
        if candidate.is_file():
            return candidate
    raise BuildError(
        "Inno Setup's ISCC.exe was not found: install it with `choco install innosetup` "
        "or set TRADEDESK_ISCC to its path"
    )
