"""The PyTorch DataLoader recipe: forked workers, whole batches, no oversubscription."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # integrations: forked DataLoader workers

import trainingsample as ts  # noqa: E402
from trainingsample.integrations.torch import PipelineDataset, data_loader, sample_seed, worker_init_fn  # noqa: E402
from helpers import noise  # noqa: E402

PIPE = ts.Pipeline([ts.RandomResizedCrop(32), ts.HorizontalFlip(), ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])


class ThreadsDataset(PipelineDataset):
    """Also reports the worker's thread count, to check the split."""

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return x, y, torch.tensor(ts.get_num_threads())


@pytest.fixture
def data(rng):
    images = [noise(rng, (40 + i % 7, 50 + i % 5, 3)) for i in range(24)]
    return images, list(range(24))


def test_dataloader_two_forked_workers_matches_in_process(data):
    images, labels = data
    ds = ThreadsDataset(images, PIPE, labels=labels, seed=7)
    loader = data_loader(ds, batch_size=5, num_workers=2, multiprocessing_context="fork")
    seen = []
    for x, y, threads in loader:
        assert x.dtype == torch.float32 and x.shape[1:] == (3, 32, 32) and x.shape[0] == len(y)
        # the same samples computed here, in the parent, one by one
        for k, i in enumerate(y.tolist()):
            np.testing.assert_array_equal(x[k].numpy(), ds[i][0].numpy())
        # workers x threads <= CPUs
        assert int(threads) == max(1, ts.available_cpus() // 2)
        seen += y.tolist()
    assert seen == list(range(24))


def test_shuffled_epochs(data):
    images, labels = data
    ds = PipelineDataset(images, PIPE, labels=labels, seed=1)
    g = torch.Generator().manual_seed(0)
    e0 = {int(i): x for xb, yb in data_loader(ds, 8, shuffle=True, generator=g) for x, i in zip(xb, yb)}
    assert sorted(e0) == list(range(24))
    ds.set_epoch(1)
    e1 = {int(i): x for xb, yb in data_loader(ds, 8, shuffle=True, generator=g) for x, i in zip(xb, yb)}
    assert any(not torch.equal(e0[i], e1[i]) for i in range(24))  # new augmentations
    ds.set_epoch(0)
    again = {int(i): x for xb, yb in data_loader(ds, 6) for x, i in zip(xb, yb)}
    assert all(torch.equal(e0[i], again[i]) for i in range(24))  # batching does not matter


def test_batch_equals_single_samples_and_zero_copy(data):
    images, _ = data
    ds = PipelineDataset(images, PIPE, seed=3)
    batch = ds[[5, 2, 9]]
    for k, i in enumerate([5, 2, 9]):
        assert torch.equal(batch[k], ds[i])
    out = PIPE([images[0]], seed=[sample_seed(3, 0, 0)])[0]
    np.testing.assert_array_equal(ds[0].numpy(), out)
    t = ds[0]
    assert t.is_contiguous()


def test_loader_paths_and_variable_sizes(tmp_path, rng):
    paths = []
    for i in range(3):
        p = tmp_path / f"{i}.npy"
        np.save(p, noise(rng, (20 + i, 30, 3)))
        paths.append(p)
    ds = PipelineDataset(paths, ts.Pipeline([ts.Resize(10, "shorter")]), loader=np.load)
    xs = ds[[0, 2]]
    assert isinstance(xs, list) and xs[0].shape == (10, 15, 3) and xs[1].shape == (10, 13, 3)


def test_worker_init_outside_a_worker_uses_all_cpus(threads):
    worker_init_fn(0)
    assert ts.get_num_threads() == ts.available_cpus()


def test_errors(data):
    images, labels = data
    with pytest.raises(TypeError, match="pipeline must be a trainingsample Pipeline, got list"):
        PipelineDataset(images, [ts.Resize(3)])
    with pytest.raises(ValueError, match="labels has 3 entries but there are 24 images"):
        PipelineDataset(images, PIPE, labels=[1, 2, 3])
    ds = PipelineDataset(images, PIPE)
    with pytest.raises(IndexError, match=r"index 24 \(position 1\) is out of range for 24 samples"):
        ds[[0, 24]]


@pytest.fixture
def folder(tmp_path, rng):
    """An ImageFolder tree: two classes, JPEG and PNG files, one broken."""
    from PIL import Image

    from helpers import photos

    ph = photos()
    (tmp_path / "cat" / "deep").mkdir(parents=True)
    (tmp_path / "dog").mkdir()
    big = Image.fromarray(ph["chelsea"]).resize((1200, 800), Image.LANCZOS)
    big.save(tmp_path / "cat" / "a.jpg", quality=90)
    Image.fromarray(ph["coffee"]).save(tmp_path / "cat" / "deep" / "b.png")
    Image.fromarray(ph["astronaut"]).save(tmp_path / "dog" / "c.jpg", quality=90)
    Image.fromarray(noise(rng, (60, 80, 3))).save(tmp_path / "dog" / "d.jpg", quality=90)
    (tmp_path / "dog" / "notes.txt").write_text("skip me")
    return tmp_path


def test_image_folder_is_torchvisions_layout_and_decodes_in_the_worker(folder):
    from trainingsample.io import read_image
    from trainingsample.integrations.torch import image_folder

    pipe = ts.Pipeline([ts.RandomResizedCrop(64), ts.HorizontalFlip()])
    ds = image_folder(folder, pipe, seed=2, reducing_gap=None)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [(p[len(str(folder)) + 1:], y) for p, y in ds.samples] == [
        ("cat/a.jpg", 0), ("cat/deep/b.png", 0), ("dog/c.jpg", 1), ("dog/d.jpg", 1)]
    x, y = ds[[0, 1, 2, 3]]
    assert x.dtype == torch.uint8 and x.shape == (4, 64, 64, 3) and y.tolist() == [0, 0, 1, 1]
    arrays = PipelineDataset([read_image(p) for p, _ in ds.samples], pipe, seed=2)
    np.testing.assert_array_equal(x.numpy(), arrays[[0, 1, 2, 3]].numpy())  # files == decoded arrays
    reduced = image_folder(folder, pipe, seed=2)[[0, 1, 2, 3]][0]
    assert reduced.shape == x.shape
    assert np.abs(reduced.numpy().astype(float) - x.numpy()).mean() <= 1.0
    loader = data_loader(ds, batch_size=2, num_workers=2, multiprocessing_context="fork")
    got = torch.cat([xb for xb, _ in loader])
    np.testing.assert_array_equal(got.numpy(), x.numpy())
    with pytest.raises(ValueError, match="no class folders"):
        image_folder(folder / "dog", pipe)
    (folder / "empty" / "x").mkdir(parents=True)
    with pytest.raises(ValueError, match="no image files"):
        image_folder(folder / "empty", pipe)


def test_bad_files_raise_naming_them_or_are_skipped(folder):
    from trainingsample.io import DecodeError
    from trainingsample.integrations.torch import image_folder

    (folder / "dog" / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    pipe = ts.Pipeline([ts.Resize(32, "fill")])
    ds = image_folder(folder, pipe)
    with pytest.raises(DecodeError, match="broken.jpg"):
        ds[list(range(len(ds)))]
    skip = image_folder(folder, pipe, on_error="skip")
    x, y = skip[list(range(len(skip)))]
    assert x.shape == (4, 32, 32, 3) and y.tolist() == [0, 0, 1, 1]
    with pytest.raises(DecodeError, match="broken.jpg"):
        skip[2]  # a single sample has nothing to go on with
    assert skip[[2]][0].shape == (0,)
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'skip'"):
        PipelineDataset([], pipe, on_error="ignore")


def test_uint8_batches_normalised_on_the_device_equal_the_normalize_step(data):
    from trainingsample.integrations.torch import normalize_on_device

    images, labels = data
    geo = [ts.RandomResizedCrop(32), ts.HorizontalFlip()]
    u8 = PipelineDataset(images, ts.Pipeline(geo), labels=labels, seed=4)
    f32 = PipelineDataset(images, ts.Pipeline(geo + [ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)]), seed=4)
    xb, _ = u8[list(range(8))]
    assert xb.dtype == torch.uint8 and xb.shape == (8, 32, 32, 3)
    got = normalize_on_device(xb, ts.IMAGENET_MEAN, ts.IMAGENET_STD)
    assert got.shape == (8, 3, 32, 32) and got.dtype == torch.float32
    torch.testing.assert_close(got, f32[list(range(8))], rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="mean has 2 values but the batch has 3 channels"):
        normalize_on_device(xb, (0.5, 0.5), 0.5)
    with pytest.raises(TypeError, match=r"batch must be an \(N, H, W, C\) tensor"):
        normalize_on_device(xb[0], 0.5, 0.5)


def test_skipping_bad_files_decodes_each_good_file_once(folder, monkeypatch):
    """on_error="skip" leaves out a file whose header reads but whose data
    is cut (it fails while decoding, after the others were decoded) without
    decoding the batch again; Pipeline.prepare(errors="skip") says which
    files it kept and why the others failed."""
    from trainingsample import io as tio
    from trainingsample.integrations.torch import image_folder

    data = (folder / "cat" / "a.jpg").read_bytes()
    (folder / "dog" / "cut.jpg").write_bytes(data[: len(data) // 3])
    (folder / "dog" / "zero.jpg").write_bytes(b"")
    pipe = ts.Pipeline([ts.Resize(32, "fill")])
    decoded = []
    real = tio.decode
    monkeypatch.setattr(tio, "decode", lambda info, *a, **k: decoded.append(info.name) or real(info, *a, **k))
    ds = image_folder(folder, pipe, on_error="skip")
    names = [p.rsplit("/", 1)[1] for p, _ in ds.samples]
    assert names == ["a.jpg", "b.png", "c.jpg", "cut.jpg", "d.jpg", "zero.jpg"]
    x, y = ds[list(range(len(ds)))]
    assert x.shape == (4, 32, 32, 3) and y.tolist() == [0, 0, 1, 1]
    assert sorted(n.rsplit("/", 1)[1] for n in decoded) == ["a.jpg", "b.png", "c.jpg", "cut.jpg", "d.jpg"]
    want = ts.Pipeline([ts.Resize(32, "fill")])([p for p, _ in ds.samples if "cut" not in p and "zero" not in p])
    np.testing.assert_array_equal(x.numpy(), np.stack(want))
    prepared = pipe.prepare([p for p, _ in ds.samples], errors="skip")
    assert prepared.kept == [0, 1, 2, 4]
    assert [(i, "cut.jpg" in str(e), "zero.jpg" in str(e)) for i, e in prepared.failed] == [(3, True, False), (5, False, True)]
    assert all(isinstance(e, tio.DecodeError) for _, e in prepared.failed)
    assert pipe.run(pipe.prepare([folder / "dog" / "zero.jpg"], errors="skip")) == []
    with pytest.raises(tio.DecodeError, match="zero.jpg"):  # headers are read first
        pipe.prepare([p for p, _ in ds.samples])
    with pytest.raises(tio.DecodeError, match="cut.jpg"):
        pipe.prepare([p for p, _ in ds.samples if "zero" not in p])
    with pytest.raises(ValueError, match="errors must be one of"):
        pipe.prepare([p for p, _ in ds.samples], errors="ignore")


def test_file_batches_are_written_in_place_into_shared_memory_in_a_worker(folder, monkeypatch):
    """A batch of files goes straight into one tensor; in a worker that
    tensor's storage is shared memory (as default_collate makes it), so
    neither a stacking copy nor the send to the main process copies it."""
    import torch.utils.data as tud

    from trainingsample.integrations import torch as T
    from trainingsample.integrations.torch import image_folder

    pipe = ts.Pipeline([ts.RandomResizedCrop(48), ts.HorizontalFlip(), ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
    ds = image_folder(folder, pipe, seed=5)
    here, _ = ds[[0, 1, 2, 3]]
    assert not here.is_shared()
    monkeypatch.setattr(tud, "get_worker_info", lambda: object())  # as in a DataLoader worker
    made = []
    real = T._batch_tensor
    monkeypatch.setattr(T, "_batch_tensor", lambda *a: made.append(real(*a)) or made[-1])
    x, y = ds[[0, 1, 2, 3]]
    assert x is made[0]  # the pipeline's output buffer itself, not a copy of it
    assert x.is_shared() and x.is_contiguous() and x.dtype == torch.float32 and x.shape == (4, 3, 48, 48)
    assert y.tolist() == [0, 0, 1, 1]
    torch.testing.assert_close(x, here, rtol=0, atol=0)
    single = [ds[i][0] for i in range(4)]
    torch.testing.assert_close(x, torch.stack(single), rtol=0, atol=0)
