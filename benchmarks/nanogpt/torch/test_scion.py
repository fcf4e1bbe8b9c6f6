"""scion.py against float64 computations written from the formulas (not from the code under test).

python3 -m unittest discover -s torch (run by test/torch-python.test.ts where torch is installed).
"""

import math
import unittest

import numpy as np
import torch

from scion import QUINTIC, Auto, BiasRMS, ColNorm, RowNorm, Scion, ScionLight, Sign, Spectral, SpectralConv, build_norm

EPS = 1e-8


def quintic64(g, steps=5):
    """Newton–Schulz as a polynomial of the singular values, float64: U p(σ/(‖g‖_F + 1e-7)) Vᵀ."""
    a, b, c = QUINTIC
    u, s, vt = np.linalg.svd(g, full_matrices=False)
    x = s / (np.linalg.norm(g) + 1e-7)
    for _ in range(steps):
        x = a * x + b * x**3 + c * x**5
    return (u * x) @ vt


def lmo64(name, kw, g):
    """Each norm's LMO from its formula, float64."""
    if name == "ColNorm":
        m = g.T if kw.get("transpose") else g
        d_out, d_in = m.shape
        r = np.sqrt((m**2).sum(axis=0, keepdims=True)) / np.sqrt(d_out) * (d_in if kw.get("normalized") else 1)
        u = m / (r + EPS)
        return u.T if kw.get("transpose") else u
    if name == "RowNorm":
        m = g.T if kw.get("transpose") else g
        r = np.sqrt((m**2).sum(axis=1, keepdims=True)) * (np.sqrt(m.shape[1]) if kw.get("normalized", True) else 1)
        u = m / (r + EPS)
        return u.T if kw.get("transpose") else u
    if name == "BiasRMS":
        return g / (np.sqrt((g**2).mean()) + EPS)
    if name == "Sign":
        return np.sign(g) / (g.shape[1] if kw.get("normalized", True) else 1)
    if name == "Spectral":
        d_out, d_in = g.shape
        s = math.sqrt(d_out / d_in) if kw.get("normalized", True) else math.sqrt(d_out)
        return quintic64(g) * (max(1, s) if kw.get("max") else s)
    if name == "SpectralConv":
        k = g.shape[2] if g.ndim == 3 else g.shape[2] ** 2
        return quintic64(g.reshape(g.shape[0], -1)).reshape(g.shape) * math.sqrt(g.shape[0] / g.shape[1]) / k
    raise ValueError(name)


def rel(a, b):
    return float(np.abs(np.asarray(a, dtype=np.float64) - b).max() / max(np.abs(b).max(), 1e-30))


class LmoTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)

    def test_each_norm_against_its_formula(self):
        cases = [
            ("ColNorm", {}, (7, 5)),
            ("ColNorm", {"normalized": True}, (5, 9)),
            ("ColNorm", {"transpose": True}, (11, 6)),
            ("RowNorm", {}, (6, 4)),
            ("RowNorm", {"normalized": False, "transpose": True}, (3, 8)),
            ("BiasRMS", {}, (13,)),
            ("Sign", {}, (4, 6)),
            ("Sign", {"normalized": False}, (5, 3)),
            ("Spectral", {}, (24, 8)),
            ("Spectral", {"normalized": False, "max": True}, (8, 24)),
            ("Spectral", {"max": True}, (16, 16)),
            ("SpectralConv", {}, (6, 4, 3)),
            ("SpectralConv", {}, (8, 3, 3, 3)),
        ]
        for name, kw, shape in cases:
            g = torch.randn(*shape, dtype=torch.float64) * 10 ** torch.randint(-3, 3, ()).item()
            got = build_norm(name, kw, torch.float32).lmo(g.float())
            self.assertEqual(got.dtype, torch.float32, name)
            self.assertLess(rel(got.double().numpy(), lmo64(name, kw, g.numpy())), 1e-4, f"{name} {kw} {shape}")

    def test_auto_dispatches_on_rank(self):
        for shape, name in [((9,), "BiasRMS"), ((6, 10), "Spectral"), ((6, 2, 3), "SpectralConv"), ((4, 2, 3, 3), "SpectralConv")]:
            g = torch.randn(*shape, dtype=torch.float64)
            got = Auto(dtype=torch.float32).lmo(g.float()).double().numpy()
            self.assertLess(rel(got, lmo64(name, {}, g.numpy())), 1e-4, shape)

    def test_bfloat16_is_the_default_and_close(self):
        self.assertEqual(Spectral().dtype, torch.bfloat16)
        self.assertEqual(Scion([torch.zeros(2, 2, requires_grad=True)]).ns_dtype, torch.bfloat16)
        g = torch.randn(32, 96, dtype=torch.float64)
        got = Spectral().lmo(g.float())
        self.assertEqual(got.dtype, torch.bfloat16)
        want = lmo64("Spectral", {}, g.numpy())
        # bfloat16 keeps 8 bits: a few percent after five steps of the quintic
        self.assertLess(np.linalg.norm(got.double().numpy() - want) / np.linalg.norm(want), 0.1)

    def test_zero_gradients_give_zero_directions(self):
        for name, shape in [("ColNorm", (3, 4)), ("RowNorm", (3, 4)), ("BiasRMS", (5,)), ("Sign", (3, 4)), ("Spectral", (3, 4))]:
            out = build_norm(name, {}, torch.float32).lmo(torch.zeros(*shape))
            self.assertTrue(torch.equal(out.float(), torch.zeros(*shape)), name)


class InitTest(unittest.TestCase):
    def test_inits_lie_on_the_unit_sphere_of_their_norm(self):
        torch.manual_seed(1)
        w = torch.empty(7, 5)
        ColNorm().init(w)  # r_j = ‖w_j‖/√d_out = 1
        np.testing.assert_allclose(w.double().norm(dim=0).numpy() / math.sqrt(7), 1, rtol=1e-6)
        ColNorm(normalized=True, transpose=True).init(w)  # on wᵀ [5, 7]: ‖col‖/√5 · 7 = 1
        np.testing.assert_allclose(w.double().T.norm(dim=0).numpy() / math.sqrt(5) * 7, 1, rtol=1e-6)
        RowNorm().init(w)  # ‖w_i‖ · √d_in = 1
        np.testing.assert_allclose(w.double().norm(dim=1).numpy() * math.sqrt(5), 1, rtol=1e-6)
        Spectral().init(w)  # orthogonal · √(7/5)
        np.testing.assert_allclose(torch.linalg.svdvals(w.double()).numpy(), math.sqrt(7 / 5), rtol=1e-6)
        Sign().init(w)
        self.assertTrue(bool((w.abs() == torch.tensor(1 / 5)).all()))  # ±1/d_in
        Sign(zero_init=True).init(w)
        self.assertTrue(bool((w == 0).all()))
        b = torch.ones(4)
        BiasRMS().init(b)
        self.assertTrue(bool((b == 0).all()))
        k = torch.empty(6, 4, 3)
        SpectralConv().init(k)  # every tap orthogonal · √(6/4)/3
        for t in range(3):
            np.testing.assert_allclose(torch.linalg.svdvals(k[:, :, t].double()).numpy(), math.sqrt(6 / 4) / 3, rtol=1e-6)

    def test_optimizer_init_multiplies_by_the_scale(self):
        w = torch.nn.Parameter(torch.empty(6, 6))
        Scion([{"params": [w], "norm": "Spectral", "scale": 3.0}]).init()
        np.testing.assert_allclose(torch.linalg.svdvals(w.detach().double()).numpy(), 3.0, rtol=1e-6)


def params_and_grads(seed, steps):
    gen = torch.Generator().manual_seed(seed)
    shapes = {"w": (6, 4), "b": (4,), "e": (5, 3)}
    params = {k: torch.randn(*s, generator=gen) for k, s in shapes.items()}
    grads = [{k: torch.randn(*s, generator=gen) for k, s in shapes.items()} for _ in range(steps)]
    return params, grads


GROUPS = [("w", "Spectral", {}, 3.0), ("b", "BiasRMS", {}, 2.0), ("e", "Sign", {}, 50.0)]


def build(cls, params, lr, alpha, unconstrained):
    ps = {k: torch.nn.Parameter(v.clone()) for k, v in params.items()}
    groups = [{"params": [ps[k]], "norm": n, "norm_kwargs": kw, "scale": s} for k, n, kw, s in GROUPS]
    return ps, cls(groups, lr=lr, momentum=alpha, unconstrained=unconstrained, ns_dtype=torch.float32)


class StepTest(unittest.TestCase):
    def run_both(self, cls, unconstrained):
        lr, alpha, steps = 0.05, 0.3, 3
        params, grads = params_and_grads(3, steps)
        ps, opt = build(cls, params, lr, alpha, unconstrained)
        x = {k: v.double().numpy() for k, v in params.items()}
        d = {k: np.zeros_like(v) for k, v in x.items()}
        for g in grads:
            for k, p in ps.items():
                if cls is ScionLight:
                    p.grad = g[k].clone() if p.grad is None else p.grad.add_(g[k])  # the backward pass accumulates
                else:
                    p.grad = g[k].clone()
            opt.step()
            for k, name, kw, scale in GROUPS:
                gk = g[k].double().numpy()
                d[k] = d[k] + gk if cls is ScionLight else (1 - alpha) * d[k] + alpha * gk
                u = scale * lmo64(name, kw, d[k])
                x[k] = (x[k] if unconstrained else (1 - lr) * x[k]) - lr * u
                if cls is ScionLight:
                    d[k] = (1 - alpha) * d[k]
        for k, p in ps.items():
            self.assertLess(rel(p.detach().double().numpy(), x[k]), 1e-5, f"{cls.__name__} {k}")
        return ps, opt

    def test_scion_scg_and_uscg(self):
        for unconstrained in (False, True):
            _, opt = self.run_both(Scion, unconstrained)
            self.assertEqual({tuple(s) for s in opt.state.values()}, {("momentum_buffer",)})

    def test_scion_light_keeps_its_average_in_the_gradient(self):
        for unconstrained in (False, True):
            self.run_both(ScionLight, unconstrained)

    def test_momentum_one_keeps_no_buffer(self):
        params, grads = params_and_grads(4, 1)
        ps, opt = build(Scion, params, 0.1, 1.0, False)
        for k, p in ps.items():
            p.grad = grads[0][k]
        opt.step()
        self.assertEqual(len(opt.state), 0)

    def test_bad_hyperparameters_are_refused(self):
        w = torch.nn.Parameter(torch.zeros(2, 2))
        for kw in ({"lr": -1.0}, {"momentum": 0.0}, {"momentum": 1.5}):
            with self.assertRaises(ValueError):
                Scion([w], **kw)
        with self.assertRaises(ValueError):
            build_norm("Frobenius", {})


class StateDictTest(unittest.TestCase):
    def continues(self, cls):
        params, grads = params_and_grads(5, 4)
        a_params, a = build(cls, params, 0.05, 0.2, False)

        def feed(ps, g):
            for k, p in ps.items():
                if cls is ScionLight and p.grad is not None:
                    p.grad.add_(g[k])
                else:
                    p.grad = g[k].clone()

        for g in grads[:2]:
            feed(a_params, g)
            a.step()
        saved = a.state_dict()
        key = "grad_state" if cls is ScionLight else "momentum_buffer"
        self.assertEqual({k for s in saved["state"].values() for k in s}, {key})
        self.assertEqual([g["norm"] for g in saved["param_groups"]], [n for _, n, _, _ in GROUPS])
        b_params, b = build(cls, {k: p.detach() for k, p in a_params.items()}, 0.05, 0.2, False)
        b.load_state_dict(saved)
        if cls is ScionLight:
            for k in a_params:
                self.assertTrue(torch.equal(b_params[k].grad, a_params[k].grad), k)
        for g in grads[2:]:
            feed(a_params, g)
            feed(b_params, g)
            a.step()
            b.step()
        for k in a_params:
            self.assertTrue(torch.equal(a_params[k], b_params[k]), f"{cls.__name__} {k}")

    def test_scion_continues_from_its_state_dict(self):
        self.continues(Scion)

    def test_scion_light_continues_from_its_state_dict(self):
        self.continues(ScionLight)


if __name__ == "__main__":
    unittest.main()
