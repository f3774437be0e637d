"""Ray Data: map_batches with a Pipeline, and preprocess --engine ray, on a local Ray instance."""
import json

import numpy as np
import pytest

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # integrations: a Ray instance per module

import trainingsample as ts  # noqa: E402
from trainingsample.cli import preprocess as P  # noqa: E402
from trainingsample.integrations.ray import _key_seed, map_batches, pipeline_fn  # noqa: E402
from helpers import noise  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


def test_map_batches_matches_local_pipeline(local_ray, rng):
    images = [noise(rng, (30 + i, 40, 3)) for i in range(12)]
    pipe = ts.Pipeline([ts.RandomResizedCrop(16), ts.HorizontalFlip(), ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
    ds = ray.data.from_items([{"image": im, "id": i} for i, im in enumerate(images)], override_num_blocks=3)
    rows = map_batches(ds, pipe, seed=5, seed_column="id", batch_size=4).take_all()
    assert len(rows) == 12
    got = {int(r["id"]): r["image"] for r in rows}
    want = pipe(images, seed=[_key_seed(5, i) for i in range(12)])
    for i in range(12):
        assert got[i].shape == (3, 16, 16) and got[i].dtype == np.float32
        np.testing.assert_array_equal(got[i], want[i])


def test_pipeline_fn_variable_sizes_and_errors(rng):
    fn = pipeline_fn(ts.Pipeline([ts.Resize(8, "shorter")]), out_column="small")
    col = np.empty(2, dtype=object)
    col[0], col[1] = noise(rng, (16, 24, 3)), noise(rng, (24, 16, 3))
    out = fn({"image": col})
    assert out["small"].dtype == object and out["small"][0].shape == (8, 12, 3) and out["small"][1].shape == (12, 8, 3)
    assert out["image"] is col
    with pytest.raises(ValueError, match="the batch has no column 'image'; columns are \\['img'\\]"):
        fn({"img": col})
    with pytest.raises(TypeError, match="pipeline must be a trainingsample Pipeline"):
        pipeline_fn("resize")
    with pytest.raises(ValueError, match="threads_per_task must be a positive int"):
        map_batches(None, ts.Pipeline([]), threads_per_task=0)


def test_preprocess_engine_ray_equals_local(local_ray, tmp_path, rng):
    from PIL import Image

    src = tmp_path / "src"
    src.mkdir()
    for i in range(7):
        Image.fromarray(noise(rng, (40 + 3 * i, 50, 3))).save(src / f"{i}.png")
    (src / "bad.png").write_bytes(b"nope")
    common = ["--size", "16", "--crop", "random", "--flip", "0.5", "--format", "png", "--batch", "3", "--quiet"]
    assert P.main([str(src), str(tmp_path / "local")] + common) == 1
    assert P.main([str(src), str(tmp_path / "ray"), "--engine", "ray"] + common) == 1
    read = lambda d: {r["source"]: r for r in map(json.loads, (d / "manifest.jsonl").read_text().splitlines())}
    local, viaray = read(tmp_path / "local"), read(tmp_path / "ray")
    assert local == viaray and "error" in viaray["bad.png"]
    for i in range(7):
        a = np.asarray(Image.open(tmp_path / "local" / f"{i}.png"))
        b = np.asarray(Image.open(tmp_path / "ray" / f"{i}.png"))
        np.testing.assert_array_equal(a, b)
