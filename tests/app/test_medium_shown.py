"""The window shows what a condition's medium is (issue 13): the uptake bounds that limit growth
(glucose 10), not the salts' open bounds of 1000; the details pane says what was run."""

from __future__ import annotations


def test_setup_pane_shows_the_limiting_uptake_not_the_open_salts(qtbot):
    from app.panes.setup import SetupPane
    from core.models import load_model

    pane = SetupPane()
    qtbot.addWidget(pane)
    pane.set_model(load_model("textbook"))
    pane.condition_list.setCurrentItem(pane._item("glucose"))
    text = pane.selected_label.text()
    assert "uptake bounds (mmol/gDW/h): D-glucose (EX_glc__D_e) 10" in text
    assert "not carbon-normalised" in text
    assert "in excess (1000): water, H+, ammonium" in text
    assert "not in the model: sulfate" in text
    assert "largest uptakes" not in text


def test_details_pane_says_what_was_run(qtbot, textbook_result):
    from app.panes.details import DetailsPane

    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.set_result(textbook_result)
    pane.show_node(None)
    text = pane.text()
    assert "What was run: objective Biomass_Ecoli_core, PFBA, solver glpk, carbon normalisation off" in text
    assert "glucose: growth 0.874 1/h; D-glucose (EX_glc__D_e) 10" in text
    assert "acetate: growth 0.173 1/h; acetate (EX_ac_e) 10" in text
    assert "ceiling" not in text  # plausible growth: no warning


def test_details_pane_shows_the_growth_warning(qtbot, tmp_path):
    from app.panes.details import DetailsPane
    from core.pipeline import RunSettings, run_pipeline
    from tests.core.other_models import write_models

    path = write_models(tmp_path)["seed_style"]
    medium = tmp_path / "leaky.json"
    medium.write_text('{"conditions": [{"name": "leaky", "uptake": {"cpd00027_e0": 30, "cpd00012_e0": 1000}}]}')
    result = run_pipeline(RunSettings(model=str(path), conditions=(str(medium),), weights="none"), with_analysis=False)
    assert "above the plausible ceiling" in result.notes[0]  # first, so the status bar shows it
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.set_result(result)
    assert "above the plausible ceiling of 2 1/h" in pane.text() and "Exchange_cpd00012_e0" in pane.text()
