"""Batch runs: many models x many media, on one machine or a Dask cluster.

``work`` is the engine-agnostic unit of work (a model and a chunk of media -> a :class:`MediaTable`), used
directly by the training data builder and by the Dask engine. No Qt here.

``spec`` reads SPEC files and plans chunks; ``store`` is the results folder (Parquet chunks, manifest);
``engine`` runs on Dask (:func:`core.batch.engine.run_batch` into a folder, :func:`core.batch.engine.solve_chunks`
in memory); ``command`` is ``metattn batch``. Those import dask/pandas when used, not here.
"""

from core.batch.work import MediaTable, WorkOptions, run_chunk, simulate_media

__all__ = ["MediaTable", "WorkOptions", "run_chunk", "simulate_media"]
