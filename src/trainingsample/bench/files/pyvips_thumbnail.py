"""What a pyvips user writes: thumbnail (shrink-on-load), centre crop, save.
python pyvips_thumbnail.py SRC DST SIZE THREADS"""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pyvips

src, dst, size, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(dst, exist_ok=True)


def one(name):
    im = pyvips.Image.thumbnail(os.path.join(src, name), size, height=size, crop="centre")
    im.write_to_file(os.path.join(dst, os.path.splitext(name)[0] + ".jpg"), Q=90)


names = sorted(n for n in os.listdir(src) if n.lower().endswith((".jpg", ".jpeg")))
with ThreadPoolExecutor(threads) as ex:
    list(ex.map(one, names))
