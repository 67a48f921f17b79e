"""Training the attention model: media sampled from the model itself, a dataset of FBA/pFBA answers, a
multi-task predictor (growth, grows or not, fluxes) on the attention encoder, held-out evaluation beside
baselines, faithfulness checks, and weights files with a card. No Qt.
"""
