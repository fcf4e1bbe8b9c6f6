"""@lmo/core's learning-rate schedules from their JSON spec (`ScheduleSpec`), as a function of the
step index t (0-based: the step being taken) for `torch.optim.lr_scheduler.LambdaLR`, whose
`last_epoch` is then the number of steps taken.

    constant(value=1)                     value
    linearWarmup(steps)                   (t + 1)/(steps + 1) for t < steps, then 1
    linearDecay(steps, final=0)           1 + (final − 1)·t/steps, then final
    cosineDecay(steps, final=0)           final + (1 − final)·½(1 + cos(π t/steps)), then final
    warmupCosine(warmup, decaySteps, final=0.1)   linearWarmup(warmup), then cosineDecay(decaySteps − warmup, final)
    warmupStableDecay(warmup, total, decay, final=0)  linearWarmup(warmup), 1, then linearDecay(decay, final) over the last `decay` steps
    sequence(parts: [{schedule, steps?}])  each part for its steps (the last may omit them), t counted from the part's start
    product(factors)                      the pointwise product
"""

import math


def _constant(value=1):
    return lambda t: value


def _linear_warmup(steps):
    return lambda t: (t + 1) / (steps + 1) if t < steps else 1


def _linear_decay(steps, final=0):
    return lambda t: final if t >= steps else 1 + (final - 1) * (t / steps)


def _cosine_decay(steps, final=0):
    return lambda t: final if t >= steps else final + (1 - final) * 0.5 * (1 + math.cos((math.pi * t) / steps))


def _sequence(parts):
    entries = [(schedule(p["schedule"]), p.get("steps", math.inf)) for p in parts]

    def f(t):
        start = 0
        for s, n in entries:
            if t < start + n:
                return s(t - start)
            start += n
        s, n = entries[-1]
        return s(n)

    return f


def _warmup_cosine(warmup, decaySteps, final=0.1):
    cosine = _cosine_decay(decaySteps - warmup, final)
    return lambda t: (t + 1) / (warmup + 1) if t < warmup else cosine(t - warmup)


def _warmup_stable_decay(warmup, total, decay, final=0):
    return _sequence(
        [
            {"schedule": {"kind": "linearWarmup", "steps": warmup}, "steps": warmup},
            {"schedule": {"kind": "constant", "value": 1}, "steps": total - warmup - decay},
            {"schedule": {"kind": "linearDecay", "steps": decay, "final": final}},
        ]
    )


def _product(factors):
    fs = [schedule(s) for s in factors]

    def f(t):
        acc = 1
        for s in fs:
            acc *= s(t)
        return acc

    return f


_KINDS = {
    "constant": _constant,
    "linearWarmup": _linear_warmup,
    "linearDecay": _linear_decay,
    "cosineDecay": _cosine_decay,
    "warmupCosine": _warmup_cosine,
    "warmupStableDecay": _warmup_stable_decay,
}


def schedule(spec):
    """The schedule a spec describes: a function of the step index t."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    options = {k: v for k, v in spec.items() if k != "kind"} if isinstance(spec, dict) else {}
    if kind == "sequence":
        return _sequence(spec["parts"])
    if kind == "product":
        return _product(spec["factors"])
    if kind not in _KINDS:
        raise ValueError(f"unknown schedule kind {kind!r}")
    return _KINDS[kind](**options)
