"""Dockable panes, one per module; each is given plain result objects and never recomputes them."""
