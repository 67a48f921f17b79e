"""Growth conditions and their flux balance analysis.

A :class:`Condition` is a medium (uptake bounds on exchange reactions) plus optional measurements.
:func:`solve_conditions` runs FBA (COBRApy, GLPK) for each one inside ``with model:`` so the model is
never left modified, and returns :class:`ConditionResult` objects.

Units: uptake and fluxes in mmol/gDW/h; growth rate in 1/h.
Sign convention: users give uptake as a positive amount ("10 mmol/gDW/h of glucose"); COBRA lower
bounds are negative for uptake. ``lower_bound`` columns in files use the COBRA convention.

The package: ``types`` (Condition, ConditionResult), ``presets`` (preset media, exchange names),
``files`` (CSV/JSON conditions files, CLI specs), ``fba`` (solving), ``composition`` (media as lists of
compounds mapped onto any model's exchanges), ``plausibility`` (growth above a ceiling). Import from here.
"""

from core.conditions.composition import MappedMedium, composed_medium, map_compounds
from core.conditions.fba import (apply_medium, solve_condition, solve_conditions, solver_name, structure_only_result,
                                 unsolvable_reason)
from core.conditions.files import check_conditions_spec, load_conditions_file, resolve_conditions, save_conditions_file
from core.conditions.presets import (DEFAULT_PRESETS, REFERENCE_CARBONS, base_medium, load_presets, preset_condition,
                                     preset_names, resolve_exchange, resolve_presets)
from core.conditions.plausibility import GROWTH_CEILING, growth_warning, medium_notes
from core.conditions.types import Condition, ConditionResult, growth_arrays

__all__ = [
    "GROWTH_CEILING", "MappedMedium", "apply_medium", "composed_medium", "growth_warning", "map_compounds",
    "check_conditions_spec", "medium_notes", "solver_name", "structure_only_result", "unsolvable_reason",
    "Condition", "ConditionResult", "DEFAULT_PRESETS", "REFERENCE_CARBONS", "base_medium", "growth_arrays",
    "load_conditions_file", "load_presets", "preset_condition", "preset_names", "resolve_conditions",
    "resolve_exchange", "resolve_presets", "save_conditions_file", "solve_condition", "solve_conditions",
]
