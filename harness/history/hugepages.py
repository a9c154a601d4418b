"""NumPy's transparent huge pages, turned off where they make Linux compact memory on the spot.

NumPy asks the kernel for transparent huge pages (``madvise(MADV_HUGEPAGE)``) for every array over 4 MiB.
Where the kernel's ``defrag`` setting is ``always``, ``madvise`` or ``defer+madvise``, each such request
may make it compact memory while the process waits. The tables and checks of a large history allocate
gigabytes of arrays that are written once and read a few times, so huge pages save them little, and the
compaction costs a lot: measured on this project's machine (``madvise``), ``kafka-chaos report`` of a
million sends spent 4 to 5 s in the kernel with the hint and about 1 s without it (of about 12 s).

The hint changes nothing but speed: no result depends on it. It is NumPy's process-wide switch, the one
its ``NUMPY_MADVISE_HUGEPAGE`` environment variable sets at import; a NumPy without it is left alone.
"""

from __future__ import annotations

from pathlib import Path

THP_DEFRAG = Path("/sys/kernel/mm/transparent_hugepage/defrag")
SYNCHRONOUS = frozenset({"always", "madvise", "defer+madvise"})
"""The ``defrag`` modes in which asking for a huge page may stall the process (see the kernel's
``Documentation/admin-guide/mm/transhuge.rst``)."""


def defrag_mode(path: Path = THP_DEFRAG) -> str | None:
    """The kernel's selected ``defrag`` mode (``[madvise]`` in the file), None where it cannot be read."""
    try:
        text = path.read_text()
    except OSError:
        return None
    if "[" not in text or "]" not in text:
        return None
    return text.split("[", 1)[1].split("]", 1)[0]


def no_synchronous_huge_pages(path: Path = THP_DEFRAG) -> bool:
    """Stop NumPy asking for huge pages where the kernel would compact memory for them on the spot; whether
    it was stopped."""
    if defrag_mode(path) not in SYNCHRONOUS:
        return False
    try:
        from numpy._core import multiarray  # NumPy 2
    except ImportError:
        try:
            from numpy.core import multiarray  # type: ignore[no-redef]  # NumPy 1
        except ImportError:
            return False
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is None:
        return False
    setter(False)
    return True
