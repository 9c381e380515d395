"""Shared test tables: every elementwise activation in the registry plus parameter variants."""

from actinit_cli.nn import activations as acts

ELEMENTWISE = [n for n in acts.REGISTRY.names() if n != "softmax"]
VARIANTS = [acts.get(n) for n in ELEMENTWISE] + [
    acts.get({"name": "gelu", "approximate": True}),
    acts.get({"name": "leaky_relu", "negative_slope": 0.2}),
    acts.get({"name": "elu", "alpha": 0.5}),
]
IDS = [f"{a.name}{dict(a.params) or ''}" for a in VARIANTS]
