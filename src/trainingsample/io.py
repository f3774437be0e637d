"""Reading image files into uint8 arrays: ``probe`` (the header), ``read_image``
and ``read_images`` (many, in threads), with the JPEG reduced-scale decode the
Pipeline uses for files.

* Sources are paths (``str`` / ``os.PathLike``) or encoded ``bytes``.
* JPEG is decoded by libjpeg-turbo through simplejpeg (decoded straight into
  numpy, GIL released), at 1/1, 1/2, 1/4 or 1/8 scale in the DCT domain
  (what Pillow's ``draft`` and pyvips' shrink-on-load do); a reduced size is
  ``ceil(side / scale)``.  CMYK JPEGs and every other format go through
  Pillow.  ``pip install "trainingsample[files]"`` installs both.
* EXIF orientation is applied (as ``ImageOps.exif_transpose``); sizes and
  boxes are in the oriented image's pixels.
* ``mode``: "rgb", "gray", "rgba", or "keep" (L, RGB and RGBA as stored; a
  palette or LA image with alpha to RGBA, others to RGB).  Conversions are
  Pillow's ``convert`` (gray is Pillow's luma), except 16-bit images
  (``I;16`` PNGs and TIFFs, ``I``): they are scaled to 8 bits,
  ``(v * 255 + 32767) // 65535``, where Pillow clips them to 255.
* Images above ``MAX_IMAGE_PIXELS`` (Pillow's default limit, 89,478,485
  pixels) are refused before any pixel is decoded.
* Every failure is a ``DecodeError`` (a ValueError) naming the file and the
  cause: not a regular file (a FIFO or a device is never opened for reading),
  unreadable, not an image, truncated or corrupt, too large.
"""
import os
import stat
import warnings
from typing import NamedTuple, Optional, Union

import numpy as np

from . import _validate as V

MAX_IMAGE_PIXELS = 89_478_485  # Pillow's Image.MAX_IMAGE_PIXELS default
MODES = ("rgb", "gray", "rgba", "keep")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")  # what folders are searched for
JPEG_SCALES = (1, 2, 4, 8)
Source = Union[str, os.PathLike, bytes, bytearray, memoryview]
_BYTES = (bytes, bytearray, memoryview)

# EXIF orientation -> numpy view of the stored (H, W, C) array, as
# ImageOps.exif_transpose (2: mirror, 3: rotate 180, 4: flip, 5: transpose,
# 6: rotate 90 clockwise, 7: transverse, 8: rotate 90 counter-clockwise)
_ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: a.transpose(1, 0, 2)[:, ::-1],
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
    8: lambda a: a.transpose(1, 0, 2)[::-1],
}


class DecodeError(ValueError):
    """A file that cannot be read as an image; ``source`` names it."""

    def __init__(self, source, cause):
        self.source, self.cause = source, cause
        super().__init__(f"{source}: {cause}")


class ImageInfo(NamedTuple):
    """What the header says: ``width``/``height`` after EXIF orientation,
    ``format`` (Pillow's name: "JPEG", "PNG", ...), ``mode`` (Pillow's),
    ``orientation`` (1-8), and ``data``, the encoded bytes."""

    name: str
    width: int
    height: int
    format: str
    mode: str
    orientation: int
    data: bytes

    @property
    def libjpeg(self):
        """libjpeg-turbo (simplejpeg) decodes it: a JPEG stored as L or RGB."""
        return self.format == "JPEG" and self.mode in ("L", "RGB") and _simplejpeg() is not None

    @property
    def scales(self):
        """The reduced scales this file decodes at directly."""
        return JPEG_SCALES if self.libjpeg else (1,)


def _pil():
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError('reading image files needs Pillow: pip install "trainingsample[files]"') from None
    return Image


_SJ = []


def _simplejpeg():
    if not _SJ:
        try:
            import simplejpeg
        except ImportError:  # Pillow decodes JPEG too (slower, same pixels)
            simplejpeg = None
        _SJ.append(simplejpeg)
    return _SJ[0]


def is_source(x):
    """``x`` is an image file: a path or encoded bytes."""
    return isinstance(x, (str, os.PathLike) + _BYTES)


def source_name(source):
    """How errors name ``source``: its path, or ``<N bytes>``."""
    if isinstance(source, _BYTES):
        return f"<{len(source)} bytes>"
    V.source(source, is_source)
    return os.fspath(source)


def read_bytes(source):
    """The encoded bytes of ``source``; a path must name a regular file."""
    name = source_name(source)
    if isinstance(source, _BYTES):
        return bytes(source)
    try:
        st = os.stat(name)
        if not stat.S_ISREG(st.st_mode):
            raise DecodeError(name, "not a regular file")
        with open(name, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise DecodeError(name, f"cannot read: {exc.strerror or exc}") from None


_SJ_MODES = {"Gray": "L", "YCbCr": "RGB", "RGB": "RGB"}  # simplejpeg's colour spaces it decodes to L / RGB


def _jpeg_orientation(data):
    """EXIF orientation (1-8) of a JPEG from its first Exif APP1 segment, as
    Pillow's getexif reads it; 1 when there is none or it is broken."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return 1
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan, end of image: no more headers
            return 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xE1 and data[i + 4 : i + 10] == b"Exif\0\0":
            return _tiff_orientation(data[i + 10 : i + 2 + length])
        i += 2 + length
    return 1


def _tiff_orientation(t):
    order = {b"II": "little", b"MM": "big"}.get(bytes(t[:2]))
    if order is None or len(t) < 8:
        return 1
    off = int.from_bytes(t[4:8], order)
    if off + 2 > len(t):
        return 1
    for k in range(int.from_bytes(t[off : off + 2], order)):
        e = off + 2 + 12 * k
        if e + 12 > len(t):
            return 1
        if int.from_bytes(t[e : e + 2], order) == 0x0112:
            kind = int.from_bytes(t[e + 2 : e + 4], order)
            v = int.from_bytes(t[e + 8 : e + 10] if kind == 3 else t[e + 8 : e + 12], order) if kind in (3, 4) else 1
            return v if 1 <= v <= 8 else 1
    return 1


def _jpeg_info(name, data):
    """The header of a JPEG libjpeg-turbo decodes to L or RGB (simplejpeg and
    the EXIF segment, about 10 us); None for anything else (Pillow reads it)."""
    sj = _simplejpeg()
    if sj is None or data[:2] != b"\xff\xd8":
        return None
    try:
        h, w, space, _ = sj.decode_jpeg_header(data)
    except ValueError:
        return None
    mode = _SJ_MODES.get(space)
    if mode is None:
        return None
    return _info(name, w, h, "JPEG", mode, _jpeg_orientation(data), data)


def _info(name, w, h, fmt, mode, orientation, data):
    """The ImageInfo of a stored w x h image, refused when it is empty or
    over MAX_IMAGE_PIXELS; sizes after the EXIF orientation."""
    if w * h > MAX_IMAGE_PIXELS:
        raise DecodeError(name, f"{w}x{h} is more than {MAX_IMAGE_PIXELS} pixels (MAX_IMAGE_PIXELS)")
    if w < 1 or h < 1:
        raise DecodeError(name, f"empty image ({w}x{h})")
    if orientation not in _ORIENT:
        orientation = 1
    if orientation >= 5:
        w, h = h, w
    return ImageInfo(name, w, h, fmt, mode, orientation, data)


def probe(source: Source) -> ImageInfo:
    """Read ``source``'s header: its size (after EXIF orientation), format and
    mode.  Raises DecodeError for anything that is not a readable image."""
    name = source_name(source)
    data = read_bytes(source)
    info = _jpeg_info(name, data)
    if info is not None:
        return info
    Image = _pil()
    import io as _io

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(_io.BytesIO(data))
            w, h = im.size
            orientation = 1
            try:
                orientation = int(im.getexif().get(0x0112, 1))
            except Exception:  # a broken EXIF block: Pillow's exif_transpose ignores it too
                orientation = 1
    except Image.DecompressionBombError:
        raise DecodeError(name, f"more than {MAX_IMAGE_PIXELS} pixels (MAX_IMAGE_PIXELS)") from None
    except Image.UnidentifiedImageError:
        raise DecodeError(name, "not a readable image (no format Pillow knows)") from None
    except Exception as exc:
        raise DecodeError(name, f"not a readable image ({type(exc).__name__}: {exc})") from None
    return _info(name, w, h, im.format or "", im.mode, orientation, data)


def reduced_size(info: ImageInfo, scale: int):
    """(width, height) of ``info``'s image decoded at 1/``scale``."""
    return -(-info.width // scale), -(-info.height // scale)


def _check_mode(mode):
    return V.image_mode(mode, MODES)


def _to_8bit(a):
    """16-bit (or 32-bit integer) gray to uint8, scaled (0..65535 -> 0..255)."""
    v = np.clip(a.astype(np.int64), 0, 65535)
    return ((v * 255 + 32767) // 65535).astype(np.uint8)


def _gray(rgb):
    """Pillow's convert("L") of a uint8 RGB array (ITU-R 601-2 luma in 16-bit
    fixed point, as Pillow's Convert.c)."""
    r, g, b = (rgb[..., k].astype(np.uint32) for k in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


def _finish_mode(a, mode):
    """An (H, W, C) uint8 array with C in 1/3/4 converted to ``mode`` as
    Pillow's convert would (alpha added opaque, dropped, gray replicated)."""
    c = a.shape[2]
    if mode == "keep":
        return a
    want = {"gray": 1, "rgb": 3, "rgba": 4}[mode]
    if c == want:
        return a
    if want == 1:
        return _gray(a[..., :3])[..., None]
    rgb = np.repeat(a, 3, axis=2) if c == 1 else a[..., :3]
    if want == 3:
        return rgb
    return np.concatenate([rgb, np.full(a.shape[:2] + (1,), 255, np.uint8)], axis=2)


def _pil_decode(info, mode, scale):
    Image = _pil()
    import io as _io

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        im = Image.open(_io.BytesIO(info.data))
        if scale > 1:
            sw, sh = (info.height, info.width) if info.orientation >= 5 else (info.width, info.height)
            im.draft(im.mode, (-(-sw // scale), -(-sh // scale)))
        im.load()
    m = im.mode
    if m in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        a = _to_8bit(np.asarray(im))[..., None]
    elif mode == "keep":
        if m not in ("L", "RGB", "RGBA"):
            alpha = "A" in im.getbands() or "transparency" in im.info
            im = im.convert("RGBA" if alpha else "RGB")
        a = np.asarray(im)
    else:
        want = {"gray": "L", "rgb": "RGB", "rgba": "RGBA"}[mode]
        if m != want:
            im = im.convert(want)
        a = np.asarray(im)
    if a.ndim == 2:
        a = a[..., None]
    return a


def _sj_decode(info, scale):
    sj = _simplejpeg()
    space = "GRAY" if info.mode == "L" else "RGB"
    if scale == 1:
        a = sj.decode_jpeg(info.data, space, strict=True)
    else:
        sw, sh = (info.height, info.width) if info.orientation >= 5 else (info.width, info.height)
        a = sj.decode_jpeg(info.data, space, min_width=-(-sw // scale), min_height=-(-sh // scale),
                           min_factor=scale, strict=True)
    return a if a.ndim == 3 else a[..., None]


def decode(info: ImageInfo, mode="rgb", scale=1) -> np.ndarray:
    """Decode a probed image at 1/``scale`` (one of ``info.scales``) into a
    C-contiguous (H, W, C) uint8 array in ``mode``, oriented."""
    _check_mode(mode)
    V.decode_scale(scale, info.scales, info.name)
    try:
        a = _finish_mode(_sj_decode(info, scale) if info.libjpeg else _pil_decode(info, mode, scale), mode)
    except (DecodeError, MemoryError):
        raise
    except Exception as exc:
        raise DecodeError(info.name, f"cannot decode ({type(exc).__name__}: {exc})") from None
    if info.orientation != 1:
        a = _ORIENT[info.orientation](a)
    want = reduced_size(info, scale)
    if (a.shape[1], a.shape[0]) != want:
        raise DecodeError(info.name, f"decoded to {a.shape[1]}x{a.shape[0]}, the header says {want[0]}x{want[1]}")
    return np.ascontiguousarray(a)


def choose_scale(info: ImageInfo, region, size, reducing_gap: Optional[float] = 2.0) -> int:
    """The largest of ``info.scales`` that keeps at least ``reducing_gap``
    times ``size`` = (width, height) over ``region`` = (width, height) of
    source pixels; 1 with ``reducing_gap`` None."""
    if reducing_gap is None:
        return 1
    ratio = min(region[0] / size[0], region[1] / size[1]) / reducing_gap
    best = 1
    for s in info.scales:
        if s <= ratio:
            best = s
    return best


def read_image(source: Source, mode: str = "rgb", *, scale: int = 1) -> np.ndarray:
    """One image file (a path or bytes) as an (H, W, C) uint8 array (C = 3
    for "rgb", 1 "gray", 4 "rgba"), at 1/``scale`` for JPEG (1, 2, 4, 8).

    Examples
    --------
    >>> import io, PIL.Image, trainingsample.io as tio
    >>> buf = io.BytesIO(); PIL.Image.new("RGB", (64, 48), (200, 100, 50)).save(buf, "JPEG")
    >>> info = tio.probe(buf.getvalue())
    >>> info.width, info.height, info.format, info.scales
    (64, 48, 'JPEG', (1, 2, 4, 8))
    >>> tio.read_image(buf.getvalue()).shape, tio.read_image(buf.getvalue(), "gray", scale=4).shape
    ((48, 64, 3), (12, 16, 1))
    >>> tio.read_image(b"not an image")
    Traceback (most recent call last):
    trainingsample.io.DecodeError: <12 bytes>: not a readable image (no format Pillow knows)
    """
    return decode(probe(source), _check_mode(mode), scale)


def _attempt(keep_going, fn, *args):
    """``fn(*args)``; with ``keep_going``, the DecodeError it raises is
    returned instead (read_images, Pipeline.prepare's errors="skip")."""
    try:
        return fn(*args)
    except DecodeError as exc:
        if not keep_going:
            raise
        return exc


def read_images(sources, mode: str = "rgb", *, threads: Optional[int] = None, errors: str = "raise"):
    """Many files, decoded in threads (the GIL is released while decoding).
    ``errors``: "raise" (the first DecodeError, in order) or "return" (the
    DecodeError in that file's place)."""
    from concurrent.futures import ThreadPoolExecutor

    from ._engine import get_num_threads

    _check_mode(mode)
    V.errors_option(errors)
    sources = list(sources)

    def one(s):
        return _attempt(errors != "raise", read_image, s, mode)

    n = threads or get_num_threads()
    if n <= 1 or len(sources) <= 1:
        return [one(s) for s in sources]
    with ThreadPoolExecutor(min(n, len(sources))) as ex:
        return list(ex.map(one, sources))


__all__ = ["DecodeError", "ImageInfo", "MAX_IMAGE_PIXELS", "MODES", "is_source", "probe", "decode", "read_image",
           "read_images", "choose_scale", "reduced_size"]
