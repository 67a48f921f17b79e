# Usage: python benchmarks/rebase_training_data.py OLD.npz MODEL NEW.npz  (used once for the shipped iJO1366 weights)
"""Move a dataset sampled around the model's own medium (carbon closed) onto the M9 base the presets use,
without solving everything again: closing the uptake of an exchange that no solution takes up leaves FBA growth
and the pFBA optimum unchanged, so only the media whose solution took CO2 up are solved again (any other
exchange that was taken up somewhere is refused)."""
import sys, numpy as np
from dataclasses import replace
sys.path.insert(0, "/work/main")
from core.models import load_model
from core.training.dataset import load_dataset, save_dataset
from core.training.media import sampling_base, MediaRecipe, MediumSources
from core.conditions import Condition

def main():
    src, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
    data = load_dataset(src)
    model = load_model(name).model
    recipe = replace(data.recipe, base="M9")
    m9 = sampling_base(model, recipe)
    old = data.sources.base
    extra = sorted(set(r for r, b in old.items() if b[0] < 0) - set(r for r, b in m9.items() if b[0] < 0))
    missing = sorted(set(r for r, b in m9.items() if b[0] < 0) - set(r for r, b in old.items() if b[0] < 0))
    print("old base opens, M9 does not:", extra, "M9 opens, old does not:", missing)
    assert not missing, "M9 opens exchanges the old base did not: labels would change"
    col = {r: j for j, r in enumerate(data.flux_ids)}
    for r in extra:
        f = data.fluxes[:, col[r]]
        print(r, "min flux", float(f.min()), "media with uptake", int((f < -1e-9).sum()))
        if r != "EX_co2_e":
            assert (f >= -1e-9).all(), f"{r} is taken up in some media: closing it would change them"
    for r in set(old) & set(m9):
        assert old[r] == m9[r], (r, old[r], m9[r])
    media = []
    for m in data.media:
        b = {k: v for k, v in m.bounds.items() if k not in extra}
        media.append(Condition(name=m.name, bounds=b, description=m.description))
    # Media that took CO2 up are solved again without it (everything else is unchanged by closing it).
    redo = np.flatnonzero((data.fluxes[:, [col[r] for r in extra]] < -1e-9).any(1))
    print("re-solving", len(redo), "media")
    growth, grows, fluxes, status = data.growth.copy(), data.grows.copy(), data.fluxes.copy(), list(data.status)
    if len(redo):
        from core.batch.work import WorkOptions
        from core.batch.engine import solve_chunks
        todo = [media[i] for i in redo]
        chunks = [todo[i:i + 100] for i in range(0, len(todo), 100)]
        tables = solve_chunks(name, chunks, WorkOptions(pfba=data.method == "pfba", flux_ids=None, time_limit=2.0), workers=2)
        g = np.concatenate([t.growth for t in tables]); gr = np.concatenate([t.grows for t in tables])
        fx = np.concatenate([t.fluxes for t in tables]); st = [s for t in tables for s in t.status]
        assert tables[0].flux_ids == data.flux_ids
        print("growth change on re-solved media: mean", float(np.mean(g - growth[redo])), "max |d|", float(np.max(np.abs(g - growth[redo]))))
        growth[redo], grows[redo], fluxes[redo] = g, gr, fx
        for j, i in enumerate(redo):
            status[i] = st[j]
    sources = MediumSources(base=m9, oxygen=data.sources.oxygen, sources=data.sources.sources, defaults=data.sources.defaults)
    new = replace(data, media=tuple(media), recipe=recipe, sources=sources, growth=growth, grows=grows, fluxes=fluxes,
                  status=tuple(status))
    save_dataset(new, out)
    print("wrote", out, "media", new.n_media)


if __name__ == '__main__':
    main()
