"""PyTorch DataLoader recipe: whole batches through one Pipeline call per
worker, tensors shared with numpy (no copy), no core oversubscription.

>>> import trainingsample as ts
>>> from trainingsample.torch_data import PipelineDataset, data_loader
>>> pipe = ts.Pipeline([ts.RandomResizedCrop(224), ts.HorizontalFlip(),
...                     ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
>>> ds = PipelineDataset(images, pipe, labels=labels, seed=0)   # images: arrays, or paths + loader=
>>> for x, y in data_loader(ds, batch_size=64, shuffle=True, num_workers=2):   # doctest: +SKIP
...     ...   # x: (64, 3, 224, 224) float32 tensor

* Each worker gets a list of indices (a ``BatchSampler``) and runs the whole
  batch through the pipeline on ``cpus // num_workers`` threads
  (``worker_init_fn``), so workers x threads never exceed the CPUs.
* Each sample's random crop/flip comes from ``(seed, epoch, index)``: the
  same sample gets the same augmentation whatever the worker count, batch
  size or order; ``set_epoch`` changes it between epochs.
* Workers are forked (the default on Linux); trainingsample's pool is
  recreated in each child.  torch is not a dependency of trainingsample.
"""
import numpy as np
import torch
import torch.utils.data as tud

from ._engine import available_cpus, set_num_threads
from .pipeline import Pipeline, key_seed


def worker_init_fn(worker_id):
    """Give each DataLoader worker an equal share of this process's CPUs."""
    info = tud.get_worker_info()
    workers = info.num_workers if info is not None else 1
    set_num_threads(max(1, available_cpus() // workers))


def sample_seed(seed, epoch, index):
    return key_seed(seed, epoch, index)


class PipelineDataset(tud.Dataset):
    """Images (arrays, or anything ``loader`` turns into an (H, W[, C]) uint8
    array, such as file paths) run through ``pipeline``.

    ``ds[i]`` gives one sample; ``ds[[i, j, ...]]`` a whole batch from one
    pipeline call: a tensor (or a list of tensors when sizes differ), with a
    label tensor when ``labels`` is given.
    """

    def __init__(self, images, pipeline, labels=None, seed=0, loader=None):
        if not isinstance(pipeline, Pipeline):
            raise TypeError(f"pipeline must be a trainingsample Pipeline, got {type(pipeline).__name__}")
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"labels has {len(labels)} entries but there are {len(images)} images")
        self.images, self.pipeline, self.labels, self.seed, self.loader = images, pipeline, labels, seed, loader
        self.epoch = 0

    def set_epoch(self, epoch):
        """Draw new augmentations (call before creating the epoch's iterator)."""
        self.epoch = int(epoch)

    def __len__(self):
        return len(self.images)

    def _load(self, i):
        img = self.images[i]
        return self.loader(img) if self.loader is not None else img

    def __getitem__(self, index):
        single = not isinstance(index, (list, tuple, np.ndarray, torch.Tensor))
        indices = [int(index)] if single else [int(i) for i in index]
        n = len(self)
        for k, i in enumerate(indices):
            if not -n <= i < n:
                raise IndexError(f"index {i} (position {k}) is out of range for {n} samples")
        indices = [i % n for i in indices]
        seeds = [sample_seed(self.seed, self.epoch, i) for i in indices]
        out = self.pipeline([self._load(i) for i in indices], seed=seeds)
        if len({o.shape for o in out}) == 1:
            x = torch.from_numpy(np.stack(out)) if not single else torch.from_numpy(out[0])
        else:
            x = [torch.from_numpy(o) for o in out]
        if self.labels is None:
            return x
        y = [self.labels[i] for i in indices]
        return x, (torch.as_tensor(y[0]) if single else torch.as_tensor(y))


def data_loader(dataset, batch_size, *, shuffle=False, drop_last=False, num_workers=0, generator=None, **kwargs):
    """A DataLoader that hands each worker whole batches of indices."""
    base = tud.RandomSampler(dataset, generator=generator) if shuffle else tud.SequentialSampler(dataset)
    sampler = tud.BatchSampler(base, batch_size=batch_size, drop_last=drop_last)
    kwargs.setdefault("worker_init_fn", worker_init_fn)
    return tud.DataLoader(dataset, batch_size=None, sampler=sampler, num_workers=num_workers, **kwargs)
