"""Regression test for the PySide6 pin.

PySide6 6.12.0 aborts Python 3.11 after a few thousand signal emits (a refcount bug), so the
project pins PySide6-Essentials to 6.11.x. This test checks the pin and emits many signals
carrying Python objects in a child process (an abort must not take pytest down with it).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import version

EMITS = 20_000

CHILD = textwrap.dedent(
    f"""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class Emitter(QObject):
        changed = Signal(object, str)

    app = QCoreApplication(sys.argv)
    received = []
    emitter = Emitter()
    emitter.changed.connect(lambda payload, text: received.append(len(payload) + len(text)))
    for i in range({EMITS}):
        emitter.changed.emit({{"i": i, "rows": [i] * 3}}, "tick")
    print(len(received))
    """
)


def test_pyside6_essentials_is_pinned_to_6_11() -> None:
    assert version("PySide6-Essentials").startswith("6.11.")


def test_many_signal_emits_do_not_abort() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"child died with {result.returncode}: {result.stderr}"
    assert result.stdout.strip() == str(EMITS)
