"""Box, center and seeded random crops."""
from __future__ import annotations

import numpy as np

from . import _apply, _engine
from . import _validate as V
from ._types import Box, Boxes, Crops, Image, Images, Seed, Size, Sizes


# Crops of fewer bytes than this in one call are copied by numpy in the
# calling thread; bigger ones in row bands on the pool.  Below it a helper's
# share of the memory bandwidth gains less than waking it costs (this 2-CPU
# EPYC guest, 2026-12-03, crop of a 4096x4096 RGB image: 1500x1500 0.21 ms
# serial vs 0.36 ms on 2 threads; 2000x2000 1.07 vs 0.86 ms).
SERIAL_COPY_BYTES = 8 << 20


def _crop(batch, boxes, copy, name, indexed=True, shared=None):
    """``shared``: the box or (width, height) given for every image, which
    sets the shape of an empty array's result."""
    if batch.count == 0:
        return V.empty_output(batch, shared) if copy else []
    one = batch.is_array and len(set(boxes)) == 1
    if one:
        V.box_inside(boxes[0], batch.arrays[0].shape[1:], name)
    else:
        for i, box in enumerate(boxes):
            shape = batch.arrays[0].shape[1:] if batch.is_array else batch.arrays[i].shape[1:]
            if box[0] + box[2] > shape[1] or box[1] + box[3] > shape[0]:
                V.box_inside(box, shape, V.where(name, i, indexed))  # raises, naming the box
    if not copy:
        views = []
        for i, (x, y, w, h) in enumerate(boxes):
            v = batch.image(i)[y : y + h, x : x + w]
            views.append(batch.user_view(i, v[:, :, 0] if batch.squeeze[i] else v))
        return views
    if one:
        # one box for the whole batch: a single 4-D view
        x, y, w, h = boxes[0]
        srcs = [batch.arrays[0][:, y : y + h, x : x + w]]
    elif batch.is_array:
        srcs = [batch.arrays[0][i : i + 1, y : y + h, x : x + w] for i, (x, y, w, h) in enumerate(boxes)]
    else:
        srcs = [a[:, y : y + h, x : x + w] for a, (x, y, w, h) in zip(batch.arrays, boxes)]
    if _engine.get_num_threads() == 1 or sum(s.nbytes for s in srcs) < SERIAL_COPY_BYTES:
        outs = [s.copy() for s in srcs]
    else:
        outs = [np.empty(s.shape, s.dtype) for s in srcs]
        _apply.run(outs, [_apply.ItemCall(_apply.copy_into(s, o), o.shape[2] * o.shape[3]) for s, o in zip(srcs, outs)])
    return _apply.finish(batch, outs)


def batch_crop_images(images: Images, boxes: Boxes, *, copy: bool = True) -> Crops:
    """Crop each image to its box.

    Parameters
    ----------
    images : list of (H, W) / (H, W, C) arrays, or one (N, H, W, C) array
        uint8, uint16 or float32; any strides.
    boxes : (x, y, width, height) or a list of them, one per image
        Must lie inside its image (ValueError otherwise; nothing is clamped).
    copy : bool
        True (default): owned C-contiguous arrays.  False: views into the inputs
        (always a list).

    Returns
    -------
    list or numpy.ndarray
        A list for list input; an (N, h, w, C) array for array input when all
        crops have one size (else a list).

    Raises
    ------
    ValueError, TypeError
        Naming the argument, the index and the value: a box outside its
        image, a count that does not match, an unsupported dtype.

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> batch = np.zeros((2, 40, 60, 3), np.uint8)
    >>> ts.batch_crop_images(batch, (5, 10, 32, 24)).shape
    (2, 24, 32, 3)
    >>> [c.shape for c in ts.batch_crop_images([batch[0], batch[1]], [(0, 0, 8, 8), (1, 1, 4, 2)])]
    [(8, 8, 3), (2, 4, 3)]
    >>> ts.batch_crop_images(batch, (50, 0, 32, 24))
    Traceback (most recent call last):
    ValueError: boxes (50, 0, 32, 24) (x, y, width, height) extends outside the image of width 60 and height 40
    """
    if copy is True and type(images) in (list, tuple) and type(boxes) in (list, tuple):
        crops = _plain_crops(images, boxes)
        if crops is not None:
            return crops
    batch = V.as_batch(images)
    bx = V.boxes(boxes, batch.count)
    _empty_fits(batch, bx.shared, "boxes")
    return _crop(batch, bx, V.flag(copy, "copy"), "boxes", shared=bx.shared)


def _plain_view(image, box):
    """``image[y:y+h, x:x+w]`` for the common call -- a plain ndarray of a
    supported dtype and a tuple or list of four plain ints inside it --
    checked inline; None for anything else, which the general path then
    checks and names."""
    if type(image) is not np.ndarray or type(box) not in (tuple, list) or len(box) != 4:
        return None
    x, y, w, h = box
    shape = image.shape
    if (
        type(x) is type(y) is type(w) is type(h) is int
        and 0 <= x and 0 <= y and 0 < w and 0 < h
        and (len(shape) == 2 or (len(shape) == 3 and shape[2] > 0))
        and x + w <= shape[1] and y + h <= shape[0]
        and image.dtype in V.SUPPORTED_DTYPES
    ):
        return image[y : y + h, x : x + w]
    return None


def _plain_crops(images, boxes):
    """The common batch call -- a list of ndarrays, int boxes inside them
    (_plain_view), less than SERIAL_COPY_BYTES in all -- as the numpy loop a
    user would write (the general path's per-image views and checks cost
    1.7 us an image); None for anything else, which the general path then
    checks and names.  Every image and box is checked before anything is
    copied."""
    n = len(images)
    shared = len(boxes) == 4 and type(boxes[0]) is int
    if not n or not (shared or len(boxes) == n):
        return None
    views = []
    total = 0
    for k in range(n):
        view = _plain_view(images[k], boxes if shared else boxes[k])
        if view is None:
            return None
        total += view.nbytes
        views.append(view)
    if total >= SERIAL_COPY_BYTES:
        return None
    return [v.copy() for v in views]


def _empty_fits(batch, shared, name):
    """An empty (0, H, W, C) array still declares its image size: a shared
    crop size or box must fit it, as it must fit every image of a batch."""
    if batch.count or not batch.is_array or shared is None:
        return
    shape = batch.arrays[0].shape[1:]
    if shape[0] and shape[1]:
        (V.box_inside if len(shared) == 4 else V.size_inside)(shared, shape, name)


def _center_boxes(batch, sizes, name, indexed=True):
    _empty_fits(batch, sizes.shared, name)
    out = []
    for i, (w, h) in enumerate(sizes):
        ih, iw = batch.image(i).shape[:2]
        V.size_inside((w, h), (ih, iw), V.where(name, i, indexed))
        out.append(((iw - w) // 2, (ih - h) // 2, w, h))
    return out


def batch_center_crop_images(images: Images, target_sizes: Sizes, *, copy: bool = True) -> Crops:
    """Crop the centre (width, height) of each image.

    The origin is ``((W - width) // 2, (H - height) // 2)``, as
    torchvision's ``center_crop`` for sizes that fit.  A size larger than its
    image is a ValueError (no padding).  ``images`` and ``copy`` and the
    result as in :func:`batch_crop_images`; ``target_sizes`` is one
    (width, height) for every image or one per image.

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> ts.batch_center_crop_images(np.zeros((3, 9, 11, 1), np.uint8), (4, 5)).shape
    (3, 5, 4, 1)
    """
    batch = V.as_batch(images)
    sizes = V.sizes(target_sizes, batch.count)
    boxes = _center_boxes(batch, sizes, "target_sizes")
    return _crop(batch, boxes, V.flag(copy, "copy"), "target_sizes", shared=sizes.shared)


def as_generator(seed: Seed, name: str = "seed") -> np.random.Generator:
    """None (fresh entropy), a non-negative int, or a numpy Generator (used as is)."""
    seed = V.seed_value(seed, name)
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def random_boxes(batch, sizes, rng, name, indexed=True):
    """Draw one box per image in Python (image order), independent of threads."""
    highs_x, highs_y = [], []
    _empty_fits(batch, sizes.shared, name)
    for i, (w, h) in enumerate(sizes):
        ih, iw = batch.image(i).shape[:2]
        V.size_inside((w, h), (ih, iw), V.where(name, i, indexed))
        highs_x.append(iw - w + 1)
        highs_y.append(ih - h + 1)
    if not sizes:
        return []
    xs = rng.integers(0, np.array(highs_x, dtype=np.int64))
    ys = rng.integers(0, np.array(highs_y, dtype=np.int64))
    return [(int(x), int(y), w, h) for x, y, (w, h) in zip(xs, ys, sizes)]


def batch_random_crop_images(images: Images, target_sizes: Sizes, *, seed: Seed = None, return_boxes: bool = False,
                             copy: bool = True):
    """Crop a uniformly random (width, height) window from each image.

    ``seed`` (int or numpy.random.Generator) makes the boxes reproducible;
    they are drawn in Python in image order, so they never depend on the
    thread count.  ``return_boxes=True`` returns ``(crops, boxes)`` with
    boxes as (x, y, width, height), replayable with batch_crop_images.

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> images = [np.zeros((30, 40, 3), np.uint8)] * 2
    >>> crops, boxes = ts.batch_random_crop_images(images, (16, 8), seed=0, return_boxes=True)
    >>> boxes == ts.batch_random_crop_images(images, (16, 8), seed=0, return_boxes=True)[1]
    True
    >>> [c.shape for c in crops], all(0 <= x <= 24 and 0 <= y <= 22 for x, y, _, _ in boxes)
    ([(8, 16, 3), (8, 16, 3)], True)
    """
    batch = V.as_batch(images)
    sizes = V.sizes(target_sizes, batch.count)
    rng = as_generator(seed)
    bx = random_boxes(batch, sizes, rng, "target_sizes")
    out = _crop(batch, bx, V.flag(copy, "copy"), "target_sizes", shared=sizes.shared)
    return (out, bx) if V.flag(return_boxes, "return_boxes") else out


# single-image forms


def crop_image(image: Image, box: Box, *, copy: bool = True) -> Image:
    """Crop one image to box (x, y, width, height).

    ``copy=True`` (default): an owned C-contiguous array; False: a view.
    The box must lie inside the image (ValueError otherwise).

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> img = np.arange(4 * 6, dtype=np.uint8).reshape(4, 6)
    >>> ts.crop_image(img, (1, 2, 3, 2))
    array([[13, 14, 15],
           [19, 20, 21]], dtype=uint8)
    >>> ts.crop_image(img, (1, 2, 3, 2.0))
    Traceback (most recent call last):
    TypeError: box[3] must be an integer, got 2.0 (float)
    """
    if copy is True:
        # the common call, checked inline (the numpy slice it is costs about
        # 1 us; the general path's checks 10); anything unusual takes the
        # general path, which names what is wrong
        view = _plain_view(image, box)
        if view is not None and view.nbytes < SERIAL_COPY_BYTES:
            return view.copy()
    batch = V.single_batch(image)
    bx = V.boxes(V.single(box, 4, "(x, y, width, height) box", "box"), 1, "box")
    return _crop(batch, bx, V.flag(copy, "copy"), "box", False)[0]


def center_crop_image(image: Image, size: Size, *, copy: bool = True) -> Image:
    """Crop the centre (width, height) of one image (see
    :func:`batch_center_crop_images`).

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> ts.center_crop_image(np.arange(25, dtype=np.uint8).reshape(5, 5), (3, 1))
    array([[11, 12, 13]], dtype=uint8)
    """
    batch = V.single_batch(image)
    sizes = V.sizes(V.single(size, 2, "(width, height) pair", "size"), 1, "size")
    return _crop(batch, _center_boxes(batch, sizes, "size", False), V.flag(copy, "copy"), "size", False)[0]


def random_crop_image(image: Image, size: Size, *, seed: Seed = None, return_box: bool = False, copy: bool = True):
    """Crop a uniformly random (width, height) window from one image (see
    :func:`batch_random_crop_images`); ``return_box=True`` returns
    ``(crop, (x, y, width, height))``.

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> crop, box = ts.random_crop_image(np.zeros((10, 10), np.uint8), (4, 4), seed=7, return_box=True)
    >>> crop.shape, box == ts.random_crop_image(np.zeros((10, 10), np.uint8), (4, 4), seed=7, return_box=True)[1]
    ((4, 4), True)
    """
    batch = V.single_batch(image)
    sizes = V.sizes(V.single(size, 2, "(width, height) pair", "size"), 1, "size")
    bx = random_boxes(batch, sizes, as_generator(seed), "size", False)
    out = _crop(batch, bx, V.flag(copy, "copy"), "size", False)[0]
    return (out, bx[0]) if V.flag(return_box, "return_box") else out
