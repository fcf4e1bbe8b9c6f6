"""The two optimizers of the side-by-side benchmark, in PyTorch: nanoGPT's AdamW and Scion.

AdamW is nanoGPT's `configure_optimizers` on a CPU: `torch.optim.AdamW` with betas (0.9, 0.99),
weight decay 0.1 on parameters with ≥ 2 dimensions and none on the rest, and the training loop's
`clip_grad_norm_(…, 1.0)` before each step. nanoGPT asks for `fused=True` only on CUDA, and
PyTorch 1.13's AdamW has no fused kernel and runs its single-tensor loop unless `foreach` is set,
so this is the plain loop, as nanoGPT runs on a CPU.

Scion (arXiv 2502.07529), the SCG update with momentum α, per parameter:

    d ← (1 − α)·d + α·g            u = ρ · lmo(d)           x ← (1 − γ)·x − γ·u

with the package's default groups for nanoGPT: block matrices → Spectral ×3, LayerNorm gains →
BiasRMS ×3, `wpe` → ColNorm(transpose) ×3, tied `wte` → Sign(normalized) ×180; α = 0.1.
Spectral's LMO is Newton–Schulz (Keller Jordan's quintic, 5 steps) times sqrt(d_out / d_in);
the reference implementation runs it in bfloat16, `ns_dtype=torch.float32` runs it in fp32.
"""

import torch

EPS = 1e-8
QUINTIC = (3.4445, -4.7750, 2.0315)


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


# ---- Scion's LMOs (each returns the +direction; the update subtracts it) ----------------------


def newton_schulz(g, steps=5, dtype=torch.bfloat16):
    """X = g / (‖g‖_F + 1e-7) (on gᵀ when g is tall); per step A = X Xᵀ, B = b A + c A², X = a X + B X."""
    a, b, c = QUINTIC
    x = g.to(dtype)
    tall = g.size(0) > g.size(1)
    if tall:
        x = x.T
    x = x / (x.norm() + 1e-7)
    for _ in range(steps):
        A = x @ x.T
        B = b * A + c * (A @ A)
        x = a * x + B @ x
    return x.T if tall else x


def spectral_lmo(g, steps=5, dtype=torch.bfloat16):
    d_out, d_in = g.shape
    return newton_schulz(g, steps, dtype) * (d_out / d_in) ** 0.5


def sign_lmo(g):
    """Sign(normalized): sign(g) / d_in."""
    return torch.sign(g) / g.size(1)


def colnorm_transposed_lmo(g):
    """ColNorm(transpose) on a [rows, dim] table: per row i, g_i / (‖g_i‖₂ / sqrt(dim) + eps)."""
    rms = g.pow(2).sum(dim=1, keepdim=True).sqrt() / g.size(1) ** 0.5
    return g / (rms + EPS)


def bias_rms_lmo(g):
    return g / (g.pow(2).mean().sqrt() + EPS)


class Scion(torch.optim.Optimizer):
    """Scion over groups `{"params", "lmo", "scale"}` (SCG; `unconstrained=True` gives uSCG)."""

    def __init__(self, groups, lr=2**-8, momentum=0.1, unconstrained=False):
        super().__init__(groups, dict(lr=lr, momentum=momentum, scale=1.0, unconstrained=unconstrained))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, alpha, lmo = group["lr"], group["momentum"], group["lmo"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if alpha != 1:
                    state = self.state[p]
                    if "d" not in state:
                        state["d"] = torch.zeros_like(p)
                    d = state["d"].mul_(1 - alpha).add_(p.grad, alpha=alpha)
                u = lmo(d)
                if not group["unconstrained"]:
                    p.mul_(1 - lr)
                p.add_(u, alpha=-lr * group["scale"])


def scion_groups(model, ns_dtype=torch.bfloat16):
    """The package's default Scion groups for nanoGPT (tied head)."""
    wte, wpe = model.transformer.wte.weight, model.transformer.wpe.weight
    rest = [(n, p) for n, p in model.named_parameters() if p is not wte and p is not wpe]
    return [
        {"params": [wte], "lmo": sign_lmo, "scale": 180.0},
        {"params": [wpe], "lmo": colnorm_transposed_lmo, "scale": 3.0},
        {"params": [p for _, p in rest if p.dim() == 1], "lmo": bias_rms_lmo, "scale": 3.0},
        {
            "params": [p for n, p in rest if p.dim() == 2 and n.startswith("transformer.h.")],
            "lmo": lambda g: spectral_lmo(g, dtype=ns_dtype),
            "scale": 3.0,
        },
    ]


def nanogpt_scion(model, ns_dtype=torch.bfloat16, lr=2**-8):
    return Scion(scion_groups(model, ns_dtype), lr=lr, momentum=0.1)
