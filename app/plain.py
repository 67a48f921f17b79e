"""Text from files shown as typed: never as rich text (issue 18).

Qt guesses whether a string is rich text (``Qt::mightBeRichText``) in labels, tooltips and message
boxes, so a metabolite named ``<img src=...>`` or ``<h1>`` would be rendered, not shown. Labels that
show file text get :func:`plain_label` (``Qt.PlainText``); where markup is ours and only a name is
inserted, the name goes through :func:`esc`; tooltips and message boxes, which always guess, get
:func:`literal`: text Qt would take for rich text is escaped and marked as rich, so every character
shows as itself (other text is passed on unchanged and shown as plain text).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QLabel


def esc(text) -> str:
    """``text`` escaped for insertion into our own rich text (``&``, ``<``, ``>``)."""
    return html.escape(str(text), quote=False)


def literal(text) -> str:
    """``text`` for a widget that guesses the format (tooltip, QMessageBox): shown exactly as typed,
    line breaks and runs of spaces included. Only text Qt would render as rich text is converted."""
    text = str(text)
    if not QtGuiNamespace.mightBeRichText(text):
        return text
    return f'<qt><span style="white-space: pre-wrap">{esc(text)}</span></qt>'


def plain_label(label: QLabel) -> QLabel:
    """``label`` set to show its text as plain text, whatever it contains."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
