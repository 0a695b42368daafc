"""Tradedesk entry point: parse the command line and hand over to app.cli."""

from __future__ import annotations

import time

# first thing: "visible within 2 s of launch" counts our own imports too
LAUNCHED = time.perf_counter()

import faulthandler  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from app.cli import main  # noqa: E402

if __name__ == "__main__":
    # a frozen app re-runs its own executable for process-pool workers (spawn on Windows
    # and macOS): this turns such a run into the worker instead of a second window
    import multiprocessing

    multiprocessing.freeze_support()
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 <pid>` prints every thread's stack
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    sys.exit(main(sys.argv[1:], launched=LAUNCHED))
