"""Children that die with their parent: nothing a sweep or the dashboard starts outlives it.

A ``concurrent.futures`` process pool with the forkserver start method leaves the forkserver,
its resource tracker and the workers running when the parent is SIGKILLed (reparented to init,
holding the caller's stdout/stderr open). Two layers end them:

* Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the process when its parent dies
  (set in the forkserver, which is the workers' parent, in each worker and in the dashboard's
  server);
* a watchdog thread in each worker that polls the pid of the process that started the sweep and
  exits when it is gone (every platform; also covers a forkserver that outlives the sweep).

A local Dask cluster (``--dask-local``) runs its nannies inside the sweep and spawns one worker
process per nanny. Dask ends those workers itself when the pipe to their parent closes; the same
two layers are armed there too, by :func:`dask_setup` (a Dask worker preload), so the guarantee
does not rest on that detail of Dask's alone.

The resource tracker ends by itself once every process holding its pipe is gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_S = 0.5
OWNER_PID_ENV = "LITHIUM_ABM_OWNER_PID"  # set for local Dask workers: the sweep's pid


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent(owner_pid: int, poll_s: float = POLL_S) -> threading.Thread:
    """A daemon thread that ends this process at once when ``owner_pid`` has gone."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent or not pid_alive(owner_pid):
                os._exit(1)

    thread = threading.Thread(target=watch, name="parent-watchdog", daemon=True)
    thread.start()
    return thread


def dask_setup(worker: object) -> None:
    """Dask preload hook, run in each local worker process at start: die with the sweep."""
    die_with_parent()
    owner = os.environ.get(OWNER_PID_ENV, "")
    if owner.isdigit():
        watch_parent(int(owner))


def preexec() -> None:
    """``subprocess.Popen(preexec_fn=...)``: the child dies with the process that started it."""
    die_with_parent()


# Imported in the forkserver (set_forkserver_preload): the forkserver dies with the sweep.
if os.environ.get("LITHIUM_ABM_FORKSERVER_PDEATHSIG") == "1":
    die_with_parent()
