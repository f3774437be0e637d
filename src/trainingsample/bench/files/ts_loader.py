"""trainingsample's loader recipe: PipelineDataset over the paths (decoded
in the workers at reduced scale), RandomResizedCrop, HorizontalFlip,
Normalize; data_loader(batch 64, num_workers=2).  Prints images per second
over one pass.  python ts_loader.py SRC [uint8]: with "uint8", no Normalize:
uint8 (N, 224, 224, 3) batches, a quarter of the bytes, to be normalised on
the accelerator (integrations.torch.normalize_on_device), as FFCV and DALI
deliver them."""
import os
import sys
import time

import trainingsample as ts
from trainingsample.integrations.torch import PipelineDataset, data_loader

if __name__ == "__main__":
    src = sys.argv[1]
    paths = [os.path.join(src, n) for n in sorted(os.listdir(src)) if n.endswith(".jpg")]
    steps = [ts.RandomResizedCrop(224), ts.HorizontalFlip()]
    if sys.argv[2:] != ["uint8"]:
        steps.append(ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD))
    pipe = ts.Pipeline(steps)
    ds = PipelineDataset(paths, pipe, labels=[0] * len(paths), seed=0)
    loader = data_loader(ds, batch_size=64, shuffle=True, num_workers=2)
    t = time.perf_counter()
    n = sum(x.shape[0] for x, _ in loader)
    print(n / (time.perf_counter() - t))
