"""Dense retrieval over the segments: exact for small segments, approximate (FAISS IVF) for large ones.

Each segment has its own FAISS index over its own rows (0..n-1); a search asks each one, keeps the
removed rows out with a bitmap of the live ones, maps the segment's rows to the index's and merges.
A segment of `APPROXIMATE_FROM` passages or more is written with an inverted-file index
(`vectors.ivf`: the vectors clustered into 2·sqrt(n) lists, of which a question scans `PROBES`, each
vector kept in one byte a dimension; the candidates it finds are scored again exactly), because an exact scan of a million vectors takes far longer than a question may (see the
README's Scale figures for its recall against exact search). Smaller segments are scanned exactly,
from `vectors.npy`, as FAISS `IndexFlatIP`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IVF = "vectors.ivf"
APPROXIMATE_FROM = 200_000  # passages in one segment; below, exact search is fast enough (see README)
PROBES = 64  # inverted lists scanned per question: recall@10 against exact measured in benchmarks/scale.py
# The quantised scores are close, not exact: the approximate index is asked for more candidates than
# wanted, and the exact rescoring keeps the best (what a 1-byte code misorders at the edge comes back).
OVERSAMPLE = 2


def lists_for(n: int) -> int:
    """How many inverted lists for n vectors: 2·sqrt(n), the low end of FAISS's guidance (4-16·sqrt(n)),
    so that training (k-means on 64 vectors a list) takes a minute, not ten, at a million passages."""
    return max(1, int(2 * math.sqrt(n)))


def write_approximate(vectors: np.ndarray, path: Path, seed: int = 0) -> None:
    """An IVF index over `vectors` (rows 0..n-1), trained on a sample, written to `path`."""
    import faiss

    n, dim = vectors.shape
    nlist = lists_for(n)
    quantizer = faiss.IndexFlatIP(dim)
    # One byte a dimension (a quarter of float32): a million vectors take 384 MB in memory. The scores
    # it gives are approximate; the candidates are scored again from the exact vectors (`search`).
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    sample = np.random.default_rng(seed).choice(n, size=min(n, 64 * nlist), replace=False)
    index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
    for start in range(0, n, 100_000):  # in blocks: the float32 copy of the whole never exists at once
        index.add(np.ascontiguousarray(vectors[start : start + 100_000], dtype=np.float32))
    faiss.write_index(index, str(path))


@dataclass
class Part:
    """One segment's vectors: its FAISS index, the index row of each of its rows (-1: removed), its vectors."""

    index: object  # faiss.Index over the segment's rows
    where: np.ndarray
    vectors: np.ndarray  # (rows, dim), memory-mapped from vectors.npy: cosines of a few rows at a time
    live: object | None  # faiss.IDSelectorBitmap of the live rows; None when all are live


def open_part(folder: Path, vectors: np.ndarray, where: np.ndarray) -> Part:
    """A segment's part: its IVF index if it has one, else an exact index of its live rows' vectors."""
    import faiss

    live = where >= 0
    if not (folder / IVF).exists():
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
        rows = np.flatnonzero(live)
        if len(rows):
            index.add_with_ids(np.asarray(vectors[rows], dtype=np.float32), rows.astype(np.int64))
        return Part(index, where, vectors, None)  # removed rows were never added
    index = faiss.read_index(str(folder / IVF))
    bitmap = None
    if not live.all():
        bits = np.packbits(live, bitorder="little")
        bitmap = faiss.IDSelectorBitmap(len(live), faiss.swig_ptr(bits))
        bitmap.bits_owner = bits  # FAISS keeps a pointer: the array must live as long as it does
    return Part(index, where, vectors, bitmap)


class Vectors:
    """Every segment's vectors, searched as one."""

    def __init__(self, parts: list[Part], segment_of: np.ndarray, local_of: np.ndarray):
        self.parts, self.segment_of, self.local_of = parts, segment_of, local_of
        self.ntotal = len(segment_of)

    def search(
        self, query: np.ndarray, k: int, rows: np.ndarray | None = None, probes: int = PROBES
    ) -> dict[int, float]:
        """The top-k index rows by inner product with `query` (normalised: cosine), among `rows` if given;
        `probes`: inverted lists scanned in an approximate segment."""
        import faiss

        found: list[tuple[float, int]] = []
        for s, part in enumerate(self.parts):
            selector = part.live
            if rows is not None:
                mine = self.local_of[rows[self.segment_of[rows] == s]]
                if not len(mine):
                    continue
                selector = faiss.IDSelectorBatch(mine.astype(np.int64))
            ivf = not isinstance(part.index, faiss.IndexIDMap2)
            if ivf:
                params = faiss.SearchParametersIVF(nprobe=probes)
                if selector is not None:
                    params.sel = selector
            else:
                params = faiss.SearchParameters(sel=selector) if selector is not None else None
            n = min(k * OVERSAMPLE if ivf else k, part.index.ntotal)
            if n <= 0:
                continue
            scores, ids = part.index.search(query[None, :].astype(np.float32), n, params=params)
            local = ids[0][ids[0] >= 0]  # FAISS pads a short result with -1 at its end
            if ivf and len(local):  # exact scores for the candidates, from the stored vectors
                local = np.sort(local)
                exact = np.asarray(part.vectors[local], np.float32) @ query
            else:
                exact = scores[0][: len(local)]
            found += [(float(score), int(part.where[i])) for score, i in zip(exact, local, strict=True)]
        found.sort(key=lambda t: -t[0])
        return {row: score for score, row in found[:k] if row >= 0}

    def reconstruct(self, rows) -> np.ndarray:
        """The vectors of these index rows."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.parts[0].vectors.shape[1] if self.parts else 0), np.float32)
        for s, part in enumerate(self.parts):
            mask = self.segment_of[rows] == s
            if mask.any():
                out[mask] = part.vectors[self.local_of[rows[mask]]]
        return out

    def cosines(self, query: np.ndarray, rows: list[int]) -> dict[int, float]:
        if not rows:
            return {}
        return dict(zip(rows, (self.reconstruct(rows) @ query).tolist(), strict=True))
