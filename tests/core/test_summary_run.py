"""summary.md says what was run (issue 13): each medium's components and uptakes, carbon normalisation,
solver, objective; no spin on p-values and weak correlations."""

from __future__ import annotations

import json

import pytest

from core.pipeline import RunSettings, run_pipeline
from core.report import build_report
from core.summary import summary_markdown


@pytest.fixture(scope="module")
def run():
    return run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate"), weights="none"))


def test_summary_lists_each_medium_with_its_real_uptakes(run):
    text = summary_markdown(run)
    section = text[text.index("## What was run"):text.index("## How far")]
    assert "- **Objective:** Biomass\\_Ecoli\\_core" in section or "- **Objective:** Biomass_Ecoli_core" in section
    assert "solver glpk" in section and "parsimonious FBA" in section
    assert "**Carbon normalisation:** off" in section
    glucose = next(line for line in section.splitlines() if line.startswith("| glucose |"))
    assert "D-glucose (EX\\_glc\\_\\_D\\_e) 10" in glucose or "D-glucose (EX_glc__D_e) 10" in glucose
    assert "ammonium" in glucose and "phosphate" in glucose  # in excess, named
    assert "1000" not in glucose.split("|")[3]  # limiting bounds: glucose 10, not salts at 1000
    assert "sulfate" in glucose.split("|")[6]  # M9 compounds e_coli_core has no exchange for


def test_carbon_normalisation_is_said_when_on():
    result = run_pipeline(RunSettings(model="textbook", conditions=("acetate",), carbon_normalised=True,
                                      weights="none"), with_analysis=False)
    text = summary_markdown(result)
    assert "**Carbon normalisation:** on" in text
    assert "acetate (EX\\_ac\\_e) 30" in text or "acetate (EX_ac_e) 30" in text  # 2 carbons: 30 mmol = 60 mmol C


def test_report_json_says_what_was_run(run):
    report = json.loads(json.dumps(build_report(run)))
    assert report["run"] == {"structure_only": False, "objective": "Biomass_Ecoli_core", "method": "pfba",
                             "solver": "glpk", "carbon_normalised": False, "growth_ceiling": 2.0}
    glucose = report["conditions"][0]["condition"]
    assert {"compound": "D-glucose", "exchange": "EX_glc__D_e", "uptake": 10.0} in glucose["components"]
    assert glucose["medium_name"] == "M9" and "sulfate" in glucose["unmapped"]


def test_no_spin(run):
    text = summary_markdown(run)
    assert "sees more than these simple measures" not in text
    assert "e-" not in "".join(line for line in text.splitlines() if "p = " in line)  # tiny p-values: p < 0.001
