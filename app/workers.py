"""Work done off the event loop, in a pool of threads of its own."""

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

Result = TypeVar("Result")
Params = ParamSpec("Params")

WORKER_THREADS = 40
"""As many as AnyIO's default limiter lets `run_in_threadpool` run at once, where the work sent
here ran before. On one core 4, 8 and 40 cost a list alike (bench/floors.py); 4 gave a p99 a few
ms lower, but four slow reads would then hold up every list and stats request."""

_workers = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="citykb-worker")


async def in_worker(
    function: Callable[Params, Result], *args: Params.args, **kwargs: Params.kwargs
) -> Result:
    """`function(*args, **kwargs)` in a worker thread, in the caller's context.

    What `run_in_threadpool` does, through the event loop's own executor: AnyIO's hand-off (a
    capacity limiter, a cancel scope, a queue of idle workers) cost a list page about 110 µs
    more of CPU (bench/floors.py, 922 against 811 µs a request, with SQL of 150 to 250).

    Unlike AnyIO's, a caller cancelled while the thread runs (a server's forced shutdown) is
    cancelled at once; the thread finishes its work, bounded by the statement timeout, and
    closes what it opened."""
    context = contextvars.copy_context()
    call = partial(context.run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_workers, call)
