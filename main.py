"""Tradedesk entry point: parse the command line and hand over to app.cli."""

from __future__ import annotations

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
