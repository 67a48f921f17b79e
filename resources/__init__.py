"""Bundled data (presets, currency metabolites, icons), read with importlib.resources."""
