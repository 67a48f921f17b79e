"""Docking: one helper that docks a pane into the main window and lists it in the View menu, and the
window's default arrangement of its docks."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QMenu, QScrollArea, QWidget

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
    # In a scroll area: a pane whose own minimum is larger than its share scrolls rather than squeezing
    # its neighbours to a sliver (at 1366×768 Node details and Log were once 70 px wide).
    scroll = QScrollArea(dock)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(widget)
    dock.setWidget(scroll)
    dock.setMinimumSize(MIN_PANE, MIN_PANE)
    dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
    window.addDockWidget(area, dock)
    if view_menu is not None:
        action = dock.toggleViewAction()
        action.setText(title)
        if shortcut:
            action.setShortcut(shortcut)
        view_menu.addAction(action)
    return dock


MIN_PANE = 200  # px: no dock is made narrower or shorter than this

# The default arrangement: setup on the left; heatmap | network | details across, with tables under
# the heatmap, the comparison under the network and the log under the details.
SPLITS = (("heatmap", "network", Qt.Orientation.Horizontal), ("network", "details", Qt.Orientation.Horizontal),
          ("heatmap", "tables", Qt.Orientation.Vertical), ("network", "comparison", Qt.Orientation.Vertical),
          ("details", "log", Qt.Orientation.Vertical))
# Shares of the window's width (across; the setup pane gets its own width first) and height (each column).
SETUP_SHARE = (0.2, 0.3)  # the setup pane's width: at least the first share of the window, at most the second
ACROSS = (("heatmap", 0.42), ("network", 0.34), ("details", 0.24))
COLUMNS = ((("heatmap", 0.6), ("tables", 0.4)), (("network", 0.55), ("comparison", 0.45)),
           (("details", 0.65), ("log", 0.35)))


def fit_to_screen(window: QWidget, area=None) -> bool:
    """Shrink (and move) ``window`` to fit ``area`` (a QRect; default: its screen's available area),
    frame included: a size saved on a bigger screen, or the 1600×1000 default, must not come back larger
    than a laptop's 1366×768 (an Xvfb screenshot at that size came out 1806×1000). Without a real screen
    (offscreen, minimal platforms: tests, headless pictures) nothing is changed. True if it was changed."""
    from PySide6.QtGui import QGuiApplication

    if area is None:
        screen = window.screen() or QGuiApplication.primaryScreen()
        if screen is None or QGuiApplication.platformName() in ("offscreen", "minimal"):
            return False
        area = screen.availableGeometry()
    frame = window.frameGeometry()
    extra_w, extra_h = max(frame.width() - window.width(), 0), max(frame.height() - window.height(), 0)
    width, height = min(window.width(), area.width() - extra_w), min(window.height(), area.height() - extra_h)
    changed = (width, height) != (window.width(), window.height())
    if changed:
        window.resize(max(width, 1), max(height, 1))
    x = min(max(window.x(), area.left()), max(area.right() + 1 - width - extra_w, area.left()))
    y = min(max(window.y(), area.top()), max(area.bottom() + 1 - height - extra_h, area.top()))
    if (x, y) != (window.x(), window.y()):
        window.move(x, y)
        changed = True
    return changed


def arrange(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Split the docks into the default arrangement (:data:`SPLITS`)."""
    for first, second, orientation in SPLITS:
        window.splitDockWidget(docks[first], docks[second], orientation)


def share_space(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Give the docks their default shares (needs the window's real size, so after show)."""
    w = max(window.width(), 800)
    h = max(window.height() - 120, 2 * MIN_PANE + 60)
    setup = docks["setup"].widget().widget()
    low, high = SETUP_SHARE
    left = int(min(max(setup.minimumSizeHint().width() + 16, w * low), w * high))
    rest = max(w - left - 24, 3 * MIN_PANE)
    window.resizeDocks([docks["setup"], *(docks[n] for n, _ in ACROSS)],
                       [left, *(int(rest * s) for _, s in ACROSS)], Qt.Orientation.Horizontal)
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
        # Until the user drags a separator, the default shares follow the window's size (a laptop
        # screen and back must not leave the extra space to whichever dock Qt picks).
        self.user_arranged = False
        self._reshare = QTimer(self)
        self._reshare.setSingleShot(True)
        self._reshare.setInterval(150)
        self._reshare.timeout.connect(self._after_resize)
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        from PySide6.QtCore import QEvent

        if watched is self.window:
            if event.type() == QEvent.Type.Resize and self.default_state is not None:
                self._reshare.start()
            elif event.type() == QEvent.Type.MouseButtonRelease:
                self.user_arranged = True  # a press on the window itself, not a pane: a separator drag
        return False

    def _after_resize(self) -> None:
        if not self.user_arranged or self.squeezed():
            self.share_space()
            QTimer.singleShot(250, self, self.share_space)  # once more when the dock layout has settled

    def squeezed(self) -> list[str]:
        """Docked, visible panes narrower or shorter than :data:`MIN_PANE`, or too narrow for their own
        controls (the window is too small for the saved arrangement)."""
        return [n for n, d in self.docks.items() if d.isVisible() and not d.isFloating()
                and (min(d.width(), d.height()) < MIN_PANE
                     or d.widget().widget().minimumSizeHint().width() > d.widget().viewport().width())]

    def restore(self, geometry, state) -> None:
        """Apply the saved window geometry and dock state (QByteArrays; empty or None: defaults)."""
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.window.restoreGeometry(geometry)
        fit_to_screen(self.window)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restored = bool(self.window.restoreState(state, self.version))
            self.user_arranged = self.restored

    def first_shown(self) -> None:
        """Call from the window's showEvent: the first time, share the space and take the default."""
        if self.default_state is not None:
            return
        self.default_state = QByteArray()
        if not self.restored:
            QTimer.singleShot(0, self, self.share_space)
            # The dock layout settles over a few event-loop turns; apply the shares once more then.
            QTimer.singleShot(250, self, self.share_space)
        else:  # a saved arrangement that no longer fits this screen is not carried forward
            QTimer.singleShot(250, self, self._after_resize)
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
        self.user_arranged = False
        self.share_space()
