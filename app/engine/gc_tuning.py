"""Garbage-collector settings for a trading process, applied once its session is up.

Why: CPython's cyclic collector runs a generation-0 pass every 700 net allocations of
container objects (tuples, dicts, dataclass instances...). A fill keeps about 15 of them
alive for a while (the Fill in the OMS's list, its journal ops until the writer commits
them, order history), so a collection landed inside one fill in about 60 on the bench's
tick-to-fill path (bench/bench_live_path.py), and every tenth of those was a generation-1 pass
over everything that had survived since: that, more than the fill's own work, was the p99.
Everything built at start-up (modules, instruments, restored orders, strategies, widgets)
also sat in the generations and was traversed again by every full collection.

What ``tune_gc`` does, once per process:
- ``gc.collect()`` then ``gc.freeze()``: what start-up built and still uses moves to the
  permanent generation, which collections no longer traverse;
- generation 0 collects every ``YOUNG_THRESHOLD`` net allocations instead of 700: about
  fourteen times rarer, so a collection lands inside about one fill in 700 on the bench (out
  of the p99), each one larger in proportion. Generations 1 and 2 keep their ratios (10, 10).

Memory stays bounded: reference counting still frees at once everything that is not in a
reference cycle (nearly all of a fill's garbage), and the collector still runs; cyclic garbage
just waits for at most ``YOUNG_THRESHOLD`` more allocations. What was frozen is not garbage:
it was alive after the full collection that precedes the freeze, and start-up objects live
for the whole session anyway.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 10_000
_tuned = False


def tune_gc() -> None:
    """Freeze what start-up built and make young collections rarer (see the module
    docstring). Idempotent: later calls (a second session in the same process) change
    nothing, so objects of a closed session are never frozen."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    log.info(
        "gc tuned: %d start-up objects frozen, thresholds %s",
        gc.get_freeze_count(),
        gc.get_threshold(),
    )
