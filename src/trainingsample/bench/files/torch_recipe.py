"""torchvision's standard training recipe, written with the PIL calls its
transforms make (torchvision itself is not installed beside the CPU torch:
PyPI's build needs another torch): a dataset of paths, PIL
``convert("RGB")``, RandomResizedCrop (torchvision's get_params, then
``crop`` and ``resize(BILINEAR)``), RandomHorizontalFlip, ToTensor,
Normalize; DataLoader(batch 64, num_workers=2).  Prints images per second
over one pass.  python torch_recipe.py SRC"""
import math
import os
import random
import sys
import time

import numpy as np
import torch
from PIL import Image

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


def rrc_params(w, h, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    area = w * h
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * random.uniform(*scale)
        aspect = math.exp(random.uniform(*log_ratio))
        cw, ch = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            return random.randint(0, w - cw), random.randint(0, h - ch), cw, ch
    in_ratio = w / h
    if in_ratio < ratio[0]:
        cw, ch = w, int(round(w / ratio[0]))
    elif in_ratio > ratio[1]:
        ch, cw = h, int(round(h * ratio[1]))
    else:
        cw, ch = w, h
    return (w - cw) // 2, (h - ch) // 2, cw, ch


class Paths(torch.utils.data.Dataset):
    def __init__(self, paths):
        self.paths = paths

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        with open(self.paths[i], "rb") as fh:
            img = Image.open(fh).convert("RGB")
        x, y, w, h = rrc_params(*img.size)
        img = img.crop((x, y, x + w, y + h)).resize((224, 224), Image.BILINEAR)
        if random.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        t = torch.from_numpy(np.array(img, copy=True)).permute(2, 0, 1).contiguous().float().div(255)
        return t.sub_(MEAN).div_(STD), 0


if __name__ == "__main__":
    src = sys.argv[1]
    paths = [os.path.join(src, n) for n in sorted(os.listdir(src)) if n.endswith(".jpg")]
    loader = torch.utils.data.DataLoader(Paths(paths), batch_size=64, shuffle=True, num_workers=2)
    t = time.perf_counter()
    n = sum(x.shape[0] for x, _ in loader)
    print(n / (time.perf_counter() - t))
