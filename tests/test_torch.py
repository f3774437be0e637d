"""The PyTorch DataLoader recipe: forked workers, whole batches, no oversubscription."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import trainingsample as ts  # noqa: E402
from trainingsample.torch_data import PipelineDataset, data_loader, sample_seed, worker_init_fn  # noqa: E402
from conftest import noise  # noqa: E402

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
