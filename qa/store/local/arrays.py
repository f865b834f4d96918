"""NumPy files read safely from several threads at once.

NumPy reads the header of every .npy file (alone or inside an .npz) with `ast.literal_eval`, and
CPython 3.11 can fail two `ast.parse` calls running at the same moment in different threads with
"SystemError: AST constructor recursion depth mismatch" (python/cpython#106905). In the app an
upload's change reads segments on the intake thread while a question's thread loads the version it
published: about one race test run in 25 failed so (tests/test_index.py). Every read of a NumPy file
in the package goes through one lock, held while NumPy reads the file: for a memory-mapped array only
its header (microseconds); for one read whole, and for an .npz's members (NumPy parses each member's
header as it reads it), the whole read. Loads of the index therefore read their files one at a time.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

_HEADERS = threading.Lock()


def load(path: Path, mmap_mode: str | None = None) -> np.ndarray:
    """One .npy file, memory-mapped when `mmap_mode` says so; never a pickled object."""
    with _HEADERS:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)


def load_all(path: Path, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """The arrays `names` of one .npz file, read whole (each member has a header of its own)."""
    with _HEADERS, np.load(path, allow_pickle=False) as data:
        return tuple(data[name] for name in names)
