"""Checks of the PyTorch side of the side-by-side benchmark: python3 -m unittest discover -s torch.

Expected values are computed here in float64 from the formulas, not taken from the code under test.
"""

import math
import unittest

import numpy as np
import torch

from model import GPT, GPTConfig
from optim import nanogpt_adamw, nanogpt_scion
from scion import QUINTIC, Spectral, newton_schulz

torch.manual_seed(0)


def quintic_on_singular_values(g, steps=5):
    """Newton–Schulz as a polynomial of the singular values: U p(σ / (‖g‖_F + 1e-7)) Vᵀ, in float64."""
    a, b, c = QUINTIC
    g = np.asarray(g, dtype=np.float64)
    u, s, vt = np.linalg.svd(g, full_matrices=False)
    x = s / (np.linalg.norm(g) + 1e-7)
    for _ in range(steps):
        x = a * x + b * x**3 + c * x**5
    return (u * x) @ vt


class ModelTest(unittest.TestCase):
    def test_loss_at_init_is_near_log_vocab(self):
        cfg = GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
        torch.manual_seed(1)
        model = GPT(cfg)
        x = torch.randint(0, 65, (12, 64))
        y = torch.randint(0, 65, (12, 64))
        logits, loss = model(x, y)
        self.assertEqual(tuple(logits.shape), (12, 64, 65))
        # logits ≈ N(0, 0.02² · 128) at init: the loss is ln V plus about half their variance.
        self.assertAlmostEqual(loss.item(), math.log(65) + 0.5 * 0.02**2 * 128, delta=0.05)

    def test_parameters_are_nanogpts(self):
        cfg = GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
        named = dict(GPT(cfg).named_parameters())
        self.assertEqual(sum(p.numel() for p in named.values()), 65 * 128 + 64 * 128 + 4 * (2 * 128 + 12 * 128 * 128) + 128)
        self.assertEqual(tuple(named["transformer.h.0.attn.c_attn.weight"].shape), (384, 128))
        self.assertNotIn("lm_head.weight", named)  # tied to transformer.wte.weight

    def test_attention_is_causal(self):
        cfg = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)
        model = GPT(cfg)
        x = torch.randint(0, 11, (1, 8))
        changed = x.clone()
        changed[0, 5] = (x[0, 5] + 1) % 11
        a, _ = model(x, x)
        b, _ = model(changed, changed)
        self.assertTrue(torch.equal(a[0, :5], b[0, :5]))
        self.assertFalse(torch.allclose(a[0, 5], b[0, 5]))


class NewtonSchulzTest(unittest.TestCase):
    def test_fp32_is_the_quintic_on_the_singular_values(self):
        for shape in [(128, 384), (384, 128), (64, 64)]:
            g = torch.randn(*shape, dtype=torch.float64)
            expected = quintic_on_singular_values(g.numpy())
            got = newton_schulz(g.float(), dtype=torch.float32).double().numpy()
            self.assertLess(np.abs(got - expected).max() / np.abs(expected).max(), 1e-4, shape)

    def test_bf16_is_close_to_it(self):
        g = torch.randn(128, 512, dtype=torch.float64)
        expected = quintic_on_singular_values(g.numpy())
        got = newton_schulz(g.float(), dtype=torch.bfloat16).double().numpy()
        self.assertLess(np.linalg.norm(got - expected) / np.linalg.norm(expected), 0.05)

    def test_spectral_lmo_has_singular_values_near_its_scale(self):
        # The quintic maps every singular value that is not tiny into about [0.7, 1.2]; times √(d_out/d_in).
        for dtype in (torch.float32, torch.bfloat16):
            g = torch.randn(384, 128)
            s = torch.linalg.svdvals(Spectral(dtype=dtype).lmo(g).double()) / math.sqrt(384 / 128)
            self.assertGreater(s.min().item(), 0.6, dtype)
            self.assertLess(s.max().item(), 1.25, dtype)


class OptimizerTest(unittest.TestCase):
    def test_scion_step_is_the_scg_update_of_each_group(self):
        cfg = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)
        model = GPT(cfg)
        named = dict(model.named_parameters())
        before = {k: p.detach().double().clone() for k, p in named.items()}
        grads = {k: torch.randn_like(p) for k, p in named.items()}
        for k, p in named.items():
            p.grad = grads[k].clone()
        lr, alpha, eps = 2**-8, 0.1, 1e-8
        nanogpt_scion(model, ns_dtype=torch.float32, lr=lr).step()

        def expected_u(name, g):
            d = alpha * g.double().numpy()  # the momentum buffer starts at zero
            if name == "transformer.wte.weight":
                return 180 * np.sign(d) / d.shape[1]
            if name == "transformer.wpe.weight":
                return 3 * d / (np.sqrt((d**2).sum(axis=1, keepdims=True) / d.shape[1]) + eps)
            if d.ndim == 1:
                return 3 * d / (np.sqrt((d**2).mean()) + eps)
            return 3 * quintic_on_singular_values(d) * math.sqrt(d.shape[0] / d.shape[1])

        for name, p in named.items():
            want = (1 - lr) * before[name].numpy() - lr * expected_u(name, grads[name])
            err = np.abs(p.detach().double().numpy() - want).max()
            self.assertLess(err, 1e-5 * max(1.0, np.abs(want).max()), name)

    def test_adamw_is_nanogpts(self):
        cfg = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)
        model = GPT(cfg)
        opt = nanogpt_adamw(model)
        decay, no_decay = opt.param_groups
        self.assertEqual(decay["weight_decay"], 0.1)
        self.assertEqual(no_decay["weight_decay"], 0.0)
        self.assertTrue(all(p.dim() == 2 for p in decay["params"]))
        self.assertTrue(all(p.dim() == 1 for p in no_decay["params"]))
        self.assertEqual(len(decay["params"]) + len(no_decay["params"]), len(list(model.parameters())))
        self.assertEqual(decay["betas"], (0.9, 0.99))
        self.assertEqual(decay["lr"], 1e-3)


if __name__ == "__main__":
    unittest.main()
