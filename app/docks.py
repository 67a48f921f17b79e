"""One helper that docks a pane into the main window and lists it in the View menu."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

ALL_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetClosable | QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable)


def add_dock(window: QMainWindow, widget: QWidget, title: str, name: str,
             area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
             view_menu: QMenu | None = None, shortcut: str | None = None) -> QDockWidget:
    """Wrap ``widget`` in a movable, floatable, closable dock named ``name`` (the key under which
    ``saveState`` remembers it) and add its show/hide action to ``view_menu``."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setFeatures(ALL_FEATURES)
    dock.setWidget(widget)
    dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
    window.addDockWidget(area, dock)
    if view_menu is not None:
        action = dock.toggleViewAction()
        action.setText(title)
        if shortcut:
            action.setShortcut(shortcut)
        view_menu.addAction(action)
    return dock
