"""What a Pillow user writes: draft, fit, save, in threads.
python pillow_fit.py SRC DST SIZE THREADS"""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from PIL import Image, ImageOps

src, dst, size, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(dst, exist_ok=True)


def one(name):
    with Image.open(os.path.join(src, name)) as im:
        im.draft("RGB", (2 * size, 2 * size))
        im = ImageOps.exif_transpose(im).convert("RGB")
        out = ImageOps.fit(im, (size, size), Image.BILINEAR)
        out.save(os.path.join(dst, os.path.splitext(name)[0] + ".jpg"), quality=90)


names = sorted(n for n in os.listdir(src) if n.lower().endswith((".jpg", ".jpeg")))
with ThreadPoolExecutor(threads) as ex:
    list(ex.map(one, names))
