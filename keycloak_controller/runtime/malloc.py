"""The C allocator's arena cap, for a long-running multi-threaded Python process.

Why: glibc gives threads that allocate at the same time their own malloc arenas
(up to eight per core) and memory freed into one arena is not reused by another,
so a process with a dozen worker and watch threads keeps several times its live
heap. Two arenas (what MALLOC_ARENA_MAX=2 does) keep the resident set close to
the heap; the cost is some allocator contention, which hardly matters for threads
that mostly wait on the network. An explicit MALLOC_ARENA_MAX in the environment
wins, and where there is no glibc `mallopt` (musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # glibc's malloc.h
DEFAULT_ARENAS = 2


def limit_malloc_arenas(arenas: int = DEFAULT_ARENAS) -> bool:
    """Cap glibc's malloc arenas; call before starting threads. True if applied."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False  # the operator chose; glibc already read it
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
