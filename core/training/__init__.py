"""Training the attention model: media sampled from the model itself, a dataset of FBA/pFBA answers, a
multi-task predictor (growth, grows or not, fluxes) on the attention encoder, held-out evaluation beside
baselines, faithfulness checks, and weights files with a card. No Qt.
"""

# The wiring of the shipped textbook weights, which the window's Train action uses: its read-out is faithful and,
# on textbook, it predicts growth better than an MLP on the medium (model.py, resources/weights/README.md).
# Here, not in train.py, so that the window can read it without importing torch.
RECOMMENDED_WIRING = {"guided": True, "medium_values": True, "weight_decay": 1e-3}
