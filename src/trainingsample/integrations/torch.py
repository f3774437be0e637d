"""PyTorch DataLoader recipe: whole batches through one Pipeline call per
worker, tensors shared with numpy (no copy), no core oversubscription.

>>> import numpy as np, trainingsample as ts
>>> from trainingsample.integrations.torch import PipelineDataset, data_loader
>>> pipe = ts.Pipeline([ts.RandomResizedCrop(224), ts.HorizontalFlip(),
...                     ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
>>> images = [np.zeros((300, 400, 3), np.uint8)] * 8       # arrays, or paths (decoded in the workers)
>>> ds = PipelineDataset(images, pipe, labels=list(range(8)), seed=0)
>>> x, y = next(iter(data_loader(ds, batch_size=4, num_workers=0)))   # num_workers=2 forks workers
>>> tuple(x.shape), x.dtype, y.tolist()
((4, 3, 224, 224), torch.float32, [0, 1, 2, 3])

* Each worker gets a list of indices (a ``BatchSampler``) and runs the whole
  batch through the pipeline on ``cpus // num_workers`` threads
  (``worker_init_fn``), so workers x threads never exceed the CPUs.
* Each sample's random crop/flip comes from ``(seed, epoch, index)``: the
  same sample gets the same augmentation whatever the worker count, batch
  size or order; ``set_epoch`` changes it between epochs.
* Workers are forked (the default on Linux); trainingsample's pool is
  recreated in each child.  torch is not a dependency of trainingsample.
"""
import multiprocessing as mp
import os

import numpy as np
import torch
import torch.utils.data as tud

from .. import _validate as V
from .._engine import available_cpus, set_num_threads
from ..pipeline import Pipeline, key_seed


def worker_init_fn(worker_id):
    """Give each DataLoader worker an equal share of this process's CPUs."""
    info = tud.get_worker_info()
    workers = info.num_workers if info is not None else 1
    set_num_threads(max(1, available_cpus() // workers))


def sample_seed(seed, epoch, index):
    return key_seed(seed, epoch, index)


class PipelineDataset(tud.Dataset):
    """Images run through ``pipeline``: arrays, image files (paths or bytes:
    decoded in the worker by the pipeline itself, JPEGs at the reduced scale
    ``reducing_gap`` allows over the window each sample keeps, see
    Pipeline), or anything ``loader`` turns into an (H, W[, C]) array.

    ``ds[i]`` gives one sample; ``ds[[i, j, ...]]`` a whole batch from one
    pipeline call: a tensor (or a list of tensors when sizes differ), with a
    label tensor when ``labels`` is given.  A pipeline without Normalize
    gives uint8 (N, H, W, C) batches, a quarter of float32's bytes to move:
    normalise them on the accelerator with ``normalize_on_device`` (as FFCV
    and DALI do).  ``on_error``: "raise" (a file that cannot be decoded
    raises trainingsample.io.DecodeError naming it) or "skip" (the batch
    goes on without it; a single sample raises).
    """

    def __init__(self, images, pipeline, labels=None, seed=0, loader=None, *, mode="rgb", reducing_gap=2.0,
                 on_error="raise"):
        V.pipeline_object(pipeline, Pipeline)
        V.label_count(labels, images)
        V.on_error_option(on_error)
        self.images, self.pipeline, self.labels, self.seed, self.loader = images, pipeline, labels, seed, loader
        self.mode, self.reducing_gap, self.on_error = mode, reducing_gap, on_error
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
        items = [self._load(i) for i in indices]
        out, indices = self._run(items, indices, single)
        if isinstance(out, torch.Tensor):  # a batch of files, written in place
            x = out
        elif not out:
            return (torch.empty(0), torch.empty(0, dtype=torch.int64)) if self.labels is not None else torch.empty(0)
        elif len({o.shape for o in out}) == 1:
            x = torch.from_numpy(np.stack(out)) if not single else torch.from_numpy(out[0])
        else:
            x = [torch.from_numpy(o) for o in out]
        if self.labels is None:
            return x
        y = [self.labels[i] for i in indices]
        return x, (torch.as_tensor(y[0]) if single else torch.as_tensor(y))

    def _run(self, items, indices, single):
        """The pipeline's outputs and their indices.  A batch of files whose
        outputs share one shape is written straight into one tensor (in
        shared memory in a worker, as torch's default_collate makes its
        batches: no stacking copy here, and none when the batch is sent to
        the main process); with on_error "skip" it leaves out each file that
        cannot be decoded (the rest are decoded once: Pipeline.prepare's
        errors="skip")."""
        from .. import io as tio

        seeds = [sample_seed(self.seed, self.epoch, i) for i in indices]
        if single or not items or not all(map(tio.is_source, items)):
            return self.pipeline(items, seed=seeds, mode=self.mode, reducing_gap=self.reducing_gap), indices
        prepared = self.pipeline.prepare(items, seed=seeds, mode=self.mode, reducing_gap=self.reducing_gap,
                                         errors=self.on_error)
        kept = [indices[k] for k in prepared.kept]
        shapes = prepared.shapes
        if not shapes:  # every file failed (on_error "skip")
            return [], []
        if len(set(shapes)) > 1:
            return self.pipeline.run(prepared), kept
        x = _batch_tensor((len(shapes),) + tuple(shapes[0]), prepared.epis[0].dtype)
        self.pipeline.run(prepared, out=x.numpy())
        return x, kept


def _batch_tensor(shape, dtype):
    """An uninitialised tensor of ``shape`` and the numpy ``dtype``; in a
    DataLoader worker its storage is shared memory, made the way torch's
    default_collate makes it, so sending it to the main process copies
    nothing."""
    elem = torch.from_numpy(np.empty(0, dtype))
    if tud.get_worker_info() is None:
        return torch.empty(shape, dtype=elem.dtype)
    storage = elem._typed_storage()._new_shared(int(np.prod(shape)), device=elem.device)
    return elem.new(storage).resize_(*shape)


def image_folder(root, pipeline, *, seed=0, extensions=None, **kwargs):
    """torchvision's ImageFolder as a PipelineDataset: one class per
    subfolder of ``root`` (sorted names, label = index), the image files
    under each (recursively, sorted).  ``classes``, ``class_to_idx`` and
    ``samples`` ((path, label) pairs) as torchvision has them; other keyword
    arguments go to PipelineDataset."""
    from ..io import IMAGE_EXTENSIONS

    exts = tuple(e.lower() for e in (extensions or IMAGE_EXTENSIONS))
    root = os.fspath(root)
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    samples = []
    for label, name in enumerate(classes):
        for dirpath, dirs, files in os.walk(os.path.join(root, name)):
            dirs.sort()
            samples += [(os.path.join(dirpath, f), label) for f in sorted(files) if f.lower().endswith(exts)]
    V.image_folder(root, classes, samples, exts)
    ds = PipelineDataset([p for p, _ in samples], pipeline, labels=[y for _, y in samples], seed=seed, **kwargs)
    ds.classes, ds.class_to_idx, ds.samples = classes, {c: k for k, c in enumerate(classes)}, samples
    return ds


def normalize_on_device(batch, mean, std, scale=255.0):
    """A uint8 (N, H, W, C) batch (on any device) as float32 (N, C, H, W):
    ``(x / scale - mean) / std`` per channel -- the Normalize step, run
    where the batch is."""
    V.nhwc_tensor(batch, isinstance(batch, torch.Tensor))
    c = batch.shape[3]
    m = torch.as_tensor(mean, dtype=torch.float32, device=batch.device).reshape(-1)
    s = torch.as_tensor(std, dtype=torch.float32, device=batch.device).reshape(-1)
    for name, v in (("mean", m), ("std", s)):
        V.channel_values(name, v.numel(), c)
    x = batch.permute(0, 3, 1, 2).to(torch.float32)
    return (x * (1.0 / scale) - m.reshape(1, -1, 1, 1)) / s.reshape(1, -1, 1, 1)


def data_loader(dataset, batch_size, *, shuffle=False, drop_last=False, num_workers=0, generator=None, **kwargs):
    """A DataLoader that hands each worker whole batches of indices."""
    base = tud.RandomSampler(dataset, generator=generator) if shuffle else tud.SequentialSampler(dataset)
    sampler = tud.BatchSampler(base, batch_size=batch_size, drop_last=drop_last)
    kwargs.setdefault("worker_init_fn", worker_init_fn)
    if num_workers and isinstance(dataset, PipelineDataset):
        ctx = kwargs.get("multiprocessing_context")
        method = mp.get_start_method() if ctx is None else (ctx if isinstance(ctx, str) else ctx.get_start_method())
        if method == "fork":
            dataset.pipeline.warm()  # forked workers inherit the loaded kernels
    return tud.DataLoader(dataset, batch_size=None, sampler=sampler, num_workers=num_workers, **kwargs)
