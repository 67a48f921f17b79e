"""Metabolic Attention Studio core: no Qt here, ever (checked by import-linter)."""

__version__ = "0.1.0"
