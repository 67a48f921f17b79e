"""Training the attention model: media sampled from the model itself, a dataset of FBA/pFBA answers, a
multi-task predictor (growth, grows or not, fluxes) on the attention encoder, held-out evaluation beside
baselines, faithfulness checks, and weights files with a card. No Qt.
"""

LEARNED_BOUND = 2.0  # guided read-out: the learned part of a node's score stays within ±2 (a factor of 7.4)

# The wiring of the shipped textbook weights, which the window's Train action uses: a guided read-out whose learned
# part stays within ±0.5, open exchanges' medium tokens reaching the heads only through it, weight decay 1e-3. On
# textbook it is faithful, two training seeds agree on its shifts (r 0.97) and it predicts growth better than an MLP
# on the medium (model.py, resources/weights/README.md). Here, not in train.py, so that the window can read it
# without importing torch.
RECOMMENDED_WIRING = {"guided": True, "medium_values": True, "weight_decay": 1e-3, "learned_bound": 0.5}
