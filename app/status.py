"""The window's status bar: a message, a progress bar and a Cancel button."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QSizePolicy, QStatusBar, QWidget

from app.plain import literal, plain_label


class StatusLabel(QLabel):
    """The status message: cut at the window's edge, whole in its tooltip. A label sized to its text made
    the window as wide as the longest message (1806 px on a 1366 px screen after a run's notes)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.setToolTip(literal(text))


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = plain_label(StatusLabel(self))  # messages quote file names and conditions
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(260)
        self.progress.setFormat("%p%")
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setVisible(False)
        self.addWidget(self.label, 1)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.cancel_button)

    def show_busy(self, busy: bool, cancellable: bool) -> None:
        """The progress bar (from 0) while ``busy``; the Cancel button if it can also be cancelled."""
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.cancel_button.setVisible(busy and cancellable)

    def show_progress(self, fraction: float, message: str) -> None:
        """``fraction`` in [0, 1] on the bar, ``message`` as the status (and on the bar when short)."""
        self.progress.setValue(int(round(fraction * 1000)))
        self.progress.setFormat(f"{message} – %p%" if len(message) < 28 else "%p%")
        self.label.setText(message)


# A run's notes that only say what happened, not that something may be wrong: the log shows them as
# plain information, not in red (issue 16). Every other note (a growth above the plausible ceiling, a
# model FBA cannot solve, a preset left out) stays a warning.
INFO_NOTES = ("Attention restored from the project file", "Trained attention recomputed from its weights",
              "Medium of ", "Attention from weights")


def note_level(note: str) -> int:
    """The logging level for one of a run's notes: INFO for the informative ones, else WARNING."""
    import logging

    return logging.INFO if note.startswith(INFO_NOTES) else logging.WARNING
