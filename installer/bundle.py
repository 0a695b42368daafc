"""What goes into the frozen Tradedesk: the lists the PyInstaller spec feeds to Analysis.

Kept out of the spec so they can be read, imported and tested like any module. Everything here
is computed from the source tree; nothing touches the network.

Data files travel under the same package-relative paths they have in the source tree, so code
that finds them through ``importlib.resources`` (``resources/``) or next to its own module
(Alembic's scripts folder beside ``app/engine/store/migrate.py``) finds them frozen as well.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "Tradedesk"
BUNDLE_ID = "com.tradedesk.Tradedesk"
ENTRY_POINT = ROOT / "main.py"
ICON_DIR = ROOT / "resources" / "icons"

#: folders shipped as data: (source folder, destination inside the bundle)
DATA_TREES: tuple[tuple[Path, str], ...] = (
    (ROOT / "resources" / "demo", "resources/demo"),
    (ROOT / "resources" / "icons", "resources/icons"),
    # Alembic loads env.py and versions/*.py from disk by path: they must ship as .py files
    (ROOT / "app" / "engine" / "store" / "migrations", "app/engine/store/migrations"),
)

#: never ship these: caches and editor droppings
_SKIP_PARTS = {"__pycache__", ".DS_Store", ".mypy_cache", ".pytest_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}

#: modules reached only by name (importlib.resources.files("resources")), or through keyring's
#: entry points; PyInstaller's static import graph cannot see them
HIDDEN_IMPORTS: tuple[str, ...] = (
    "resources",
    # pyqtgraph imports these with importlib.import_module(f"{QT_LIB}.QtOpenGL")
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    # its CA bundle backs OpenSSL where the system has none (rthooks/pyi_rth_tradedesk_certs)
    "certifi",
)

#: our own runtime hooks, run by the frozen app before main.py
RUNTIME_HOOKS: tuple[Path, ...] = (ROOT / "installer" / "rthooks" / "pyi_rth_tradedesk_certs.py",)

#: packages the bundle needs data or metadata of even though only some code paths import them
COLLECT_DATA: tuple[str, ...] = ("fyers_apiv3",)  # FyersWebsocket/map.json, read by path
COPY_METADATA: tuple[str, ...] = ("keyring",)  # keyring finds its backends via entry points

#: PyInstaller runtime hooks the spec removes: they cost start-up time and do nothing for us
SKIPPED_RUNTIME_HOOKS: tuple[str, ...] = ("pyi_rth_setuptools",)

#: big, unused or dangerous for a desktop build; PyInstaller follows optional imports otherwise
EXCLUDES: tuple[str, ...] = (
    # GUI toolkits we do not use (pyqtgraph probes every Qt binding)
    "tkinter",
    "_tkinter",
    "PyQt5",
    "PyQt6",
    "PySide2",
    # Qt modules nothing in Tradedesk uses; pyqtgraph imports QtSvg/QtTest in a try block
    "PySide6.QtTest",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2",
    "PySide6.QtNetwork",
    "PySide6.QtSql",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtPrintSupport",
    "PySide6.QtConcurrent",
    "PySide6.QtDBus",
    "PySide6.scripts",
    # dev and test tools, notebooks, plotting and analysis libraries
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
    "ruff",
    "importlinter",
    "grimp",
    "IPython",
    "jupyter_client",
    "matplotlib",
    "pandas",
    "scipy",
    "ta",
    "numpy.f2py",
    "pyqtgraph.examples",
    "lib2to3",
    # asyncio loop replacements: Tradedesk's loop is Qt's (qasync); aiohttp's gunicorn worker
    # is the only importer
    "uvloop",
    "aiohttp.worker",
    "pydoc_data",
    # a plaintext keyring must never be selectable in the product
    "keyrings",
    "keyrings.alt",
)


def app_modules(package: Path = ROOT / "app") -> list[str]:
    """Every module of the ``app`` package, found on disk without importing anything.

    All of them ship, because some are imported only by name (the strategy registry's
    built-in modules, app.backtest's lazy attributes), which PyInstaller cannot follow.
    Folders without ``__init__.py`` (Alembic's migrations) are data, not modules.
    """
    base = package.parent
    modules = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(base).with_suffix("").parts
        folders = [base.joinpath(*parts[:i]) for i in range(1, len(parts))]
        if not all((folder / "__init__.py").is_file() for folder in folders):
            continue
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def data_files() -> list[tuple[str, str]]:
    """(file, destination folder) pairs for every shipped data file, caches left out."""
    pairs: list[tuple[str, str]] = []
    for source, dest in DATA_TREES:
        if not source.is_dir():
            raise FileNotFoundError(f"bundle data folder is missing: {source}")
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if not path.is_file() or _SKIP_PARTS.intersection(relative.parts):
                continue
            if path.suffix in _SKIP_SUFFIXES:
                continue
            pairs.append((str(path), str(Path(dest, *relative.parent.parts).as_posix())))
    return pairs


def read_version(init_file: Path = ROOT / "app" / "__init__.py") -> str:
    """``__version__`` from app/__init__.py, read as text so building never imports the app."""
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', init_file.read_text("utf-8"), re.M)
    if match is None:
        raise ValueError(f'{init_file}: no __version__ = "..." line')
    return match.group(1)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """Windows wants four 16-bit numbers: "1.2.3" -> (1, 2, 3, 0); "1.2.3rc1" -> (1, 2, 3, 0)."""
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-.+]?[A-Za-z].*)?", version)
    if match is None:
        raise ValueError(f"version {version!r} must start with MAJOR.MINOR[.PATCH]")
    parts = tuple(int(p) if p is not None else 0 for p in match.groups())
    if any(p > 0xFFFF for p in parts):
        raise ValueError(f"version {version!r}: each part must be at most 65535 for Windows")
    return parts[0], parts[1], parts[2], parts[3]
