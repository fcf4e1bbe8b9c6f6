"""lmo's random generator and nanoGPT's data pipeline in Python, bit for bit, so that a run handed
over from lmo draws the same batches here (and the evaluations use the same batches).

`Random` is @lmo/core's: xoshiro128** seeded through splitmix32, `uniform() = u32 / 2³²`,
`int(n) = ⌊uniform() · n⌋`, `normal()` by Box–Muller with both values used. `BatchSampler` is the
benchmark's: `batch_size` offsets `int(len(data) − block)`, `block` tokens each, targets shifted by
one. The corpus is split as nanoGPT's shakespeare_char does: vocabulary = the sorted set of its
characters, the first ⌊0.9·n⌋ tokens train, the rest val.
"""

import math

import numpy as np
import torch

_M32 = 0xFFFFFFFF


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & _M32


class Random:
    """A seeded xoshiro128** generator (seed: any 32-bit integer)."""

    def __init__(self, seed):
        x = seed & _M32

        def splitmix32():
            nonlocal x
            x = (x + 0x9E3779B9) & _M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & _M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & _M32
            return z ^ (z >> 16)

        self._s = [splitmix32() for _ in range(4)]
        self._spare = None

    def next_uint32(self):
        s0, s1, s2, s3 = self._s
        result = (_rotl((s1 * 5) & _M32, 7) * 9) & _M32
        t = (s1 << 9) & _M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self._s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return self.next_uint32() / 4294967296.0

    def int(self, n):
        return math.floor(self.uniform() * n)

    def normal(self):
        if self._spare is not None:
            s, self._spare = self._spare, None
            return s
        u = 0.0
        while u == 0.0:
            u = self.uniform()
        v = self.uniform()
        r = math.sqrt(-2 * math.log(u))
        self._spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)


def batch_seeds(seed):
    """The seeds of the training and evaluation batch streams of a run with seed `seed`."""
    return {"train": (seed ^ 0x7F4A7C15) & _M32, "eval": (seed ^ 0x2545F491) & _M32}


class CharDataset:
    """A character-level corpus: `chars`, `train` and `val` token arrays."""

    def __init__(self, text):
        if not text:
            raise ValueError("the corpus is empty")
        self.chars = sorted(set(text))
        index = {c: i for i, c in enumerate(self.chars)}
        dtype = np.uint8 if len(self.chars) <= 256 else np.uint16 if len(self.chars) <= 65536 else np.uint32
        ids = np.fromiter((index[c] for c in text), dtype=dtype, count=len(text))
        n = math.floor(0.9 * len(ids))
        self.train, self.val = ids[:n], ids[n:]

    @classmethod
    def read(cls, path):
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            return cls(f.read())


class BatchSampler:
    """nanoGPT's `get_batch` on lmo's generator: deterministic for a seed."""

    def __init__(self, data, batch_size, block_size, seed):
        if len(data) < block_size + 1:
            raise ValueError(f"block size {block_size} is larger than the data ({len(data)} tokens)")
        self.data = torch.from_numpy(np.asarray(data, dtype=np.int64))
        self.batch_size, self.block_size = batch_size, block_size
        self.rng = Random(seed)

    def skip(self, n):
        """Draws and discards `n` batches."""
        span = len(self.data) - self.block_size
        for _ in range(n * self.batch_size):
            self.rng.int(span)

    def offsets(self):
        span = len(self.data) - self.block_size
        return [self.rng.int(span) for _ in range(self.batch_size)]

    def next(self):
        """The next batch: (x, y), each a (batch_size, block_size) int64 tensor."""
        T = self.block_size
        rows = torch.stack([self.data[o : o + T + 1] for o in self.offsets()])
        return rows[:, :T].contiguous(), rows[:, 1:].contiguous()
