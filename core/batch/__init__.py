"""Batch runs: many models x many media, on one machine or a Dask cluster.

``work`` is the engine-agnostic unit of work (a model and a chunk of media -> a :class:`MediaTable`), used
directly by the training data builder and by the Dask engine. No Qt here.
"""

from core.batch.work import MediaTable, WorkOptions, run_chunk, simulate_media

__all__ = ["MediaTable", "WorkOptions", "run_chunk", "simulate_media"]
