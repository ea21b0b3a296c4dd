"""The real GitOps health readers, through the Go helper `make provision` builds.

`hack/gitops-readers` (built by `hack/build-gitops-readers.sh` into the cache)
judges objects with Flux's kstatus (`sigs.k8s.io/cli-utils`, `status.Compute`)
and runs an Argo CD health script in gopher-lua, the Lua VM Argo CD embeds, set
up as Argo CD sets it up. One process call judges a whole batch: `read(objs)`.

Objects go to the helper as JSON, the form the apiserver returns them in, so
kstatus sees the number types it would see (integers int64, others float64).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.config import REPO_ROOT, ProvisioningError, cache_root, pinned_versions

SOURCE_DIR = REPO_ROOT / "hack" / "gitops-readers"
HEALTH_LUA = REPO_ROOT / "deploy" / "argocd" / "health.lua"


@dataclass(frozen=True)
class KstatusVerdict:
    status: str
    message: str
    conditions: tuple[Mapping[str, str], ...]


@dataclass(frozen=True)
class Health:
    """What Argo CD reads from the table a health script returns."""

    status: str
    message: str


@dataclass(frozen=True)
class Verdict:
    """The readers' verdicts on one object; an `*_error` is set instead of a refused verdict."""

    kstatus: KstatusVerdict | None
    kstatus_error: str | None
    health: Health | None
    health_error: str | None


@dataclass
class _Timing:
    calls: int = 0
    objects: int = 0
    seconds: float = 0.0


_timing = _Timing()
_timing_lock = threading.Lock()


def timing() -> tuple[int, int, float]:
    """Helper process calls, objects judged and seconds spent in this process so far."""
    with _timing_lock:
        return _timing.calls, _timing.objects, _timing.seconds


def _sources_hash() -> str:
    # Same files, order and hash as hack/build-gitops-readers.sh stamps.
    names = sorted(["go.mod", "go.sum", *(p.name for p in SOURCE_DIR.glob("*.go"))])
    digest = hashlib.sha256()
    for name in names:
        digest.update((SOURCE_DIR / name).read_bytes())
    return digest.hexdigest()


@cache
def versions() -> tuple[str, str]:
    """(cli-utils, gopher-lua): the pinned module versions the helper is built from."""
    pins = pinned_versions()
    return pins["CLI_UTILS_VERSION"], pins["GOPHER_LUA_VERSION"]


@cache
def binary() -> Path:
    cli_utils, gopher_lua = versions()
    out = cache_root() / "gitops-readers" / f"cli-utils-{cli_utils}-gopher-lua-{gopher_lua}"
    path, stamp = out / "bin" / "gitops-readers", out / ".complete"
    hint = "run `make provision` (hack/build-gitops-readers.sh)"
    if not path.is_file() or not stamp.is_file():
        raise ProvisioningError(f"{path} is missing; {hint}")
    if stamp.read_text().strip() != _sources_hash():
        raise ProvisioningError(f"{path} was built from older hack/gitops-readers sources; {hint}")
    return path


def _verdict(raw: Mapping[str, Any]) -> Verdict:
    k, h = raw.get("kstatus"), raw.get("health")
    return Verdict(
        kstatus=None
        if k is None
        else KstatusVerdict(k["status"], k["message"], tuple(k["conditions"])),
        kstatus_error=raw.get("kstatusError"),
        health=None if h is None else Health(h["status"], h["message"]),
        health_error=raw.get("healthError"),
    )


def _run(health_lua: Path | None, files: Sequence[Path], stdin: str, count: int) -> list[Verdict]:
    args = [str(binary())]
    if health_lua is not None:
        args += ["-health-lua", str(health_lua)]
    args += [str(f) for f in files]
    started = time.monotonic()
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"gitops-readers failed ({done.returncode}): {done.stderr.strip()}")
    raw = json.loads(done.stdout)
    assert isinstance(raw, list), done.stdout
    assert count < 0 or len(raw) == count, (count, done.stdout)
    with _timing_lock:
        _timing.calls += 1
        _timing.objects += len(raw)
        _timing.seconds += elapsed
    return [_verdict(item) for item in raw]


def read(objs: Sequence[Mapping[str, Any]], health_lua: Path | None = HEALTH_LUA) -> list[Verdict]:
    """kstatus (and, unless `health_lua` is None, Argo CD health) for each object, in order."""
    return _run(health_lua, [], json.dumps(list(objs)), len(objs))


def read_files(files: Sequence[Path], health_lua: Path | None = HEALTH_LUA) -> list[Verdict]:
    """The same for the objects in YAML or JSON files, decoded by the helper (as Argo CD's
    own health-check tests decode their testdata), in file and document order."""
    return _run(health_lua, files, "", -1)


def argocd_health(objs: Iterable[Mapping[str, Any]], script: Path = HEALTH_LUA) -> list[Health]:
    """Argo CD's health of each object under `script`; a script error raises."""
    out = []
    for verdict in read(list(objs), health_lua=script):
        if verdict.health is None:
            raise AssertionError(f"the health script failed: {verdict.health_error}")
        out.append(verdict.health)
    return out
