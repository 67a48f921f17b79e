"""Settings remembered between sessions, declared in one place, versioned, with a migration hook.

Stored with ``QSettings`` (organisation "MetabolicAttentionStudio", application "metattn"). Tests
point QSettings at a temporary folder (IniFormat + ``QSettings.setPath``) and never touch the
user's real settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

from core.attention.result import AttentionConfig

SETTINGS_VERSION = 2
ORGANISATION = "MetabolicAttentionStudio"
APPLICATION = "metattn"
MAX_RECENT = 8
# Every AttentionConfig field with a plain value is remembered as "attention/<field>".
ATTENTION_KEYS = tuple(k for k, v in AttentionConfig().to_dict().items() if isinstance(v, (bool, int, float, str)))

# key -> default; types follow the defaults
DEFAULTS: dict[str, object] = {
    **{f"attention/{k}": getattr(AttentionConfig(), k) for k in ATTENTION_KEYS},
    "attention/filter_currency": True,
    "conditions/carbon_normalised": False,
    "run/weights": "auto",  # RunSettings.weights: "auto", "none" or a weights file
    "view/colormap": "viridis",
    "files/recent": [],
    "files/last_dir": "",
}


def read_attention(settings: QSettings) -> AttentionConfig:
    """The attention settings remembered (defaults for what was never stored)."""
    return AttentionConfig.from_dict({k: value(settings, f"attention/{k}") for k in ATTENTION_KEYS})


def write_attention(settings: QSettings, config: AttentionConfig) -> None:
    for k, v in config.to_dict().items():
        if k in ATTENTION_KEYS:
            settings.setValue(f"attention/{k}", v)


def open_settings() -> QSettings:
    # defaultFormat(): tests switch it to IniFormat under a temporary path (QSettings.setPath); the
    # (organisation, application) constructor alone would always use the native store.
    settings = QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANISATION, APPLICATION)
    migrate(settings)
    return settings


def migrate(settings: QSettings) -> None:
    """Bring settings written by an older version up to :data:`SETTINGS_VERSION`.

    Version 0 (no key) is a fresh or pre-release store: nothing to convert. Future versions add a
    branch here (rename or convert keys) before stamping the new version.
    """
    version = int(settings.value("settings_version", 0) or 0)
    if version > SETTINGS_VERSION:
        return  # written by a newer program: read what we know, write nothing back that we don't
    if version < 2:
        # Version 0: other dock names, an old state would hide panes. Version 1: docks without minimum
        # sizes, so a layout saved on a small screen kept panes 70 px wide at every later launch.
        settings.remove("window/state")
    settings.setValue("settings_version", SETTINGS_VERSION)


def value(settings: QSettings, key: str):
    """The stored value of ``key`` converted to its default's type (QSettings' INI files give strings)."""
    default = DEFAULTS[key]
    raw = settings.value(key, default)
    if raw is None:
        return default
    try:
        if isinstance(default, bool):
            return raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list):
            if isinstance(raw, str):
                return [raw] if raw else []
            return [str(x) for x in raw]
        return str(raw)
    except (TypeError, ValueError):
        return default


def add_recent(settings: QSettings, path: str) -> list[str]:
    recent = [p for p in value(settings, "files/recent") if p != path]
    recent.insert(0, path)
    recent = recent[:MAX_RECENT]
    settings.setValue("files/recent", recent)
    return recent


def data_dir() -> Path:
    """Where the program keeps its own files (the autosave, models unpacked from projects).

    ``METATTN_DATA_DIR`` overrides it (tests); otherwise the platform's user data folder.
    """
    override = os.environ.get("METATTN_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("metattn", appauthor=False))
