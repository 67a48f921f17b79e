"""Former home of :mod:`core.views` (positions and their cache, attention slices, heatmap windows,
drawing helpers). Only re-exports, so that imports written against it keep working; new code
imports from :mod:`core.views`."""

from core.views import *  # noqa: F401,F403
from core.views import __all__  # noqa: F401
