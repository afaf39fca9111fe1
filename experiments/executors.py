"""Where a sweep's batches run: this process, a local process pool, or a Dask cluster.

Every backend is a ``concurrent.futures.Executor`` (Dask's through ``Client.get_executor()``), so
the sweep has one submit/wait loop whatever runs the batches. Results never depend on the
backend: a run is a pure function of its config and seed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

DASK_MISSING = (
    "Dask is not installed; install the cluster extra: pip install 'lithium-abm[cluster]'"
)


class InlineExecutor(Executor):
    """Runs each task at submission, in this process: ``--workers 1``, no pickling, easy to debug.

    Only ``Exception`` is captured in the future; Ctrl-C (``KeyboardInterrupt``) propagates at
    once, so batches finished before it are already on disk.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def _ignore_sigint(owner_pid: int | None = None) -> None:
    """Worker initializer: Ctrl-C reaches the whole process group, but only the parent acts on
    it (it saves what is finished, then stops the workers). SIGTERM keeps its default, since
    the pool itself stops broken workers with it. The worker dies with its parent
    (experiments/parent_death.py), so a SIGKILLed sweep leaves nothing running."""
    from lithium_abm.experiments.parent_death import die_with_parent, watch_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    if owner_pid is not None:
        watch_parent(owner_pid)


@dataclass
class Backend:
    """An open executor with its number of parallel slots and a label for the summary."""

    executor: Executor
    slots: int
    label: str
    restartable: bool  # a broken local pool can be replaced; a cluster heals itself
    closers: tuple[Callable[[], Any], ...] = ()

    def close(self, cancel: bool = False) -> None:
        """Shut down; with ``cancel`` queued tasks are dropped and local workers stopped now."""
        if cancel and isinstance(self.executor, ProcessPoolExecutor):
            processes = dict(getattr(self.executor, "_processes", None) or {})
            self.executor.shutdown(wait=False, cancel_futures=True)
            for process in processes.values():
                process.kill()
        else:
            self.executor.shutdown(wait=not cancel)
        for close in self.closers:
            close()


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    """Workers start from a fresh forkserver (spawn where there is none), never by ``fork``.

    Forking a parent that has threads (pyarrow's pools after writing a part file, which
    pandas' string columns also use) can copy a held lock into the child, which then hangs on
    its first allocation; this was seen here after a pool restart. The forkserver imports the
    sweep module once, so each worker still starts in milliseconds.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # The forkserver inherits this environment when it starts: the variable makes the
        # preloaded parent_death module arm PR_SET_PDEATHSIG there, so it dies with us.
        os.environ["LITHIUM_ABM_FORKSERVER_PDEATHSIG"] = "1"
        context.set_forkserver_preload(
            ["lithium_abm.experiments.parent_death", "lithium_abm.experiments.sweep"]
        )
        return context
    return multiprocessing.get_context("spawn")


def open_local(workers: int) -> Backend:
    if workers <= 1:
        return Backend(InlineExecutor(), 1, "this process", restartable=False)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=_ignore_sigint,
        initargs=(os.getpid(),),
    )
    return Backend(pool, workers, f"{workers} local processes", restartable=True)


def open_dask(scheduler: str | None = None, local_workers: int = 0) -> Backend:
    """Connect to a Dask scheduler, or start a local cluster of ``local_workers`` processes."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        from lithium_abm.experiments.spec import SpecError

        raise SpecError(DASK_MISSING) from None
    closers: list[Callable[[], Any]] = []
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except Exception as exc:  # OSError, but also ValueError/TypeError for a bad address
            from lithium_abm.experiments.spec import SpecError

            raise SpecError(f"--dask-scheduler: cannot connect to {scheduler}: {exc}") from None
        label = f"Dask cluster at {scheduler}"
    else:
        from lithium_abm.experiments.parent_death import OWNER_PID_ENV

        # Each worker process runs parent_death.dask_setup at start (a Dask preload), so it
        # dies with this process even if it is SIGKILLed (the nannies live in this process).
        cluster = LocalCluster(
            n_workers=local_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            preload=["lithium_abm.experiments.parent_death"],
            env={OWNER_PID_ENV: str(os.getpid())},
        )
        client = Client(cluster)
        closers.append(cluster.close)
        label = f"local Dask cluster of {local_workers} workers"
    closers.insert(0, client.close)
    slots = max(1, sum(client.nthreads().values()))
    return Backend(client.get_executor(pure=False), slots, label, False, tuple(closers))
