"""Interchangeable executors: in-process, local processes, a Dask cluster.

Every executor offers `imap(fn, items)`, which yields `(item, fn(item))` pairs *as they
finish* (any order), so the caller can write each result to disk the moment it exists.
Results never depend on the executor: `fn` is deterministic in its item, and callers sort.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator

from .spec import ExperimentError


def _die_with_parent() -> None:
    """Worker initializer. Ctrl-C is the parent's business (it saves what finished and stops
    cleanly), so workers ignore SIGINT; and on Linux the kernel ends a worker when its parent
    dies, so a killed experiment leaves no orphans computing runs nobody will save."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class WorkerCrashed(ExperimentError):
    """A worker process died; finished runs are on disk and a re-run resumes."""


class Executor:
    """Base: runs fn over items, yielding (item, result) as each finishes."""
    name = "base"
    workers = 1

    def imap(self, fn: Callable, items: Iterable) -> Iterator:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"{type(self).__name__}(workers={self.workers})"


class SerialExecutor(Executor):
    """In this process, one item after another (debugging, tiny runs, profiling)."""
    name = "serial"

    def imap(self, fn, items):
        for item in items:
            yield item, fn(item)


class ProcessExecutor(Executor):
    """Local worker processes (default: all cores)."""
    name = "processes"

    def __init__(self, workers: int | None = None, start_method: str | None = None):
        self.workers = int(workers or os.cpu_count() or 1)
        # fork is fastest on Linux; inside a process that already runs threads (Jupyter,
        # Dask) 'forkserver' is the safer choice, and it is the default elsewhere.
        method = start_method or os.environ.get("SIMLIB_START_METHOD") or (
            "fork" if "fork" in mp.get_all_start_methods() else "spawn")
        self._context = mp.get_context(method)
        self._pool = None

    def _ensure(self):
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context,
                                                initializer=_die_with_parent)
        return self._pool

    def imap(self, fn, items):
        items = list(items)
        if not items:
            return
        pool = self._ensure()
        futures = {pool.submit(fn, it): it for it in items}
        try:
            for fut in cf.as_completed(futures):
                try:
                    res = fut.result()
                except cf.process.BrokenProcessPool:
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise WorkerCrashed("a worker process died (killed or out of memory); "
                                        "finished runs are saved; run the same command again "
                                        "to resume") from None
                yield futures[fut], res
        finally:
            for f in futures:
                f.cancel()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """A Dask distributed cluster: an existing scheduler address, or a local cluster.

    Works from Jupyter (the client is synchronous). Workers must be able to import simlib.
    """
    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None,
                 client=None, threads_per_worker: int = 1):
        Client, LocalCluster = _distributed()
        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self._client = client
        elif address:
            try:
                self._client = Client(address, timeout="10s")
            except (OSError, TimeoutError, ValueError) as e:
                raise ExperimentError("--scheduler", "", f"cannot reach the Dask scheduler at {address!r} "
                                      f"({type(e).__name__}: {str(e)[:200]})") from None
        else:
            self._cluster = LocalCluster(n_workers=int(workers or os.cpu_count() or 1),
                                         threads_per_worker=threads_per_worker, processes=True,
                                         dashboard_address=":0", silence_logs=40)
            self._client = Client(self._cluster)
        self.workers = max(1, sum(self._client.nthreads().values()))

    @property
    def client(self):
        return self._client

    def imap(self, fn, items):
        from distributed import as_completed
        items = list(items)
        if not items:
            return
        futures = self._client.map(fn, items, pure=False)
        index = {f.key: it for f, it in zip(futures, items)}
        try:
            for fut in as_completed(futures):
                res = fut.result()
                yield index[fut.key], res
                fut.release()
        finally:
            for f in futures:
                if not f.done():
                    f.cancel()

    def close(self):
        if self._own_client:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


EXECUTORS = ("serial", "processes", "dask")
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
MAX_WORKERS_PER_CORE = 4


def _distributed():
    """Dask's Client and LocalCluster, or an error naming the extra that installs them."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExperimentError("--scheduler", "", "the Dask executor needs Dask's distributed scheduler, "
                              "installed with the cluster extra: pip install 'simlib[cluster]'") from None
    return Client, LocalCluster


def check_workers(workers) -> int | None:
    """None (all cores) or a number of local worker processes from 1 to 4 per core."""
    if workers is None:
        return None
    limit = MAX_WORKERS_PER_CORE * (os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= limit:
        raise ExperimentError("--workers", "", f"got {workers!r}; allowed: an integer from 1 to {limit} "
                              f"({MAX_WORKERS_PER_CORE} per core; default: all cores)")
    return workers


def check_scheduler(address: str) -> str:
    """A Dask scheduler address: scheme://host:port with a scheme Dask speaks, or host:port."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    host, _, port = rest.rpartition(":")
    if scheme not in SCHEDULER_SCHEMES or not rest or (scheme != "inproc" and not (host and port.isdigit())):
        raise ExperimentError("--scheduler", "", f"{address[:100]!r} is not a scheduler address; allowed: "
                              "local (a cluster on this machine), or SCHEME://HOST:PORT with SCHEME one of "
                              + ", ".join(SCHEDULER_SCHEMES) + " (e.g. tcp://10.0.0.5:8786)")
    return address


def make_executor(kind: str | None = None, workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """'serial', 'processes' (default) or 'dask' (a scheduler address or a local cluster)."""
    workers = check_workers(workers)
    if scheduler:
        kind = "dask"
    kind = kind or "processes"
    if kind == "dask":
        _distributed()  # first: without Dask, say which extra installs it
        if scheduler:
            check_scheduler(scheduler)
    if kind == "serial" or (kind == "processes" and workers == 1):
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(address=scheduler, workers=workers)
    from .spec import did_you_mean
    raise ExperimentError("--executor", "", f"got {kind!r}; allowed: {', '.join(EXECUTORS)}."
                          + did_you_mean(kind, EXECUTORS))
