"""Scion's Newton–Schulz work as bare GEMMs: its FLOP count and the rate PyTorch runs it at.

For an m×n matrix (m ≤ n; a tall one is transposed first) one quintic step is
A = X Xᵀ (2m²n flops), B = b A + c A·A (2m³), X = a X + B X (2m²n): 4m²n + 2m³ per step.
The GEMM workload times exactly these products at the model's shapes, each written as one BLAS
call with its scaled addend folded in (torch.addmm: beta·C + alpha·A·B), so that the elementwise
work of the real optimizer step is left out and what remains is the engine's GEMM rate.
"""

import torch

from scion import QUINTIC


def ns_flops(rows, cols, steps=5):
    m, n = min(rows, cols), max(rows, cols)
    return steps * (4 * m * m * n + 2 * m**3)


def ns_gemms(xs, steps=5):
    """`steps` quintic Newton–Schulz steps on each (already wide and normalized) matrix of `xs`."""
    a, b, c = QUINTIC
    out = []
    for x in xs:
        for _ in range(steps):
            A = torch.mm(x, x.T)
            B = torch.addmm(A, A, A, beta=b, alpha=c)
            x = torch.addmm(x, B, x, beta=a, alpha=1.0)
        out.append(x)
    return out


def workload(shapes, dtype=torch.float32, seed=0):
    """Normalized random wide matrices, one per `[rows, cols]` of `shapes`."""
    gen = torch.Generator().manual_seed(seed)
    xs = []
    for rows, cols in shapes:
        x = torch.randn(min(rows, cols), max(rows, cols), generator=gen)
        xs.append((x / x.norm()).to(dtype))
    return xs
