"""Build Tradedesk's one-folder app with PyInstaller, smoke-test it frozen, and package it.

    python3 -m uv run python installer/build.py                 # dist/Tradedesk (one folder)
    python3 -m uv run python installer/build.py --smoke-test 6  # ... then run it offscreen
    python3 -m uv run python installer/build.py --package       # ... and the platform package

The same command runs locally and in .github/workflows/installers.yml. Packages land in
``dist/installers``: Tradedesk-Setup-<version>.exe (Windows, Inno Setup), Tradedesk-<version>.dmg
(macOS, hdiutil; signed and notarised when the environment says so, see package_macos.py),
Tradedesk-<version>-linux-<arch>.tar.gz (Linux). build/ and dist/ are gitignored.

The smoke test runs the frozen executable with ``--smoke-test SECONDS`` on Qt's offscreen
platform, with HOME and the XDG folders pointed at a fresh temporary folder; it fails unless the
app exits 0, creates its journal in the platform's user data folder, and writes nothing inside
the bundle. It prints the bundle's size and the frozen start-to-window time.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `installer` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from installer import package_linux, package_macos, package_windows
from installer.bundle import APP_NAME, ROOT, read_version
from installer.errors import BuildError

SPEC = ROOT / "installer" / "tradedesk.spec"
JOURNAL_FILE = "tradedesk.sqlite"
_WINDOW = re.compile(r"window visible=True ([0-9.]+) s after launch")
#: the INFO line app.bootstrap logs when the window is shown (app/cli.py's log format)
_WINDOW_LOGGED = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) INFO app\.bootstrap: window shown", re.M
)
_SECRET_FLAGS = {"--password"}


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a build puts things; every path is derived from ``dist`` and ``work``."""

    dist: Path
    work: Path

    @property
    def bundle_dir(self) -> Path:
        return self.dist / APP_NAME

    @property
    def installers(self) -> Path:
        return self.dist / "installers"

    def app_root(self, platform: str) -> Path:
        """The folder a user receives: Tradedesk.app on macOS, Tradedesk/ elsewhere."""
        return self.dist / f"{APP_NAME}.app" if platform == "darwin" else self.bundle_dir

    def executable(self, platform: str) -> Path:
        if platform == "darwin":
            return self.app_root(platform) / "Contents" / "MacOS" / APP_NAME
        if platform == "win32":
            return self.bundle_dir / f"{APP_NAME}.exe"
        return self.bundle_dir / APP_NAME


@dataclass(frozen=True, slots=True)
class SmokeReport:
    exit_code: int
    output: str
    data_dir: Path
    window_seconds: float | None  # None on Windows: a windowed .exe has no stdout
    wall_seconds: float
    #: from spawning the process to the window, bootloader included (the app's own figure
    #: starts at main.py's first line); None without the log line
    spawn_to_window: float | None = None


def spawn_to_window(output: str, spawned_at: float) -> float | None:
    """Seconds from ``spawned_at`` (time.time()) to the logged "window shown" line."""
    match = _WINDOW_LOGGED.search(output)
    if match is None:
        return None
    logged = time.mktime(time.strptime(match[1], "%Y-%m-%d %H:%M:%S")) + int(match[2]) / 1000
    return logged - spawned_at


def pyinstaller_command(
    layout: Layout,
    platform: str,
    *,
    version_file: Path | None = None,
    identity: str | None = None,
) -> list[str]:
    command = [
        sys.executable, "-m", "PyInstaller", str(SPEC),
        "--noconfirm",
        "--log-level", "WARN",
        "--distpath", str(layout.dist),
        "--workpath", str(layout.work),
    ]  # fmt: skip
    spec_args: list[str] = []
    if platform == "win32":
        if version_file is None:
            raise BuildError("a Windows build needs its version resource file")
        spec_args += ["--version-file", str(version_file)]
    if platform == "darwin" and identity is not None:
        spec_args += [
            "--codesign-identity", identity,
            "--entitlements", str(package_macos.ENTITLEMENTS),
        ]  # fmt: skip
    return command + (["--", *spec_args] if spec_args else [])


def build(layout: Layout, platform: str, version: str, env: Mapping[str, str]) -> Path:
    """Run PyInstaller; returns the frozen executable."""
    version_file = None
    if platform == "win32":
        version_file = package_windows.write_version_info(version, layout.work)
    identity = package_macos.signing_plan(env).identity if platform == "darwin" else None
    started = time.perf_counter()
    run(pyinstaller_command(layout, platform, version_file=version_file, identity=identity))
    exe = layout.executable(platform)
    if not exe.is_file():
        raise BuildError(f"PyInstaller finished but {exe} does not exist")
    print(f"built {layout.app_root(platform)} in {time.perf_counter() - started:.0f} s")
    return exe


def package(layout: Layout, platform: str, version: str, env: Mapping[str, str]) -> Path:
    """The platform's installer, in ``layout.installers``."""
    if platform == "win32":
        iscc = package_windows.find_iscc(env)
        run(package_windows.iscc_command(iscc, version, layout.bundle_dir, layout.installers))
        target = layout.installers / package_windows.installer_name(version)
    elif platform == "darwin":
        plan = package_macos.signing_plan(env)
        app = layout.app_root(platform)
        target = package_macos.package(app, layout.installers, layout.work, version, plan, run)
    else:
        target = package_linux.make_tarball(layout.bundle_dir, layout.installers, version)
    if not target.is_file():
        raise BuildError(f"packaging finished but {target} does not exist")
    print(f"package: {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return target


def smoke_env(home: Path, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """A fresh user: HOME and the XDG folders in ``home``; Qt draws offscreen."""
    env = dict(base)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
        QT_QPA_PLATFORM="offscreen",
    )
    return env


def expected_data_dir(home: Path, platform: str) -> Path:
    """Where platformdirs puts Tradedesk's data for the user ``smoke_env(home)`` describes."""
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    if platform == "win32":  # Windows asks the shell for known folders, not the environment
        import platformdirs

        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return home / "data" / APP_NAME


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (size, mtime_ns) of everything under ``root``, links not followed."""
    state = {}
    for path in root.rglob("*"):
        stat = path.lstat()
        state[path.relative_to(root).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return state


def tree_size(root: Path) -> int:
    return sum(path.lstat().st_size for path in root.rglob("*") if not path.is_dir())


def smoke_test(exe: Path, app_root: Path, platform: str, seconds: float) -> SmokeReport:
    """Run the frozen app as a brand-new user; BuildError unless everything held."""
    with tempfile.TemporaryDirectory(prefix="tradedesk-smoke-") as tmp:
        home = Path(tmp)
        before = tree_state(app_root)
        started, spawned_at = time.perf_counter(), time.time()
        try:
            result = subprocess.run(
                [str(exe), "--smoke-test", f"{seconds:g}"],
                env=smoke_env(home),
                capture_output=True,
                text=True,
                timeout=seconds + 180,
                check=False,
            )
        except subprocess.TimeoutExpired:  # e.g. a crash dialog nobody will click in CI
            raise BuildError(f"the frozen app did not exit within {seconds + 180:g} s") from None
        wall = time.perf_counter() - started
        output = result.stdout + result.stderr
        print(output.rstrip())
        data_dir = expected_data_dir(home, platform)
        problems = []
        if result.returncode != 0:
            problems.append(f"exit status {result.returncode} (0 means window up, prices moved)")
        if not (data_dir / JOURNAL_FILE).is_file():
            problems.append(f"no journal in the user data folder {data_dir}")
        changed = sorted(set(tree_state(app_root).items()) ^ set(before.items()))
        if changed:
            problems.append(f"wrote inside the bundle: {[name for name, _ in changed][:5]}")
        if problems:
            raise BuildError("frozen smoke test failed: " + "; ".join(problems))
        match = _WINDOW.search(output)
        return SmokeReport(
            result.returncode,
            output,
            data_dir,
            float(match[1]) if match else None,
            wall,
            spawn_to_window(output, spawned_at),
        )


def run(command: Sequence[str]) -> None:
    """Run a build step, echoing it with secrets masked; BuildError if it fails."""
    shown = [
        "***" if i > 0 and command[i - 1] in _SECRET_FLAGS else arg for i, arg in enumerate(command)
    ]
    print("+ " + " ".join(shown), flush=True)
    result = subprocess.run(list(command), check=False)
    if result.returncode != 0:
        raise BuildError(f"{shown[0]} failed with exit status {result.returncode}")


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's cache"
    )
    parser.add_argument("--package", action="store_true", help="also build the installer")
    parser.add_argument(
        "--smoke-test", type=float, metavar="SECONDS", help="run the frozen app this long"
    )
    parser.add_argument(
        "--skip-build", action="store_true", help="reuse the bundle already in --dist"
    )
    return parser.parse_args(list(argv))


def main(argv: Sequence[str], platform: str = sys.platform) -> int:
    args = parse_args(argv)
    layout = Layout(args.dist.resolve(), args.work.resolve())
    version = read_version()
    try:
        if args.skip_build:
            exe = layout.executable(platform)
            if not exe.is_file():
                raise BuildError(f"--skip-build: there is no bundle at {exe}")
        else:
            exe = build(layout, platform, version, os.environ)
        root = layout.app_root(platform)
        print(f"bundle: {root} is {tree_size(root) / 1e6:.1f} MB unpacked")
        if args.smoke_test is not None:
            report = smoke_test(exe, root, platform, args.smoke_test)
            print(
                f"frozen smoke test passed: window {_secs(report.window_seconds)} after main.py "
                f"started, {_secs(report.spawn_to_window)} after the process was spawned; "
                f"whole run {report.wall_seconds:.1f} s; data in {report.data_dir}"
            )
        if args.package:
            package(layout, platform, version, os.environ)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
