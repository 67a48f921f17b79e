"""Open metabolic models through COBRApy.

One entry point, :func:`load_model`, accepts a path (SBML ``.xml``/``.sbml``/``.xml.gz``, COBRA JSON,
MATLAB ``.mat``, YAML) or the name of a model bundled inside the ``cobra`` package (``textbook`` alias
``e_coli_core``, ``iJO1366``, ``salmonella``). The format is picked from the content first and the
extension second, so a mis-named file still opens.

A second open of the same unchanged file is fast: the parsed model is cached as COBRA JSON (never a
pickle) in the user's cache directory under the SHA-256 of the file's bytes and the cobra version.
The bundled models' JSON forms ship with the program (``resources/model_cache``), so even their first
open reads JSON instead of parsing SBML (issue 17).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from core import limits
from core.errors import InputError

log = logging.getLogger(__name__)

BUNDLED = {
    "textbook": "textbook.xml.gz",
    "e_coli_core": "textbook.xml.gz",
    "ijo1366": "iJO1366.xml.gz",
    "salmonella": "salmonella.xml.gz",
}
FORMATS = ("sbml", "json", "mat", "yaml")


def _cobra_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cobra")
    except PackageNotFoundError:
        return "unknown"


# In every cache file's name: a cache written by another cobra version (whose JSON reader or SBML
# parser may differ) is never read.
CACHE_VERSION = f"1-cobra{_cobra_version()}"


@dataclass(frozen=True)
class LoadedModel:
    """A COBRApy model and where it came from.

    ``model`` is a live ``cobra.Model``; treat it as read-only and change bounds only inside
    ``with model:`` blocks (as :mod:`core.conditions` does).
    """

    model: object
    source: str  # a path, or "bundled:<name>"
    format: str
    sha256: str
    from_cache: bool


def bundled_names() -> list[str]:
    return ["textbook", "iJO1366", "salmonella"]


def _bundled_path(name: str) -> Path | None:
    filename = BUNDLED.get(name.lower())
    if filename is None:
        return None
    return Path(str(files("cobra.data") / filename))


def sniff_format(data: bytes, path: Path) -> str:
    """Return one of FORMATS from the first bytes (already gunzipped) and the file name."""
    head = data[:2048].lstrip()
    if head.startswith(b"MATLAB") or data[:4] in (b"\x00\x00\x00\x00",) and path.suffix == ".mat":
        return "mat"
    if head.startswith(b"<"):
        return "sbml"
    if head.startswith((b"{", b"[")):
        return "json"
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".yml", ".yaml"):
        return "yaml"
    if ext == ".mat":
        return "mat"
    if ext in (".json", ".xml", ".sbml"):
        kind = "JSON" if ext == ".json" else "XML (SBML)"
        raise InputError(f"the name says {kind} but the content is not ({_describe(head)})", path)
    # YAML documents usually start with a key or '---'.
    if head.startswith(b"---") or head.startswith(b"!!") or b":" in head.split(b"\n", 1)[0]:
        return "yaml"
    raise InputError("not a model file this tool can read (expected SBML, COBRA JSON, MAT or YAML)", path)


def _describe(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data"
    return f"text starting {head[:20].decode('utf-8', 'replace')!r}"


def _sbml_problem(data: bytes) -> str | None:
    """The first error libSBML reports for a document, in its own words."""
    try:
        import libsbml
    except ImportError:
        return None
    doc = libsbml.readSBMLFromString(data.decode("utf-8", errors="replace"))
    if doc.getModel() is None and doc.getNumErrors() == 0:
        return "the XML holds no SBML model"
    for i in range(doc.getNumErrors()):
        err = doc.getError(i)
        if err.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            return f"line {err.getLine()}: {err.getShortMessage() or err.getMessage().strip()}"
    if doc.getModel() is None:
        return "the XML holds no SBML model"
    return None


def cache_dir() -> Path:
    env = os.environ.get("METATTN_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("metattn")) / "models"


def _read_bytes(path: Path, raw: bytes | None = None) -> bytes:
    """The model's content: the file's bytes (read through :mod:`core.limits`: regular files only, size
    capped), gunzipped with the decompressed size capped as it streams."""
    if raw is None:
        raw = limits.read_file(path, limits.MODEL_BYTES)
    if not raw.strip():
        raise InputError("the file is empty", path)
    if raw[:2] == b"\x1f\x8b":
        raw = limits.gunzip(raw, limits.MODEL_BYTES, path)
        if not raw.strip():
            raise InputError("the compressed file is empty", path)
    return raw


def _parse(data: bytes, fmt: str, path: Path):
    import cobra.io

    logging.getLogger("cobra").setLevel(logging.CRITICAL)
    try:
        if fmt == "sbml":
            model = cobra.io.read_sbml_model(io.StringIO(data.decode("utf-8", errors="replace")))
        elif fmt == "json":
            text = data.decode("utf-8")
            limits.check_json_text(text, path)
            model = cobra.io.load_json_model(io.StringIO(text))
        elif fmt == "yaml":
            text = data.decode("utf-8")
            limits.check_yaml_aliases(text, path)
            model = cobra.io.load_yaml_model(io.StringIO(text))
        else:
            model = _parse_mat(data, path)
    except InputError:
        raise
    except Exception as exc:  # COBRApy raises many types for bad files; all mean "not readable"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if fmt == "sbml":
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, KeyError):
                reason = f"a reaction refers to species {cause.args[0]!r}, which the model does not define"
            else:
                reason = _sbml_problem(data) or reason.split(". Most likely")[0]
        raise InputError(f"could not be read as {fmt.upper()} ({reason[:200]})", path) from None
    if model is None:
        raise InputError(f"could not be read as {fmt.upper()}", path)
    return model


def _parse_mat(data: bytes, path: Path):
    import cobra.io
    import scipy.io

    limits.check_mat(data, limits.MODEL_BYTES, path)
    with tempfile.NamedTemporaryFile(suffix=".mat", delete=False) as tmp:
        tmp.write(data)
        name = tmp.name
    try:
        try:
            contents = scipy.io.loadmat(name, struct_as_record=True)
        except Exception as exc:
            raise InputError(f"not a readable MATLAB file ({exc})", path) from None
        structs = [k for k, v in contents.items() if not k.startswith("__") and getattr(v, "dtype", None) is not None
                   and v.dtype.names and "S" in v.dtype.names]
        if not structs:
            raise InputError("the MATLAB file holds no COBRA model struct (a struct with an S matrix)", path)
        return cobra.io.load_matlab_model(name, variable_name=structs[0])
    finally:
        os.unlink(name)


def _validate(model, path) -> None:
    if len(model.reactions) == 0:
        raise InputError("the model has no reactions", path)
    if len(model.metabolites) == 0:
        raise InputError("the model has no metabolites", path)
    # Everything later prints, exports or caches these texts: a lone surrogate cannot be encoded.
    limits.check_text(str(model.id or ""), "the model id", path)
    limits.check_text(str(model.name or ""), "the model name", path)
    for kind, items in (("metabolite", model.metabolites), ("reaction", model.reactions), ("gene", model.genes)):
        for item in items:
            for attr in ("id", "name", "formula", "compartment", "subsystem"):
                value = getattr(item, attr, None)
                if isinstance(value, str) and value and not value.isascii():
                    limits.check_text(value, f"a {kind} {attr}", path)
    for cid, cname in (model.compartments or {}).items():
        limits.check_text(f"{cid}{cname or ''}", "a compartment", path)


def shipped_cache_dir() -> Path:
    """The parsed forms of the bundled models shipped with the program (``resources/model_cache``,
    built by :func:`build_shipped_cache`): a first open of a bundled model reads one of these instead
    of parsing SBML. Named like the user cache, so a file is used only for the exact SBML bytes (SHA-256)
    and cobra version it was built from."""
    return Path(str(files("resources") / "model_cache"))


def _cache_hits(digest: str) -> list[Path]:
    pattern = f"{digest}-*.v{CACHE_VERSION}.json"
    return sorted(cache_dir().glob(pattern)) + sorted(shipped_cache_dir().glob(pattern + ".gz"))


def _cache_get(digest: str):
    """Return ``(model, format)`` from the user's cache or the shipped one, or None."""
    import cobra.io

    for path in _cache_hits(digest):
        fmt = path.name[len(digest) + 1:].split(".")[0]
        try:
            if path.suffix == ".gz":
                with gzip.open(path, "rt", encoding="utf-8") as fh:
                    return cobra.io.load_json_model(fh), fmt
            return cobra.io.load_json_model(str(path)), fmt  # our own writing: nothing to warn about
        except Exception:  # a damaged cache entry is dropped (rebuilt by the parse), never trusted
            log.warning("dropping unreadable cache entry %s", path)
            if path.parent == cache_dir():
                path.unlink(missing_ok=True)
    return None


def build_shipped_cache(folder: Path | None = None) -> list[Path]:
    """Parse every bundled model and write its JSON form, gzipped, into ``folder`` (default
    :func:`shipped_cache_dir`); files for other SBML bytes or cobra versions there are removed."""
    import cobra.io

    folder = Path(folder) if folder is not None else shipped_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("textbook", "iJO1366", "salmonella"):
        path = _bundled_path(name)
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        data = _read_bytes(path, raw)
        model = _parse(data, "sbml", path)
        _validate(model, path)
        target = folder / f"{digest}-sbml.v{CACHE_VERSION}.json.gz"
        text = cobra.io.to_json(model)
        with gzip.GzipFile(target, "wb", mtime=0) as fh:  # mtime 0: the same bytes every build
            fh.write(text.encode("utf-8"))
        written.append(target)
    for old in folder.glob("*.json.gz"):
        if old not in written:
            old.unlink()
    return written


def _cache_put(digest: str, fmt: str, model) -> None:
    import cobra.io

    folder = cache_dir()
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _drop_orphaned_temp_files(folder)
        # The process id in the name: a process ended while writing (the window ends a parse that
        # does not stop when cancelled) leaves a file the next writer recognises as orphaned.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.getpid()}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            cobra.io.save_json_model(model, fh)
        os.replace(tmp, folder / f"{digest}-{fmt}.v{CACHE_VERSION}.json")
    except OSError as exc:  # a read-only or full cache folder only costs speed
        log.info("model cache not written: %s", exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _drop_orphaned_temp_files(folder: Path) -> None:
    """Remove half-written cache files whose writing process no longer exists."""
    for part in folder.glob(".*-*.tmp"):
        try:
            pid = int(part.name[1:].split("-", 1)[0])
        except ValueError:
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            part.unlink(missing_ok=True)
        except (PermissionError, OSError):
            pass  # alive (another user's) or unknowable: leave it


def _locate(source: str | Path) -> tuple[Path, str]:
    """``(path, label)`` of a model file or bundled name; InputError if there is neither."""
    text = str(source)
    bundled = _bundled_path(text) if not Path(text).exists() else None
    path = bundled if bundled is not None else Path(text)
    if bundled is None and not os.path.lexists(path):
        known = ", ".join(bundled_names())
        raise InputError(f"file not found (and not a bundled model name: {known})", path)
    label = f"bundled:{text}" if bundled is not None else str(path)
    return path, label


def is_cached(source: str | Path) -> bool:
    """True when :func:`load_model` would read ``source`` from the cache instead of parsing it."""
    try:
        path, _label = _locate(source)
        raw_file = limits.read_file(path, limits.MODEL_BYTES)
    except InputError:
        return False
    digest = hashlib.sha256(raw_file).hexdigest()
    return bool(raw_file) and bool(_cache_hits(digest))


def file_digest(source: str | Path) -> tuple[str, str]:
    """``(label, SHA-256 of the file's bytes)`` of a model file or bundled name, as :func:`load_model`
    records them; InputError if there is no such file."""
    path, label = _locate(source)
    return label, hashlib.sha256(limits.read_file(path, limits.MODEL_BYTES)).hexdigest()


def load_model(source: str | Path, use_cache: bool = True) -> LoadedModel:
    """Open a model file or a bundled model by name.

    Raises :class:`InputError` naming the file and the problem for anything unreadable.
    """
    path, label = _locate(source)
    # One read, through the limits, serves the hash and the parse: a FIFO, a device or an unreadable
    # file is refused here, before anything else touches it.
    raw_file = limits.read_file(path, limits.MODEL_BYTES)
    digest = hashlib.sha256(raw_file).hexdigest()
    if use_cache and raw_file.strip():
        cached = _cache_get(digest)
        if cached is not None:
            return LoadedModel(cached[0], label, cached[1], digest, True)
    data = _read_bytes(path, raw_file)
    fmt = sniff_format(data, path)
    model = _parse(data, fmt, path)
    _validate(model, path)
    if use_cache:
        _cache_put(digest, fmt, model)
    return LoadedModel(model, label, fmt, digest, False)

