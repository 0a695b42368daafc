"""macOS: sign Tradedesk.app, wrap it in a .dmg, notarise and staple, all driven by env vars.

- ``TRADEDESK_CODESIGN_IDENTITY``: a "Developer ID Application: ..." identity in the login
  keychain. Given to PyInstaller, which signs every binary in the bundle and then the bundle,
  with the hardened runtime and ``installer/macos/entitlements.plist``. Without it the app is
  ad-hoc signed (runs on the machine that built it; Gatekeeper warns elsewhere).
- ``TRADEDESK_NOTARY_APPLE_ID``, ``TRADEDESK_NOTARY_TEAM_ID``, ``TRADEDESK_NOTARY_PASSWORD``
  (an app-specific password): all three, and a signing identity, to notarise the .dmg with
  ``xcrun notarytool submit --wait`` and staple the ticket. None set: notarisation is skipped
  with a message. Some but not all set: the build stops and names the missing ones.

The functions return command lines (lists) so the plan is testable on any platform; only
``package`` runs them, on macOS.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from installer.bundle import APP_NAME, ROOT
from installer.errors import BuildError

ENTITLEMENTS = ROOT / "installer" / "macos" / "entitlements.plist"
IDENTITY_VAR = "TRADEDESK_CODESIGN_IDENTITY"
NOTARY_VARS = ("TRADEDESK_NOTARY_APPLE_ID", "TRADEDESK_NOTARY_TEAM_ID", "TRADEDESK_NOTARY_PASSWORD")

HDIUTIL_ATTEMPTS = 3

Runner = Callable[[Sequence[str]], None]


@dataclass(frozen=True, slots=True)
class Notary:
    apple_id: str
    team_id: str
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"Notary(apple_id={self.apple_id!r}, team_id={self.team_id!r}, password=***)"


@dataclass(frozen=True, slots=True)
class SigningPlan:
    identity: str | None
    notary: Notary | None

    def messages(self) -> list[str]:
        lines = []
        if self.identity is None:
            lines.append(f"codesign: skipped ({IDENTITY_VAR} is not set): the app is ad-hoc signed")
        else:
            lines.append(f"codesign: signing with {self.identity!r}")
        if self.notary is None:
            lines.append(f"notarisation: skipped ({', '.join(NOTARY_VARS)} are not set)")
        else:
            lines.append(f"notarisation: submitting as {self.notary.apple_id}")
        return lines


def signing_plan(env: Mapping[str, str] = os.environ) -> SigningPlan:
    """What the environment asks for; refuses half-configured notarisation."""
    identity = env.get(IDENTITY_VAR, "").strip() or None
    values = {name: env.get(name, "").strip() for name in NOTARY_VARS}
    given = [name for name, value in values.items() if value]
    if not given:
        return SigningPlan(identity, None)
    missing = [name for name in NOTARY_VARS if not values[name]]
    if missing:
        raise BuildError(
            f"notarisation needs all of {', '.join(NOTARY_VARS)}; missing: {', '.join(missing)}"
        )
    if identity is None:
        raise BuildError(
            f"notarisation needs a signed app: set {IDENTITY_VAR} to a Developer ID identity"
        )
    return SigningPlan(identity, Notary(*(values[name] for name in NOTARY_VARS)))


def dmg_name(version: str) -> str:
    return f"{APP_NAME}-{version}.dmg"


def hdiutil_command(staging: Path, dmg: Path, version: str) -> list[str]:
    return [
        "hdiutil", "create",
        "-volname", f"{APP_NAME} {version}",
        "-srcfolder", str(staging),
        "-fs", "HFS+",
        "-format", "UDZO",
        "-ov", str(dmg),
    ]  # fmt: skip


def verify_command(app: Path) -> list[str]:
    return ["codesign", "--verify", "--deep", "--strict", "--verbose=2", str(app)]


def sign_dmg_command(dmg: Path, identity: str) -> list[str]:
    return ["codesign", "--sign", identity, "--timestamp", str(dmg)]


def notarize_commands(dmg: Path, notary: Notary) -> list[list[str]]:
    return [
        [
            "xcrun", "notarytool", "submit", str(dmg),
            "--apple-id", notary.apple_id,
            "--team-id", notary.team_id,
            "--password", notary.password,
            "--wait",
        ],
        ["xcrun", "stapler", "staple", str(dmg)],
        ["xcrun", "stapler", "validate", str(dmg)],
    ]  # fmt: skip


def package(
    app: Path, out_dir: Path, work_dir: Path, version: str, plan: SigningPlan, run: Runner
) -> Path:
    """Verify the signature, build the .dmg (app + /Applications link), sign and notarise it."""
    for line in plan.messages():
        print(line)
    run(verify_command(app))
    staging = work_dir / "dmg"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    shutil.copytree(app, staging / app.name, symlinks=True)
    (staging / "Applications").symlink_to("/Applications")
    out_dir.mkdir(parents=True, exist_ok=True)
    dmg = out_dir / dmg_name(version)
    for attempt in range(1, HDIUTIL_ATTEMPTS + 1):
        try:  # hdiutil fails now and then with "Resource busy" on CI runners
            run(hdiutil_command(staging, dmg, version))
            break
        except BuildError:
            if attempt == HDIUTIL_ATTEMPTS:
                raise
            print(f"hdiutil failed (attempt {attempt} of {HDIUTIL_ATTEMPTS}); trying again")
    if plan.identity is not None:
        run(sign_dmg_command(dmg, plan.identity))
    if plan.notary is not None:
        for command in notarize_commands(dmg, plan.notary):
            run(command)
    return dmg
