"""The handoff bundle on the PyTorch side: written and read back it continues the same run; every
way a bundle can be wrong is refused by name before the module changes."""

import json
import os
import shutil
import tempfile
import unittest

import torch

import handoff
import safetensors_io
from model import GPT, GPTConfig
from optim import scion_groups
from schedules import schedule
from scion import Scion, ScionLight

CFG = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)
SPEC = {"kind": "warmupCosine", "warmup": 2, "decaySteps": 10, "final": 0.1}


def trained(cls, steps, seed=0):
    torch.manual_seed(seed)
    model = GPT(CFG)
    groups = [{**g, "name": f"g{i}"} for i, g in enumerate(scion_groups(model))]
    opt = cls(groups, lr=0.01, momentum=0.1, ns_dtype=torch.float32)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule(SPEC))
    for _ in range(steps):
        x = torch.randint(0, 11, (2, 8))
        if cls is Scion:
            opt.zero_grad(set_to_none=True)
        model(x, x)[1].backward()
        opt.step()
        sched.step()
    return model, opt, sched


class RoundTripTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def round_trip(self, cls):
        model, opt, sched = trained(cls, 3)
        handoff.save(self.dir, model, opt, sched.last_epoch, SPEC)
        meta = safetensors_io.load_metadata(os.path.join(self.dir, handoff.OPTIMIZER))
        self.assertEqual((meta["optimizer"], meta["step"], json.loads(meta["schedule"])), (cls.__name__, "3", SPEC))
        groups = json.loads(meta["param_groups"])
        self.assertEqual([g["norm"] for g in groups], ["Sign", "ColNorm", "BiasRMS", "Spectral"])
        self.assertEqual(groups[0]["params"], ["transformer.wte.weight"])
        self.assertEqual(groups[0]["initial_lr"], 0.01)

        torch.manual_seed(99)
        other = GPT(CFG)
        opt2, sched2, bundle = handoff.load(self.dir, other, torch.float32)
        self.assertEqual((type(opt2), bundle.step, sched2.last_epoch), (cls, 3, 3))
        for (n, a), (_, b) in zip(model.named_parameters(), other.named_parameters()):
            self.assertTrue(torch.equal(a, b), n)
        self.assertEqual([g["lr"] for g in opt2.param_groups], [g["lr"] for g in opt.param_groups])
        # both continue identically
        for _ in range(2):
            x = torch.randint(0, 11, (2, 8))
            for m, o, s in ((model, opt, sched), (other, opt2, sched2)):
                if cls is Scion:
                    o.zero_grad(set_to_none=True)
                m(x, x)[1].backward()
                o.step()
                s.step()
        for (n, a), (_, b) in zip(model.named_parameters(), other.named_parameters()):
            self.assertTrue(torch.equal(a, b), n)

    def test_scion(self):
        self.round_trip(Scion)

    def test_scion_light(self):
        self.round_trip(ScionLight)

    def test_before_any_step_the_buffers_are_zeros(self):
        model, opt, sched = trained(Scion, 0)
        handoff.save(self.dir, model, opt, 0, SPEC)
        buffers = safetensors_io.load_file(os.path.join(self.dir, handoff.OPTIMIZER))
        self.assertEqual(len(buffers), len(list(model.parameters())))
        self.assertTrue(all(bool((t == 0).all()) for t in buffers.values()))


class BadBundleTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        model, opt, sched = trained(Scion, 2)
        handoff.save(self.dir, model, opt, sched.last_epoch, SPEC)
        self.model_file = os.path.join(self.dir, handoff.MODEL)
        self.opt_file = os.path.join(self.dir, handoff.OPTIMIZER)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def rewrite(self, path, change_tensors=None, change_meta=None):
        with open(path, "rb") as f:
            tensors = safetensors_io.load(f.read())
        meta = safetensors_io.load_metadata(path)
        if change_tensors:
            change_tensors(tensors)
        if change_meta:
            change_meta(meta)
        safetensors_io.save_file(tensors, path, meta)

    def refused(self, *fragments):
        target = GPT(CFG)
        before = {n: p.detach().clone() for n, p in target.named_parameters()}
        with self.assertRaises((handoff.HandoffError, safetensors_io.SafetensorsError)) as ctx:
            handoff.load(self.dir, target, torch.float32)
        for s in fragments:
            self.assertIn(s, str(ctx.exception))
        self.assertNotIn("\n", str(ctx.exception))
        for n, p in target.named_parameters():
            self.assertTrue(torch.equal(p, before[n]), f"{n} changed")

    def test_missing_weight(self):
        self.rewrite(self.model_file, lambda t: t.pop("transformer.ln_f.weight"))
        self.refused("transformer.ln_f.weight")

    def test_extra_weight(self):
        self.rewrite(self.model_file, lambda t: t.update({"lm_head.bias": torch.zeros(11)}))
        self.refused("lm_head.bias")

    def test_wrong_shape(self):
        self.rewrite(self.opt_file, lambda t: t.update({"state.transformer.wpe.weight.momentum_buffer": torch.zeros(16, 8)}))
        self.refused("state.transformer.wpe.weight.momentum_buffer", "[16, 8]")

    def test_wrong_dtype(self):
        self.rewrite(self.model_file, lambda t: t.update({"transformer.wpe.weight": torch.zeros(8, 16, dtype=torch.int32)}))
        self.refused("transformer.wpe.weight", "int32")

    def test_missing_buffer(self):
        self.rewrite(self.opt_file, lambda t: t.pop("state.transformer.wte.weight.momentum_buffer"))
        self.refused("state.transformer.wte.weight.momentum_buffer")

    def test_non_finite(self):
        def nan(t):
            t["transformer.ln_f.weight"][3] = float("nan")

        self.rewrite(self.model_file, nan)
        self.refused("transformer.ln_f.weight", "non-finite")

    def test_another_optimizers_state(self):
        self.rewrite(self.opt_file, change_meta=lambda m: m.update(optimizer="AdamW"))
        self.refused("AdamW")

    def test_another_optimizers_buffers(self):
        def exp_avg(t):
            t["state.transformer.wte.weight.exp_avg"] = t.pop("state.transformer.wte.weight.momentum_buffer")

        self.rewrite(self.opt_file, exp_avg)
        self.refused("exp_avg")

    def test_another_optimizers_groups(self):
        def betas(m):
            groups = json.loads(m["param_groups"])
            groups[0]["betas"] = [0.9, 0.99]
            m["param_groups"] = json.dumps(groups)

        self.rewrite(self.opt_file, change_meta=betas)
        self.refused("betas")

    def test_truncated_file(self):
        with open(self.model_file, "rb") as f:
            data = f.read()
        with open(self.model_file, "wb") as f:
            f.write(data[:-5])
        self.refused("truncated")

    def test_bad_step(self):
        self.rewrite(self.opt_file, change_meta=lambda m: m.update(step="-1"))
        self.refused("step")


if __name__ == "__main__":
    unittest.main()
