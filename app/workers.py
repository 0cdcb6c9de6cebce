"""Work done off the event loop, in a pool of threads of its own."""

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

Result = TypeVar("Result")
Params = ParamSpec("Params")

WORKER_THREADS = 16
"""Fewer than a process's pooled database connections (`DATABASE_POOL_SIZE`, 20), so that work
sent here never waits for one. (On one core, 4, 8 and 40 served lists alike: bench/floors.py.)"""

_workers = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="citykb-worker")


async def in_worker(
    function: Callable[Params, Result], *args: Params.args, **kwargs: Params.kwargs
) -> Result:
    """`function(*args, **kwargs)` in a worker thread, in the caller's context.

    What `run_in_threadpool` does, through the event loop's own executor: AnyIO's hand-off (a
    capacity limiter, a cancel scope, a queue of idle workers) cost a list page about 110 µs
    more of CPU (bench/floors.py, 922 against 811 µs a request, with SQL of 150 to 250)."""
    context = contextvars.copy_context()
    call = partial(context.run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_workers, call)
