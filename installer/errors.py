"""The one error the build raises for a problem the person building can fix."""

from __future__ import annotations


class BuildError(RuntimeError):
    """Missing tool, incomplete credentials, a failed step: the message says what to do."""
