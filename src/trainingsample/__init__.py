"""trainingsample: fast, reproducible image and video training-data preparation
on numpy arrays.  Kernels are compiled by numba on first use (or by
``python -m trainingsample warmup``); importing compiles nothing."""
from ._engine import available_cpus, get_num_threads, limit_threads, set_num_threads
from .color import (
    batch_calculate_luminance,
    batch_gray_to_rgb,
    batch_rgb_to_bgr,
    batch_rgb_to_gray,
    batch_rgb_to_rgba,
    batch_rgba_to_rgb,
    calculate_luminance,
    gray_to_rgb,
    rgb_to_bgr,
    rgb_to_gray,
    rgb_to_rgba,
    rgba_to_rgb,
)
from .crop import (
    batch_center_crop_images,
    batch_crop_images,
    batch_random_crop_images,
    center_crop_image,
    crop_image,
    random_crop_image,
)
from .pipeline import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    CenterCrop,
    ConvertChannels,
    Crop,
    HorizontalFlip,
    Normalize,
    Pipeline,
    RandomCrop,
    RandomResizedCrop,
    Resize,
    VerticalFlip,
    normalize,
)
from .resize import batch_resize_images, batch_resize_videos, resize_image, resize_video
from ._coeffs import INTERPOLATIONS
from .warmup import warmup

__version__ = "0.1.0"

__all__ = [
    "batch_crop_images",
    "batch_center_crop_images",
    "batch_random_crop_images",
    "batch_resize_images",
    "batch_resize_videos",
    "batch_calculate_luminance",
    "batch_rgb_to_rgba",
    "batch_rgba_to_rgb",
    "batch_rgb_to_bgr",
    "batch_rgb_to_gray",
    "batch_gray_to_rgb",
    "crop_image",
    "center_crop_image",
    "random_crop_image",
    "resize_image",
    "resize_video",
    "calculate_luminance",
    "rgb_to_rgba",
    "rgba_to_rgb",
    "rgb_to_bgr",
    "rgb_to_gray",
    "gray_to_rgb",
    "set_num_threads",
    "limit_threads",
    "get_num_threads",
    "available_cpus",
    "warmup",
    "INTERPOLATIONS",
    "Pipeline",
    "Crop",
    "CenterCrop",
    "RandomCrop",
    "Resize",
    "RandomResizedCrop",
    "HorizontalFlip",
    "VerticalFlip",
    "ConvertChannels",
    "Normalize",
    "normalize",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]
