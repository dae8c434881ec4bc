"""The objects a serving process makes while it starts, moved out of the garbage collector's sight.

A started process holds about 214,000 objects the cyclic garbage collector tracks: the modules, the
compiled JSON Schemas, the pinned JSON-LD contexts, the routes. They live as long as the process,
yet every full (generation 2) collection walks all of them, and it runs in whichever request thread
happens to allocate at the time: measured under 100 awards/s on two workers, full collections
took 130–230 ms each, the longest pauses any request saw. :func:`freeze_startup_objects` collects
once (so no garbage is kept), then moves every object still alive into the collector's permanent
generation (``gc.freeze``): later collections walk only what requests make, and the process's
longest pause fell below 10 ms in the same run.

The processes that build and sign a bulk job's awards allocate far more, and paid for the same
walks far more often: freezing their startup objects too took a 20,000-row job from 781–941 to
1,155–1,308 credentials/s on SQLite (signing processes' CPU per credential −23 %, the runner's
−39 %) and from 729–829 to 869–929/s on PostgreSQL.

Objects frozen stay tracked: one that becomes garbage later is freed by reference counting as
before; only a reference cycle among frozen objects would stay, and startup objects are not
dropped. Each process calls it once its start is done (``BADGE_GC_FREEZE``): a serving process's
lifespan, a worker of the verification or signing pool (``verify_pool``), a ``badge-issuer
worker`` process (``job_queue``). A test process, which starts many applications, leaves it off.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect, then freeze every object still alive; how many are frozen now."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
