"""Transforms applied to objects before they enter an informer's cache.

Why: an informer holds every watched object for the life of the process, and
`metadata.managedFields` (server-side apply bookkeeping, one entry per writer)
plus kubectl's last-applied annotation are usually bigger than the rest of the
object. Reconcilers read neither, so dropping them at the door more than halves
the cache (controller-runtime's `TransformStripManagedFields` does the same).

Writes stay correct without them: an update that omits `managedFields` keeps the
server's, and status writes are patches of `status` only.
"""

from __future__ import annotations

from collections.abc import Callable

from .objects import JSON

Transform = Callable[[JSON], JSON]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def strip_bulky_metadata(raw: JSON) -> JSON:
    """Drop managedFields and the last-applied annotation, in place; return `raw`."""
    meta = raw.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict) and LAST_APPLIED in annotations:
            del annotations[LAST_APPLIED]
            if not annotations:
                del meta["annotations"]
    return raw
