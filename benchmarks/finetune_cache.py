"""How much the trunk-feature cache speeds up dncnn_tra fine-tuning, measured side by side.

Runs the same last-layer-only fine-tuning (20-layer, 64-filter DnCNN, random CT-like patches)
with and without the cache, alternating, and prints each wall time and their ratio. Both must
end with the same weights (within float rounding), which is checked too.

    python benchmarks/finetune_cache.py [--patches 300] [--epochs 4] [--repeats 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from ldct.dncnn import DnCNN
from ldct.finetune import finetune
from ldct.window import HuWindow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = DnCNN().eval()
    rng = np.random.default_rng(0)
    full = rng.normal(40, 80, (args.patches, 50, 50)).astype(np.float32)
    low = full + rng.normal(0, 100, full.shape).astype(np.float32)
    is_validation = np.arange(args.patches) < max(1, args.patches // 20)
    settings = {
        "epochs": args.epochs,
        "batch_size": 32,
        "learning_rate": 1e-3,
        "precision": "float32",
        "deterministic": False,
    }
    times: dict[str, list[float]] = {"cached": [], "uncached": []}
    weights = {}
    for repeat in range(args.repeats):
        for name, cache_bytes in (("cached", 2**40), ("uncached", 0)):
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                tuned, _ = finetune(
                    model, "dncnn_tra", "last", low, full, is_validation, HuWindow(-1000.0, 1000.0),
                    settings,
                    seed=1, checkpoint_path=f"{folder}/last.pt", device="cpu",
                    feature_cache_bytes=cache_bytes,
                )
                times[name].append(time.perf_counter() - start)
                weights[name] = tuned.last_layer.weight.detach().clone()
    torch.testing.assert_close(weights["cached"], weights["uncached"], rtol=1e-3, atol=1e-5)
    cached, uncached = min(times["cached"]), min(times["uncached"])
    print(f"{args.patches} patches x {args.epochs} epochs, best of {args.repeats}, {torch.get_num_threads()} threads")
    print(f"uncached (whole network every step): {uncached:.1f} s")
    print(f"cached (trunk features once):        {cached:.1f} s")
    print(f"speed-up: {uncached / cached:.1f}x")


if __name__ == "__main__":
    main()
