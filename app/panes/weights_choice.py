"""The setup pane's trained-weights box: automatic (shipped), none (structure only) or a file, and what a
run with that choice would use (:mod:`app.weights_info`). A mixin of :class:`app.panes.setup.SetupPane`, which
provides ``loaded``, ``currency``, ``inputs_changed`` and ``weights_problem``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QVBoxLayout

from app.plain import plain_label


class WeightsChoiceMixin:
    _weights_file: str | None = None
    _weights_mode = "auto"

    def _build_weights(self) -> QGroupBox:
        box = QGroupBox("Trained weights", self)
        lay = QVBoxLayout(box)
        self.weights_mode = QComboBox(box)
        self.weights_mode.addItem("Automatic: shipped weights for this model", "auto")
        self.weights_mode.addItem("None: structure only (untrained)", "none")
        self.weights_mode.addItem("Weights file…", "file")
        self.weights_mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.weights_mode.setMinimumContentsLength(12)
        self.weights_mode.setToolTip("which trained attention weights a run uses (main.py run --weights)")
        self.weights_mode.activated.connect(self._weights_mode_chosen)
        self.weights_label = plain_label(QLabel(box))  # file names and model ids as typed
        self.weights_label.setWordWrap(True)
        self.weights_label.setStyleSheet("color:#444")
        lay.addWidget(self.weights_mode)
        lay.addWidget(self.weights_label)
        self.currency.toggled.connect(lambda _on: self.update_weights_info())
        return box

    def weights_choice(self) -> str:
        """``RunSettings.weights``: "auto", "none" or the chosen weights file."""
        if self._weights_mode == "file" and self._weights_file:
            return self._weights_file
        return "none" if self._weights_mode == "none" else "auto"

    def set_weights(self, choice: str | None) -> None:
        """Show ``choice`` ("auto", "none" or a file path; settings and projects) without a dialog."""
        choice = (choice or "auto").strip()
        if choice.lower() in ("auto", "none"):
            self._weights_mode = choice.lower()
        else:
            self._weights_mode, self._weights_file = "file", choice
        self.update_weights_info()

    def choose_weights_file(self, path: str) -> bool:
        """Use the weights file ``path`` for the next runs; False (and ``weights_problem``) if it cannot be used
        with the open model."""
        self.set_weights(str(path))
        info = self._weights_info
        if info.problem:
            self.weights_problem.emit(info.problem)
            return False
        self.inputs_changed.emit()
        return True

    def _weights_mode_chosen(self, index: int) -> None:
        mode = self.weights_mode.itemData(index)
        if mode == "file":
            from PySide6.QtWidgets import QFileDialog

            start = self._weights_file or ""
            path, _ = QFileDialog.getOpenFileName(self, "Trained weights", start,
                                                  "Trained weights (*.safetensors);;All files (*)")
            if path:
                self.choose_weights_file(path)
            else:
                self.update_weights_info()  # back to what was chosen before
            return
        self.set_weights(mode)
        self.inputs_changed.emit()

    def update_weights_info(self) -> None:
        """Say which weights a run would use now (model, currency filter and choice as shown)."""
        from app.weights_info import describe_weights

        self._weights_info = describe_weights(self.weights_choice(), self.loaded, self.currency.isChecked())
        index = self.weights_mode.findData(self._weights_mode)
        with QSignalBlocker(self.weights_mode):
            self.weights_mode.setItemText(2, f"Weights file: {Path(self._weights_file).name}"
                                          if self._weights_file else "Weights file…")
            self.weights_mode.setCurrentIndex(max(index, 0))
        self.weights_label.setText(self._weights_info.text)
        self.weights_label.setStyleSheet("color:#a00" if self._weights_info.problem else "color:#444")
        self._architecture_from_weights(self._weights_info.trained and not self._weights_info.problem)

    def _architecture_from_weights(self, decided: bool) -> None:
        """Trained weights fix heads, d_model and layers: their boxes are off and say so (a run ignores them)."""
        for spin in (getattr(self, name, None) for name in ("heads", "d_model", "layers")):
            if spin is None:
                continue
            if not hasattr(spin, "own_tip"):
                spin.own_tip = spin.toolTip()
            spin.setEnabled(not decided)
            spin.setToolTip("set by the trained weights (choose None: structure only to change it)" if decided
                            else spin.own_tip)
        note = getattr(self, "architecture_note", None)
        if note is not None:
            # The boxes keep the user's own values for untrained runs; the note says what the weights use.
            fixed = getattr(getattr(self, "_weights_info", None), "architecture", "")
            note.setText(f"{fixed}: set by the trained weights" if decided and fixed
                         else "heads, d_model, layers: set by the trained weights")
            note.setVisible(decided)
