"""Integrations with training frameworks, each importing its framework only
when imported itself: ``trainingsample.integrations.torch`` (PyTorch
datasets, loaders, seeding) and ``trainingsample.integrations.ray`` (Ray
Data ``map_batches``)."""
