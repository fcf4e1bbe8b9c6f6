"""The schedules of lmo's specs at points computed by hand from the formulas."""

import math
import unittest

from schedules import schedule


class ScheduleTest(unittest.TestCase):
    def check(self, spec, points):
        f = schedule(spec)
        for t, want in points:
            self.assertAlmostEqual(f(t), want, places=12, msg=f"{spec['kind']} at {t}")

    def test_each_kind(self):
        self.check({"kind": "constant", "value": 0.5}, [(0, 0.5), (10**6, 0.5)])
        self.check({"kind": "linearWarmup", "steps": 4}, [(0, 1 / 5), (3, 4 / 5), (4, 1), (9, 1)])
        self.check({"kind": "linearDecay", "steps": 10, "final": 0.2}, [(0, 1), (5, 0.6), (10, 0.2), (20, 0.2)])
        self.check({"kind": "cosineDecay", "steps": 10}, [(0, 1), (5, 0.5), (10, 0), (11, 0)])
        # nanoGPT's: warmup 100, half cosine to 0.1 at 2000 (the midpoint of the cosine is 1050: 0.1 + 0.9/2)
        self.check({"kind": "warmupCosine", "warmup": 100, "decaySteps": 2000, "final": 0.1}, [(0, 1 / 101), (99, 100 / 101), (100, 1), (1050, 0.55), (2000, 0.1), (2500, 0.1)])
        self.check({"kind": "warmupCosine", "warmup": 2, "decaySteps": 10}, [(6, 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 4 / 8)))])
        self.check({"kind": "warmupStableDecay", "warmup": 2, "total": 10, "decay": 4, "final": 0}, [(0, 1 / 3), (2, 1), (5, 1), (6, 1), (8, 0.5), (10, 0), (12, 0)])
        # the tuned recipe: warmup 100, then linear to 0 at the last iteration
        spec = {"kind": "sequence", "parts": [{"schedule": {"kind": "linearWarmup", "steps": 100}, "steps": 100}, {"schedule": {"kind": "linearDecay", "steps": 300, "final": 0}}]}
        self.check(spec, [(0, 1 / 101), (100, 1), (250, 0.5), (400, 0), (401, 0)])
        self.check({"kind": "product", "factors": [{"kind": "constant", "value": 0.5}, {"kind": "linearWarmup", "steps": 1}]}, [(0, 0.25), (1, 0.5)])
        self.check({"kind": "sequence", "parts": [{"schedule": {"kind": "constant", "value": 2}, "steps": 3}, {"schedule": {"kind": "linearDecay", "steps": 4}, "steps": 2}]}, [(2, 2), (3, 1), (4, 0.75), (9, 0.5)])

    def test_unknown_kind(self):
        with self.assertRaises(ValueError):
            schedule({"kind": "exponential"})


if __name__ == "__main__":
    unittest.main()
