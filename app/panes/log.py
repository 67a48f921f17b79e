"""The log pane: Python logging shown in the window.

:class:`QtLogHandler` is a ``logging.Handler`` that emits a Qt signal per record; the signal is
delivered on the main thread (queued) whichever thread logged, so the pane only ever touches its
widget there.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

FORMAT = "%(asctime)s %(message)s"


class _Emitter(QObject):
    record = Signal(str, int)


class QtLogHandler(logging.Handler):
    def __init__(self, level: int = logging.INFO):
        super().__init__(level)
        self.emitter = _Emitter()
        self.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.emitter.record.emit(self.format(record), record.levelno)
        except RuntimeError:  # the pane is gone while a worker still logs
            pass
        except Exception:
            self.handleError(record)


class LogPane(QWidget):
    MAX_LINES = 5000

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(self.MAX_LINES)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        self.handler = QtLogHandler()
        self.handler.emitter.record.connect(self.append, Qt.ConnectionType.QueuedConnection)

    def install(self, logger: logging.Logger | None = None) -> None:
        logger = logger or logging.getLogger()
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
        # COBRApy explains its guesses at INFO on every model; only its warnings matter to a user.
        logging.getLogger("cobra").setLevel(logging.WARNING)
        logger.addHandler(self.handler)

    def uninstall(self, logger: logging.Logger | None = None) -> None:
        (logger or logging.getLogger()).removeHandler(self.handler)

    @Slot(str, int)
    def append(self, line: str, level: int) -> None:
        if level >= logging.WARNING:
            line = f"{logging.getLevelName(level)}: {line}"
            self.text.appendHtml(f"<span style='color:#b00020'>{_html(line)}</span>")
        else:
            self.text.appendPlainText(line)

    def lines(self) -> list[str]:
        return self.text.toPlainText().splitlines()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
