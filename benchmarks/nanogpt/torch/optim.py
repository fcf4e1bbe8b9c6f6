"""The two optimizers of the side-by-side benchmark, in PyTorch: nanoGPT's AdamW and Scion.

AdamW is nanoGPT's `configure_optimizers` on a CPU: `torch.optim.AdamW` with betas (0.9, 0.99),
weight decay 0.1 on parameters with ≥ 2 dimensions and none on the rest, and the training loop's
`clip_grad_norm_(…, 1.0)` before each step. nanoGPT asks for `fused=True` only on CUDA, and
PyTorch 1.13's AdamW has no fused kernel and runs its single-tensor loop unless `foreach` is set,
so this is the plain loop, as nanoGPT runs on a CPU.

Scion is `scion.py`'s (the reference's API) with the package's default groups for nanoGPT: block
matrices → Spectral ×3, LayerNorm gains → BiasRMS ×3, `wpe` → ColNorm(transpose) ×3, tied `wte` →
Sign(normalized) ×180; α = 0.1. Its Newton–Schulz runs in bfloat16 as the reference's does, or in
fp32 with `ns_dtype=torch.float32`.
"""

import torch

from scion import Scion

# ---- nanoGPT's AdamW -------------------------------------------------------------------------


def nanogpt_adamw(model, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1):
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas)


def clipped_step(model, optimizer, clip=1.0):
    """nanoGPT's update: clip the global gradient norm to `clip`, then step."""
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()


# ---- Scion -------------------------------------------------------------------------------------


def scion_groups(model):
    """The package's default Scion groups for nanoGPT (tied head), as scion.py's param groups."""
    wte, wpe = model.transformer.wte.weight, model.transformer.wpe.weight
    rest = [(n, p) for n, p in model.named_parameters() if p is not wte and p is not wpe]
    return [
        {"params": [wte], "norm": "Sign", "norm_kwargs": {}, "scale": 180.0},
        {"params": [wpe], "norm": "ColNorm", "norm_kwargs": {"transpose": True}, "scale": 3.0},
        {"params": [p for _, p in rest if p.dim() == 1], "norm": "BiasRMS", "scale": 3.0},
        {"params": [p for n, p in rest if p.dim() == 2 and n.startswith("transformer.h.")], "norm": "Spectral", "scale": 3.0},
    ]


def nanogpt_scion(model, ns_dtype=torch.bfloat16, lr=2**-8):
    return Scion(scion_groups(model), lr=lr, momentum=0.1, ns_dtype=ns_dtype)
