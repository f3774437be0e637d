"""The decode floor: only decode every file, at the scale Pillow's
draft("RGB", (2 * SIZE, 2 * SIZE)) picks, with libjpeg-turbo (simplejpeg),
in threads.  python decode_only.py SRC SIZE THREADS"""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import simplejpeg

src, size, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def one(name):
    with open(os.path.join(src, name), "rb") as fh:
        data = fh.read()
    h, w, _, _ = simplejpeg.decode_jpeg_header(data)
    scale = min(w // (2 * size), h // (2 * size))  # Pillow's draft rule
    scale = max(s for s in (1, 2, 4, 8) if s <= max(scale, 1))
    simplejpeg.decode_jpeg(data, "RGB", min_width=-(-w // scale), min_height=-(-h // scale), min_factor=scale)


names = sorted(n for n in os.listdir(src) if n.lower().endswith((".jpg", ".jpeg")))
with ThreadPoolExecutor(threads) as ex:
    list(ex.map(one, names))
