"""Docking: one helper that docks a pane into the main window and lists it in the View menu, and the
window's default arrangement of its docks."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer
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


# The default arrangement: setup on the left; heatmap | network | details across, with tables under
# the heatmap, the comparison under the network and the log under the details.
SPLITS = (("heatmap", "network", Qt.Orientation.Horizontal), ("network", "details", Qt.Orientation.Horizontal),
          ("heatmap", "tables", Qt.Orientation.Vertical), ("network", "comparison", Qt.Orientation.Vertical),
          ("details", "log", Qt.Orientation.Vertical))
# Shares of the window's width (across) and height (each column) per dock.
ACROSS = (("setup", 0.21), ("heatmap", 0.35), ("network", 0.27), ("details", 0.17))
COLUMNS = ((("heatmap", 0.6), ("tables", 0.4)), (("network", 0.55), ("comparison", 0.45)),
           (("details", 0.65), ("log", 0.35)))


def arrange(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Split the docks into the default arrangement (:data:`SPLITS`)."""
    for first, second, orientation in SPLITS:
        window.splitDockWidget(docks[first], docks[second], orientation)


def share_space(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Give the docks their default shares (needs the window's real size, so after show)."""
    w = max(window.width(), 1000)
    h = max(window.height() - 120, 600)
    window.resizeDocks([docks[n] for n, _ in ACROSS], [int(w * s) for _, s in ACROSS], Qt.Orientation.Horizontal)
    for column in COLUMNS:
        window.resizeDocks([docks[n] for n, _ in column], [int(h * s) for _, s in column], Qt.Orientation.Vertical)


class DockLayout(QObject):
    """The window's dock layout: the default shares at the first show, remembered and restored
    through the settings, and View → Reset layout."""

    def __init__(self, window: QMainWindow, docks: dict[str, QDockWidget], version: int):
        super().__init__(window)  # a child: its timers are dropped if the window goes first
        self.window, self.docks, self.version = window, docks, version
        arrange(window, docks)
        self.default_state = None  # taken at the first show, once the docks have their sizes
        self.restored = False

    def restore(self, geometry, state) -> None:
        """Apply the saved window geometry and dock state (QByteArrays; empty or None: defaults)."""
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.window.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restored = bool(self.window.restoreState(state, self.version))

    def first_shown(self) -> None:
        """Call from the window's showEvent: the first time, share the space and take the default."""
        if self.default_state is not None:
            return
        self.default_state = QByteArray()
        if not self.restored:
            QTimer.singleShot(0, self, self.share_space)
            # The dock layout settles over a few event-loop turns; apply the shares once more then.
            QTimer.singleShot(250, self, self.share_space)
        QTimer.singleShot(300, self, self._take_default)

    def share_space(self) -> None:
        share_space(self.window, self.docks)

    def _take_default(self) -> None:
        self.default_state = self.window.saveState(self.version)

    def reset(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        if self.default_state:
            self.window.restoreState(self.default_state, self.version)
        self.share_space()
