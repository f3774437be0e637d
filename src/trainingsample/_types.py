"""Type aliases of the public API's annotations (nothing here runs: every
module that uses them has ``from __future__ import annotations``)."""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

Image = np.ndarray  # (H, W) or (H, W, C); uint8, uint16 or float32
Images = Union[np.ndarray, Sequence[np.ndarray]]  # a list of images or one (N, H, W[, C]) array
Box = Tuple[int, int, int, int]  # (x, y, width, height)
Size = Tuple[int, int]  # (width, height)
Boxes = Union[Box, Sequence[Box]]  # one box for every image, or one per image
Sizes = Union[Size, Sequence[Size]]
Seed = Union[None, int, np.random.Generator]
Crops = Union[np.ndarray, List[np.ndarray]]

__all__ = ["Image", "Images", "Box", "Size", "Boxes", "Sizes", "Seed", "Crops", "Optional", "Tuple", "List", "Sequence", "Union"]
