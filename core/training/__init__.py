"""Training the attention model: media sampled from the model itself, a dataset of FBA/pFBA answers, a
multi-task predictor (growth, grows or not, fluxes) on the attention encoder, held-out evaluation beside
baselines, faithfulness checks, and weights files with a card. No Qt.
"""

# The wiring of the shipped weights, which the window's Train action uses: its read-out is faithful and two training
# seeds agree on its glucose -> acetate shifts (model.py, resources/weights/README.md, where the variants tried
# — weight decay 1e-3, --medium-values — are measured). Here, not in train.py, so that the window can read it
# without importing torch.
RECOMMENDED_WIRING = {"guided": True}
