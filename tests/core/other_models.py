"""Small models that do not follow BiGG conventions, built from COBRApy objects and written as SBML
(issue 13): one with ModelSEED ids (``cpd00027_e0``, ``rxn...``) and exchanges without the "EX_"
prefix, one with opaque ids (``M003_ext``, ``R_0007``) where only formulas and names say what a
metabolite is. Both carry the traps of automatically built models: a pyrophosphate uptake left open
at 1000 in the model's own bounds, and (in the opaque one) several hexoses with glucose's formula.

The network, per glucose: 1 glucose + 6 O2 -> 6 CO2 + 30 ATP (respiration); pyrophosphate -> 2 Pi + 5 ATP
(an energy source only if its uptake is open); biomass = 5 glucose + 0.5 NH4 + 0.1 Pi + 0.05 SO4
+ 100 ATP. On 10 mmol/gDW/h glucose with oxygen growth is 10 / (5 + 100/30) = 1.2 1/h; with the
pyrophosphate left open it is far higher (the artefact presets must not show).
"""

from __future__ import annotations

from pathlib import Path

GLUCOSE_GROWTH = 10 / (5 + 100 / 30)  # 1/h on the glucose preset, oxygen in excess

# (key, name, formula, charge): the extracellular compounds of both models.
COMPOUNDS = [
    ("glc", "D-Glucose", "C6H12O6", 0), ("gal", "D-Galactose", "C6H12O6", 0), ("fru", "D-Fructose", "C6H12O6", 0),
    ("o2", "O2", "O2", 0), ("co2", "CO2", "CO2", 0), ("nh4", "Ammonium", "H4N", 1), ("pi", "Phosphate", "HO4P", -2),
    ("so4", "Sulfate", "O4S", -2), ("h2o", "H2O", "H2O", 0), ("h", "H+", "H", 1), ("ppi", "Diphosphate", "HO7P2", -3),
    ("ac", "Acetate", "C2H4O2", 0), ("k", "K+", "K", 1),
]
SEED = {"glc": "cpd00027", "gal": "cpd00108", "fru": "cpd00082", "o2": "cpd00007", "co2": "cpd00011",
        "nh4": "cpd00013", "pi": "cpd00009", "so4": "cpd00048", "h2o": "cpd00001", "h": "cpd00067",
        "ppi": "cpd00012", "ac": "cpd00029", "k": "cpd00205"}


def _build(model_id: str, met_id, exchange_id, rxn_id, ext: str, cyt: str):
    from cobra import Metabolite, Model, Reaction

    model = Model(model_id)
    ext_m, cyt_m = {}, {}
    for key, name, formula, charge in COMPOUNDS:
        ext_m[key] = Metabolite(met_id(key, ext), name=name, formula=formula, charge=charge, compartment=ext)
        cyt_m[key] = Metabolite(met_id(key, cyt), name=name, formula=formula, charge=charge, compartment=cyt)
    atp = Metabolite(met_id("atp", cyt), name="ATP", formula="C10H12N5O13P3", charge=-4, compartment=cyt)
    biomass = Metabolite(met_id("biomass", cyt), name="Biomass", compartment=cyt)
    rxns = []
    n = iter(range(1, 1000))
    for key in ext_m:  # transports, both ways
        r = Reaction(rxn_id(next(n)), name=f"{key} transport", lower_bound=-1000, upper_bound=1000)
        r.add_metabolites({ext_m[key]: -1, cyt_m[key]: 1})
        rxns.append(r)
    resp = Reaction(rxn_id(next(n)), name="respiration", upper_bound=1000)
    resp.add_metabolites({cyt_m["glc"]: -1, cyt_m["o2"]: -6, cyt_m["co2"]: 6, cyt_m["h2o"]: 6, atp: 30})
    ppase = Reaction(rxn_id(next(n)), name="pyrophosphatase (energy)", upper_bound=1000)
    ppase.add_metabolites({cyt_m["ppi"]: -1, cyt_m["h2o"]: -1, cyt_m["pi"]: 2, atp: 5})
    for sugar in ("gal", "fru"):  # other hexoses feed glycolysis too
        iso = Reaction(rxn_id(next(n)), name=f"{sugar} isomerase", upper_bound=1000)
        iso.add_metabolites({cyt_m[sugar]: -1, cyt_m["glc"]: 1})
        rxns.append(iso)
    acs = Reaction(rxn_id(next(n)), name="acetate to ATP", upper_bound=1000)
    acs.add_metabolites({cyt_m["ac"]: -1, cyt_m["o2"]: -2, cyt_m["co2"]: 2, atp: 8})
    grow = Reaction(rxn_id(next(n)), name="Biomass production", upper_bound=1000)
    grow.add_metabolites({cyt_m["glc"]: -5, cyt_m["nh4"]: -0.5, cyt_m["pi"]: -0.1, cyt_m["so4"]: -0.05, atp: -100,
                          biomass: 1})
    drain = Reaction(rxn_id(next(n)), name="biomass out", upper_bound=1000)
    drain.add_metabolites({biomass: -1})
    model.add_reactions(rxns + [resp, ppase, acs, grow, drain])
    own_medium = {"glc": 10, "o2": 1000, "nh4": 1000, "pi": 1000, "so4": 1000, "h2o": 1000, "h": 1000,
                  "ppi": 1000, "co2": 1000, "k": 1000}
    for key, met in ext_m.items():
        ex = Reaction(exchange_id(key, next(n)), name=f"{met.name} exchange",
                      lower_bound=-own_medium.get(key, 0), upper_bound=1000)
        ex.add_metabolites({met: -1})
        model.add_reactions([ex])
    model.objective = grow.id
    return model


def seed_style_model():
    """ModelSEED-style ids (cpd00027_e0, rxn00001_c0), exchanges named ``Exchange_cpd00027_e0``."""
    return _build("seed_style", lambda k, c: f"{SEED.get(k, 'cpd9' + str(abs(hash(k)) % 10000).zfill(4))}_{c}",
                  lambda k, i: f"Exchange_{SEED[k]}_e0", lambda i: f"rxn{i:05d}_c0", "e0", "c0")


def opaque_model():
    """Opaque ids (M_glc -> M003_ext, R_0007): only formulas and names say what a compound is."""
    keys = [k for k, *_ in COMPOUNDS] + ["atp", "biomass"]
    return _build("opaque", lambda k, c: f"M{keys.index(k):03d}_{c}", lambda k, i: f"R_{i:04d}",
                  lambda i: f"R_{i:04d}", "ext", "cyt")


def write_models(folder: Path) -> dict[str, Path]:
    """Both models as SBML files in ``folder``: name -> path."""
    from cobra.io import write_sbml_model

    out = {}
    for name, build in (("seed_style", seed_style_model), ("opaque", opaque_model)):
        path = folder / f"{name}.xml"
        write_sbml_model(build(), str(path))
        out[name] = path
    return out
