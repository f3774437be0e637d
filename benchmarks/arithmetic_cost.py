"""What uint16 and float32 resizes cost, for comparing two versions of the code.

Run one process per version, alternating, e.g. against a worktree of an older
commit (`git worktree add /tmp/old <commit>`):

    for i in 1 2 3; do
      PYTHONPATH=/tmp/old/src python benchmarks/arithmetic_cost.py 7
      PYTHONPATH=src python benchmarks/arithmetic_cost.py 7
    done

Each prints one JSON line: workload -> median milliseconds over the given
number of interleaved rounds, on 2 threads, after one untimed call each.
"""
import json
import sys
import time

import numpy as np

import trainingsample as ts


def main(rounds):
    ts.set_num_threads(2)
    rng = np.random.default_rng(0)
    cases = []
    for dt in (np.float32, np.uint16):
        big = (rng.random((5120, 5120, 3)) * 255).astype(dt)
        mid = (rng.random((16, 1024, 1024, 3)) * 255).astype(dt)
        small = (rng.random((512, 512, 3)) * 255).astype(dt)
        name = np.dtype(dt).name
        cases += [
            (f"{name} resize 5120->512 bilinear", lambda b=big: ts.resize_image(b, (512, 512), interpolation="bilinear")),
            (f"{name} resize 512->2048 lanczos3", lambda s=small: ts.resize_image(s, (2048, 2048), interpolation="lanczos3")),
            (f"{name} resize 16 x 1024->224 bicubic", lambda m=mid: ts.batch_resize_images(m, (224, 224), interpolation="bicubic")),
        ]
    for _, f in cases:
        f()
    times = {n: [] for n, _ in cases}
    for _ in range(rounds):
        for n, f in cases:
            t = time.perf_counter()
            f()
            times[n].append(time.perf_counter() - t)
    print(json.dumps({n: round(float(np.median(v)) * 1e3, 2) for n, v in times.items()}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
