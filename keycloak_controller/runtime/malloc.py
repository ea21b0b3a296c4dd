"""The C allocator's arena cap and heap trimming, for a long-running multi-threaded
Python process.

Why: glibc gives threads that allocate at the same time their own malloc arenas
(up to eight per core) and memory freed into one arena is not reused by another,
so a process with a dozen worker and watch threads keeps several times its live
heap. Two arenas (what MALLOC_ARENA_MAX=2 does) keep the resident set close to
the heap; the cost is some allocator contention, which hardly matters for threads
that mostly wait on the network. An explicit MALLOC_ARENA_MAX in the environment
wins, and where there is no glibc `mallopt` (musl) nothing changes.

Why trim: a cold start or a resync wave decodes whole lists (a realm's clients,
an informer's first page) that are freed again once the wave has passed, but
glibc only returns the top of its heap to the system by itself. The pages freed
in the middle stay resident until `malloc_trim` hands them back: about 15 MB at
2,000 clients, measured. A trim costs microseconds, so a thread trims on a
fixed period instead of guessing when a wave has ended.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

M_ARENA_MAX = -8  # glibc's malloc.h
DEFAULT_ARENAS = 2
TRIM_INTERVAL = 10.0  # seconds


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def limit_malloc_arenas(arenas: int = DEFAULT_ARENAS) -> bool:
    """Cap glibc's malloc arenas; call before starting threads. True if applied."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False  # the operator chose; glibc already read it
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))


def trim_heap() -> bool:
    """Give the allocator's free pages back to the system. False without glibc."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    trim(0)
    return True


def start_heap_trimmer(
    interval: float = TRIM_INTERVAL, stop: threading.Event | None = None
) -> threading.Thread | None:
    """Trim the heap every `interval` seconds on a daemon thread (None without glibc)."""
    if not trim_heap():
        return None
    stopped = stop or threading.Event()

    def loop() -> None:
        while not stopped.wait(interval):
            trim_heap()

    thread = threading.Thread(target=loop, name="heap-trimmer", daemon=True)
    thread.start()
    return thread
