"""Scion and ScionLight (arXiv 2502.07529) for PyTorch, with the public API and state layout of the
reference `scion.py` (LIONS-EPFL/scion), so that a run handed over from lmo continues here and a
state written here loads there.

A norm is a small object with `lmo(g)` (the +direction of the linear minimization oracle; the update
subtracts it) and `init(w)`. `d_out, d_in = g.shape`; eps = 1e-8.

    ColNorm(normalized=False, transpose=False)  per column j: g_j / (‖g_j‖₂/√d_out (· d_in) + eps)
    RowNorm(normalized=True, transpose=False)   per row i:    g_i / (‖g_i‖₂ (· √d_in) + eps)
    BiasRMS()                                   g / (√mean(g²) + eps)
    Spectral(max=False, normalized=True, steps=5)  NS(g) · √(d_out/d_in) (√d_out unnormalized; max(1, ·) with max)
    SpectralConv(steps=5)                       NS(g as [out, in·k…]) · √(out/in) / k (conv1d) or / k² (conv2d)
    Sign(zero_init=False, normalized=True)      sign(g) / d_in (sign(g) unnormalized)
    Auto()                                      rank 3–4 → SpectralConv, 2 → Spectral, 0–1 → BiasRMS

`transpose=True` applies ColNorm/RowNorm to gᵀ (embedding tables stored [vocab, dim]).

NS is Newton–Schulz with Keller Jordan's quintic (a, b, c) = (3.4445, −4.7750, 2.0315): X = g (gᵀ
when g is tall), X ← X / (‖X‖_F + 1e-7), then `steps` times A = X Xᵀ, B = b A + c A², X = a X + B X.
The reference runs it in bfloat16 (and under `torch.compile`, which torch 1.13 lacks); here the
optimizers take `ns_dtype` (default `torch.bfloat16`, the reference's), and `ns_dtype=torch.float32`
runs it in float32 as lmo does, which a handoff needs to continue a run to 1e-4. `ns_dtype` is not
part of the state: it is chosen where the optimizer is built.

Per parameter with a gradient, with the group's lr γ, momentum α (1 − β) and scale ρ:

    Scion:      d ← (1 − α)·d + α·g (state['momentum_buffer'], when α ≠ 1);  u = lmo(d)
    ScionLight: u = lmo(G), G being p.grad itself (never zeroed by the loop: the backward pass
                accumulates into it); afterwards G ← (1 − α)·G
    both:       x ← (1 − γ)·x unless `unconstrained`;  x ← x − γρ·u

(The reference computes ρ·lmo(d) first, in the orthogonalization's dtype, then subtracts γ times it;
here γρ is one factor of the final update, as in lmo, which saves a rounding.)

ScionLight's `state_dict()` stores each G as `state[p]['grad_state']`, and `load_state_dict` puts it
back into p.grad. There is no step counter and no schedule here: use an LR scheduler (LambdaLR, whose
`last_epoch` is the position).
"""

import math

import torch

EPS = 1e-8
QUINTIC = (3.4445, -4.7750, 2.0315)


def newton_schulz(g, steps=5, dtype=torch.bfloat16):
    """The quintic Newton–Schulz orthogonalization of a 2-D g, computed (and returned) in `dtype`."""
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


class Norm:
    def lmo(self, g):
        raise NotImplementedError

    def init(self, w):
        raise NotImplementedError


def _unit_vectors(w, dim, length):
    """w ← Gaussian values whose vectors along `dim` have ℓ2 length `length`."""
    with torch.no_grad():
        x = torch.randn(w.shape, dtype=torch.float64)
        w.copy_(x / x.norm(dim=dim, keepdim=True) * length)
    return w


def _vector_norms(g, dim):
    """‖·‖₂ of the vectors of a 2-D g along `dim` (0: columns, 1: rows), kept as a row or column."""
    return g.pow(2).sum(dim=dim, keepdim=True).sqrt()


class ColNorm(Norm):
    def __init__(self, normalized=False, transpose=False):
        self.normalized = normalized
        self.transpose = transpose

    def _axes(self, shape):
        """The axis holding each vector (columns of g, rows of gᵀ's transpose), and (d_out, d_in) of the view."""
        return (1, shape[1], shape[0]) if self.transpose else (0, shape[0], shape[1])

    def lmo(self, g):
        dim, d_out, d_in = self._axes(g.shape)
        r = _vector_norms(g, dim) / d_out**0.5
        if self.normalized:
            r = r * d_in
        return g / (r + EPS)

    def init(self, w):
        dim, d_out, d_in = self._axes(w.shape)
        _unit_vectors(w.data, dim, d_out**0.5 / (d_in if self.normalized else 1))
        return w


class RowNorm(Norm):
    def __init__(self, normalized=True, transpose=False):
        self.normalized = normalized
        self.transpose = transpose

    def _axes(self, shape):
        return (0, shape[0]) if self.transpose else (1, shape[1])

    def lmo(self, g):
        dim, d_in = self._axes(g.shape)
        r = _vector_norms(g, dim)
        if self.normalized:
            r = r * d_in**0.5
        return g / (r + EPS)

    def init(self, w):
        dim, d_in = self._axes(w.shape)
        _unit_vectors(w.data, dim, 1 / d_in**0.5 if self.normalized else 1.0)
        return w


class BiasRMS(Norm):
    def lmo(self, g):
        return g / (g.pow(2).mean().sqrt() + EPS)

    def init(self, w):
        with torch.no_grad():
            return w.zero_()


def _orthogonal(rows, cols):
    q = torch.empty(rows, cols, dtype=torch.float64)
    torch.nn.init.orthogonal_(q)
    return q


class Spectral(Norm):
    def __init__(self, max=False, normalized=True, steps=5, dtype=torch.bfloat16):
        self.max = max
        self.normalized = normalized
        self.steps = steps
        self.dtype = dtype

    def scale(self, d_out, d_in):
        s = (d_out / d_in) ** 0.5 if self.normalized else d_out**0.5
        return max(1.0, s) if self.max else s

    def lmo(self, g):
        return newton_schulz(g, self.steps, self.dtype) * self.scale(*g.shape)

    def init(self, w):
        with torch.no_grad():
            return w.copy_(_orthogonal(*w.shape) * self.scale(*w.shape))


class SpectralConv(Norm):
    def __init__(self, steps=5, dtype=torch.bfloat16):
        self.steps = steps
        self.dtype = dtype

    @staticmethod
    def scale(shape):
        out, inp, k = shape[0], shape[1], shape[2]
        return (out / inp) ** 0.5 / (k if len(shape) == 3 else k * k)

    def lmo(self, g):
        u = newton_schulz(g.reshape(g.size(0), -1), self.steps, self.dtype).reshape(g.shape)
        return u * self.scale(g.shape)

    def init(self, w):
        with torch.no_grad():
            out, inp = w.shape[:2]
            taps = w.view(out, inp, -1).size(2)
            q = torch.stack([_orthogonal(out, inp) for _ in range(taps)], dim=-1)
            return w.copy_(q.reshape(w.shape) * self.scale(w.shape))


class Sign(Norm):
    def __init__(self, zero_init=False, normalized=True):
        self.zero_init = zero_init
        self.normalized = normalized

    def lmo(self, g):
        s = torch.sign(g)
        return s / g.size(1) if self.normalized else s

    def init(self, w):
        with torch.no_grad():
            if self.zero_init:
                return w.zero_()
            signs = torch.randint(0, 2, w.shape, dtype=w.dtype) * 2 - 1
            return w.copy_(signs / w.size(1) if self.normalized else signs)


class Auto(Norm):
    def __init__(self, dtype=torch.bfloat16):
        self.dtype = dtype

    def _pick(self, t):
        if t.dim() in (3, 4):
            return SpectralConv(dtype=self.dtype)
        return Spectral(dtype=self.dtype) if t.dim() == 2 else BiasRMS()

    def lmo(self, g):
        return self._pick(g).lmo(g)

    def init(self, w):
        return self._pick(w).init(w)


norm_dict = {
    "ColNorm": ColNorm,
    "RowNorm": RowNorm,
    "BiasRMS": BiasRMS,
    "SpectralConv": SpectralConv,
    "Spectral": Spectral,
    "Sign": Sign,
    "Auto": Auto,
}

# The norms that orthogonalize, and so take the Newton–Schulz dtype.
_ORTHOGONALIZING = ("SpectralConv", "Spectral", "Auto")


def build_norm(name, kwargs, ns_dtype=torch.bfloat16):
    """The norm a param group names, with its keywords (and `ns_dtype` where it orthogonalizes)."""
    if name not in norm_dict:
        raise ValueError(f"unknown norm {name!r} (scion's norms: {', '.join(norm_dict)})")
    extra = {"dtype": ns_dtype} if name in _ORTHOGONALIZING else {}
    return norm_dict[name](**(kwargs or {}), **extra)


class _ScionBase(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=1.0, norm="Auto", norm_kwargs=None, scale=1.0, unconstrained=False, ns_dtype=torch.bfloat16):
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < momentum <= 1.0:
            raise ValueError(f"Invalid momentum value: {momentum} (it is 1 − β, in (0, 1])")
        defaults = dict(lr=lr, momentum=momentum, scale=scale, unconstrained=unconstrained, norm=norm, norm_kwargs=dict(norm_kwargs or {}))
        super().__init__(params, defaults)
        self.ns_dtype = ns_dtype

    def _norm(self, group):
        return build_norm(group["norm"], group["norm_kwargs"], self.ns_dtype)

    @staticmethod
    def _apply(p, u, group):
        """x ← (1 − γ)·x unless unconstrained, then x ← x − γρ·u (ρ folded into the step's factor)."""
        if not group["unconstrained"]:
            p.mul_(1 - group["lr"])
        p.add_(u, alpha=-group["lr"] * group["scale"])

    @torch.no_grad()
    def init(self):
        """Re-initializes every parameter with its group's norm's init, times the group's scale."""
        for group in self.param_groups:
            norm = self._norm(group)
            for p in group["params"]:
                norm.init(p)
                p.mul_(group["scale"])


class Scion(_ScionBase):
    """Scion (SCG; uSCG with `unconstrained=True`): momentum buffers in `state[p]['momentum_buffer']`."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            norm, alpha = self._norm(group), group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if alpha != 1:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros_like(p)
                    d = state["momentum_buffer"].mul_(1 - alpha).add_(p.grad, alpha=alpha)
                self._apply(p, norm.lmo(d), group)
        return loss


class ScionLight(_ScionBase):
    """ScionLight: p.grad is the running average G (do not zero it); `state_dict()` holds it as 'grad_state'."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            norm, alpha = self._norm(group), group["momentum"]
            for p in group["params"]:
                G = p.grad
                if G is None:
                    continue
                self._apply(p, norm.lmo(G), group)
                if alpha != 1:
                    G.mul_(1 - alpha)
        return loss

    def state_dict(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.state[p]["grad_state"] = p.grad
        return super().state_dict()

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.get(p, {})
                p.grad = state["grad_state"] if "grad_state" in state else None
