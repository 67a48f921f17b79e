"""What *Find node* searches: per node, the lower-case terms a query matches (name, id, id without its
compartment, annotation synonyms from the cobra model). Built once per result, off the window's thread
(:func:`core.views.panes.pane_views`): for iJO1366 it is a loop over 4,335 nodes and their annotations.
"""

from __future__ import annotations

# Annotation keys whose values are useful synonyms (ids a biologist may type, and readable names).
SYNONYM_KEYS = ("bigg.metabolite", "bigg.reaction", "kegg.compound", "kegg.reaction", "biocyc", "metanetx.chemical",
                "ec-code", "seed.compound", "chebi")


def base_id(node_id: str) -> str:
    """A metabolite id without its compartment suffix ("glc__D_e" -> "glc__D")."""
    head, sep, tail = node_id.rpartition("_")
    return head if sep and 0 < len(tail) <= 2 else node_id


def synonyms(model, node_id: str) -> tuple[str, ...]:
    """Annotation ids and names of ``node_id`` in the cobra ``model`` (empty without a model)."""
    if model is None:
        return ()
    for collection in (model.metabolites, model.reactions):
        if node_id in collection:
            annotation = collection.get_by_id(node_id).annotation or {}
            out = []
            for key in SYNONYM_KEYS:
                value = annotation.get(key)
                out += [value] if isinstance(value, str) else list(value or ())
            return tuple(str(v) for v in out)
    return ()


def search_terms(graph, model=None) -> list[tuple[str, ...]]:
    """Per node, the lower-case terms a search matches: name, id, id without compartment, synonyms."""
    return [tuple(dict.fromkeys(t.lower() for t in (name, nid, base_id(nid), *synonyms(model, nid)) if t))
            for nid, name in zip(graph.node_ids, graph.node_names)]
