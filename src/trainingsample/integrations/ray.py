"""Ray Data: run a Pipeline with ``Dataset.map_batches`` (local or multi-node).

>>> import ray, trainingsample as ts
>>> from trainingsample.integrations.ray import map_batches
>>> ds = ray.data.read_images("s3://bucket/train/", mode="RGB")            # doctest: +SKIP
>>> pipe = ts.Pipeline([ts.RandomResizedCrop(224), ts.HorizontalFlip(),
...                     ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
>>> ds = map_batches(ds, pipe, seed=0, seed_column="path")                # doctest: +SKIP

Each Ray task reserves ``threads_per_task`` CPUs and runs the pipeline on
that many threads, so Ray's scheduling and trainingsample's pool never
oversubscribe a node.  Ray is not a dependency: ``pip install "ray[data]"``.
"""
import numpy as np

from .. import _validate as V
from ..pipeline import key_seed


_key_seed = key_seed  # (seed, row key) -> the row's seed


def _column(values):
    """A numpy column from a list or array of per-row arrays (object dtype when shapes differ)."""
    if isinstance(values, np.ndarray):
        return values
    if values and all(v.shape == values[0].shape for v in values):
        return np.stack(values)
    col = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        col[i] = v
    return col


def pipeline_fn(pipeline, column="image", out_column=None, seed=None, seed_column=None, threads=1):
    """The function ``map_batches`` calls on a ``batch_format="numpy"`` batch.

    ``batch[column]``: an (N, H, W, C) array or an object array of images.
    With ``seed_column``, each row's seed is derived from ``seed`` and that
    column's value, so results do not depend on how Ray splits the data into
    blocks and batches; with only ``seed``, each batch draws from
    ``default_rng(seed)`` (the same for every batch -- use a seed column).
    """
    from ..pipeline import Pipeline

    V.pipeline_object(pipeline, Pipeline)

    def fn(batch):
        import trainingsample as ts

        V.column_of(column, batch)
        ts.set_num_threads(threads)
        imgs = batch[column]
        images = list(imgs) if imgs.dtype == object else imgs
        if seed_column is not None:
            rng = [_key_seed(seed, k) for k in batch[seed_column]]
        else:
            rng = seed
        out = pipeline(images, seed=rng)
        result = dict(batch)
        result[out_column or column] = _column(out)
        return result

    return fn


def map_batches(ds, pipeline, column="image", *, out_column=None, seed=None, seed_column=None, threads_per_task=1, **kwargs):
    """``ds.map_batches`` with the pipeline; extra keyword arguments go to Ray
    (``batch_size``, ``concurrency``, ...)."""
    V.positive_int(threads_per_task, "threads_per_task")
    fn = pipeline_fn(pipeline, column, out_column, seed, seed_column, threads_per_task)
    return ds.map_batches(fn, batch_format="numpy", num_cpus=threads_per_task, **kwargs)
