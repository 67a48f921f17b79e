"""Input limits: every file a user hands in (model, conditions, currency list, project) is read here.

A file may come from anyone, so reading it must end, whatever it holds, in either its content or one
:class:`~core.errors.InputError` naming the file and the problem -- never a hang, a traceback or
gigabytes of memory. This module is the one place that enforces that:

* **regular files only**: a FIFO, ``/dev/zero``, a socket or a folder is refused before it is read
  (a FIFO would block, ``/dev/zero`` never ends);
* **a size cap before reading** (from ``stat``) and **a decompressed-size cap while decompressing**
  (gzip, the zlib elements of MATLAB files, zip members of projects and their ``.npy`` arrays are all
  streamed and counted, so a bomb stops at the cap, not at the end of memory);
* **JSON** nesting depth and number length are checked before ``json`` parses it;
* **YAML** anchors and aliases may expand to at most a small number of nodes (billion laughs);
* **text** must be valid Unicode: names with lone UTF-16 surrogates (``"\\ud800"`` in JSON) are refused.

Every limit is documented below and can be raised for real large models by an environment variable
(read each time a file is opened, so a child process sees its parent's setting); ``metattn run
--max-input-mb N`` sets the three file-size limits for one run.

======================================  ========  ====================================================
environment variable                    default   what it limits
======================================  ========  ====================================================
``METATTN_MAX_MODEL_MB``                256       model file on disk, and its content after gunzip /
                                                  in MATLAB zlib elements (Recon3D's SBML is ~70 MB)
``METATTN_MAX_CONDITIONS_MB``           16        conditions file (.csv/.json)
``METATTN_MAX_CURRENCY_MB``             1         currency-metabolite list
``METATTN_MAX_PROJECT_MB``              1024      project (.mattn) on disk, and all of its members
                                                  after decompression together
``METATTN_MAX_PROJECT_JSON_MB``         64        project.json inside a project (settings, conditions,
                                                  view: a few kB in a typical project)
``METATTN_MAX_JSON_DEPTH``              64        nesting of JSON arrays/objects (COBRA JSON needs 4)
``METATTN_MAX_NUMBER_CHARS``            64        characters in one JSON number (a double needs 24)
``METATTN_MAX_YAML_ALIAS_NODES``        10000     nodes that YAML aliases may add by expansion
======================================  ========  ====================================================
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError

MB = 1024 * 1024
_CHUNK = 1 << 20  # decompression step: memory beyond the cap is at most one chunk


@dataclass(frozen=True)
class Limit:
    """One documented, overridable limit: ``value()`` reads ``env`` (a positive number) or the default."""

    env: str
    default: int
    unit: str  # "MB" limits are given in MB and returned in bytes
    what: str

    def value(self) -> int:
        text = os.environ.get(self.env, "").strip()
        number = self.default
        if text:
            try:
                number = float(text)
            except ValueError:
                raise InputError(f"environment variable {self.env}={text!r} is not a number") from None
            if not (number > 0 and number < 1e12):
                raise InputError(f"environment variable {self.env}={text!r} must be a positive number")
        return int(number * MB) if self.unit == "MB" else int(number)

    def hint(self) -> str:
        return f"set {self.env} to a larger number{' of MB' if self.unit == 'MB' else ''} if the file is genuine"


MODEL_BYTES = Limit("METATTN_MAX_MODEL_MB", 256, "MB", "a model file")
CONDITIONS_BYTES = Limit("METATTN_MAX_CONDITIONS_MB", 16, "MB", "a conditions file")
CURRENCY_BYTES = Limit("METATTN_MAX_CURRENCY_MB", 1, "MB", "a currency-metabolite list")
PROJECT_BYTES = Limit("METATTN_MAX_PROJECT_MB", 1024, "MB", "a project file")
PROJECT_JSON_BYTES = Limit("METATTN_MAX_PROJECT_JSON_MB", 64, "MB", "a project's project.json")
JSON_DEPTH = Limit("METATTN_MAX_JSON_DEPTH", 64, "", "JSON nesting depth")
NUMBER_CHARS = Limit("METATTN_MAX_NUMBER_CHARS", 64, "", "characters in a JSON number")
YAML_ALIAS_NODES = Limit("METATTN_MAX_YAML_ALIAS_NODES", 10_000, "", "nodes added by YAML aliases")
# Accepted ranges of the attention settings a user or a project file gives (the command line's options,
# app.project_schema): beyond them a value is a typo or an attack, not an experiment.
ATTENTION_RANGES = {"heads": (1, 256), "d_model": (1, 8192), "layers": (1, 1000), "hops": (1, 8),
                    "seed": (0, 2 ** 32 - 1)}
TOP_K_RANGE = (1, 100_000)
MAX_MEMORY_BUDGET_GB = 4096.0
# Conditions one run compares: core.attention.cross_attention.MAX_CONDITIONS, repeated here (a test
# checks they agree) so that the window and the conditions readers can check it without importing torch.
MAX_RUN_CONDITIONS = 32
FILE_SIZE_LIMITS = (MODEL_BYTES, CONDITIONS_BYTES, CURRENCY_BYTES, PROJECT_BYTES, PROJECT_JSON_BYTES)
ALL_LIMITS = FILE_SIZE_LIMITS + (JSON_DEPTH, NUMBER_CHARS, YAML_ALIAS_NODES)


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= 10 * MB else f"{n / MB:.2g} MB"


# --------------------------------------------------------------------------- reading files


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_file(path: str | Path, limit: Limit, source: str | Path | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; InputError naming ``source``
    (default ``path``) for anything else: missing, unreadable, a folder/FIFO/device, or too large."""
    path = Path(path)
    source = path if source is None else source
    cap = limit.value()
    try:
        kind = _kind(os.stat(path).st_mode)  # before opening: opening a FIFO blocks, a device may act
        if kind is not None:
            raise InputError(f"is {kind}, not a regular file; only regular files are read", source)
        # O_NONBLOCK: if the name was swapped for a FIFO since the stat, open returns instead of waiting.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError("file not found", source) from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", source) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", source) from None
    try:
        info = os.fstat(fd)
        kind = _kind(info.st_mode)
        if kind is not None:
            raise InputError(f"is {kind}, not a regular file; only regular files are read", source)
        if info.st_size > cap:
            raise InputError(f"is {_mb(info.st_size)}, over the {_mb(cap)} limit for {limit.what}; {limit.hint()}",
                             source)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            data = fh.read(cap + 1)  # the file may have grown since the stat
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", source) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > cap:
        raise InputError(f"is over the {_mb(cap)} limit for {limit.what}; {limit.hint()}", source)
    return data


def read_head(path: str | Path, size: int) -> bytes:
    """The first ``size`` bytes of the regular file ``path`` (to guess what it is); InputError for a
    FIFO, device or folder, which are never opened."""
    path = Path(path)
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind is not None:
            raise InputError(f"is {kind}, not a regular file; only regular files are read", path)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", path) from None
    try:
        if _kind(os.fstat(fd).st_mode) is not None:
            raise InputError("is not a regular file; only regular files are read", path)
        return os.read(fd, size)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", path) from None
    finally:
        os.close(fd)


def read_text(path: str | Path, limit: Limit, what: str = "text", source: str | Path | None = None) -> str:
    """:func:`read_file` decoded as UTF-8 (a BOM is dropped); InputError if it is not UTF-8 text."""
    data = read_file(path, limit, source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 {what} (undecodable byte at offset {exc.start})",
                         path if source is None else source) from None


def gunzip(data: bytes, limit: Limit, source: str | Path) -> bytes:
    """Decompress gzip ``data`` (one or more members), refusing output beyond ``limit`` as it streams."""
    cap = limit.value()
    out: list[bytes] = []
    total = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(wbits=31)
            buf = rest
            while buf:
                chunk = d.decompress(buf, _CHUNK)
                total += len(chunk)
                if total > cap:
                    raise InputError(f"decompresses to more than the {_mb(cap)} limit for {limit.what} "
                                     f"(a decompression bomb, or a very large model: {limit.hint()})", source)
                out.append(chunk)
                buf = d.unconsumed_tail
                if d.eof:
                    break
            if not d.eof:
                raise InputError("the gzip data is corrupt or truncated (unexpected end of data)", source)
            rest = d.unused_data.lstrip(b"\x00")  # gzip allows trailing zero padding
            if rest and rest[:2] != b"\x1f\x8b":
                break  # trailing garbage after a complete member: as gzip.decompress, ignore it
    except zlib.error as exc:
        raise InputError(f"the gzip data is corrupt or truncated ({exc})", source) from None
    return b"".join(out)


# --------------------------------------------------------------------------- text checks

_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(value: str, what: str, source: str | Path | None) -> str:
    """``value`` unchanged, or InputError if it holds a lone UTF-16 surrogate (not valid text: it
    cannot be printed or written to any file)."""
    if isinstance(value, str) and _SURROGATE.search(value):
        raise InputError(f"{what} {value[:80]!r} holds a lone UTF-16 surrogate, which is not valid text", source)
    return value


def check_strings(obj, what: str, source: str | Path | None) -> None:
    """:func:`check_text` on every string (keys too) inside nested dicts/lists from JSON or YAML."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_text(item, what, source)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


_NUMBER_BYTES = b"0123456789eE.+-"


def check_json_text(text: str, source: str | Path, what: str = "JSON") -> None:
    """Refuse JSON nested deeper than :data:`JSON_DEPTH` or with a number longer than
    :data:`NUMBER_CHARS` characters, before ``json`` parses it (deep nesting exhausts the recursion,
    a 5,000-digit integer is refused by Python with a traceback, and either can be slow).

    Vectorised (about 20 ms per MB): escaped backslashes and quotes are dropped, every remaining quote
    opens or closes a string, and brackets and digits count only outside strings.
    """
    import numpy as np

    depth_cap, digits_cap = JSON_DEPTH.value(), NUMBER_CHARS.value()
    raw = text.encode("utf-8", "surrogatepass").replace(b"\\\\", b"").replace(b'\\"', b"")
    codes = np.frombuffer(raw, dtype=np.uint8)
    if not codes.size:
        return
    quotes = codes == ord('"')
    outside = (np.cumsum(quotes) % 2 == 0) & ~quotes
    table = np.zeros(256, dtype=np.int8)  # +1 opens, -1 closes, by byte value
    table[[ord("["), ord("{")]] = 1
    table[[ord("]"), ord("}")]] = -1
    step = np.where(outside, table[codes], 0).astype(np.int32)
    if int(np.cumsum(step).max()) > depth_cap:
        raise InputError(f"{what} is nested more than {depth_cap} levels deep; limit {JSON_DEPTH.env}={depth_cap}",
                         source)
    is_number = np.zeros(256, dtype=bool)
    is_number[np.frombuffer(_NUMBER_BYTES, dtype=np.uint8)] = True
    number = is_number[codes] & outside
    edges = np.flatnonzero(np.diff(np.concatenate(([0], number.view(np.int8), [0]))))
    if edges.size:
        lengths = edges[1::2] - edges[0::2]
        longest = int(np.argmax(lengths))
        if lengths[longest] > digits_cap:
            start = edges[0::2][longest]
            shown = raw[start:start + 20].decode("ascii", "replace")
            raise InputError(f"{what} holds a number of more than {digits_cap} characters ({shown}...); "
                             f"limit {NUMBER_CHARS.env}={digits_cap}", source)


def load_json(text: str, source: str | Path, what: str = "JSON"):
    """``json.loads`` behind :func:`check_json_text`; InputError for invalid JSON or lone surrogates."""
    import json

    check_json_text(text, source, what)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise InputError(f"not valid {what} ({msg}{line})", source) from None
    check_strings(data, f"a text in the {what}", source)
    return data


# --------------------------------------------------------------------------- YAML


def check_yaml_aliases(text: str, source: str | Path) -> None:
    """Refuse YAML whose aliases would expand to more than :data:`YAML_ALIAS_NODES` nodes.

    Aliases share one object when loaded, but anything that walks the model afterwards (copying, the
    JSON cache, exports) meets every expansion: a few hundred bytes can stand for billions of nodes.
    The events are only scanned when the text holds an anchor at all; COBRApy never writes any.
    """
    if not re.search(r"&[^\s\[\]{},]", text):
        return
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import (AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent,
                                    ScalarEvent)

    cap = YAML_ALIAS_NODES.value()
    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []
    nodes = added = 0
    try:
        for event in YAML(typ="safe", pure=True).parse(io.StringIO(text)):
            if isinstance(event, AliasEvent):
                size = sizes.get(event.anchor, 1)
                nodes += size
                added += size
                if added > cap:
                    raise InputError(f"YAML aliases expand to more than {cap:,} nodes (an alias bomb); "
                                     f"limit {YAML_ALIAS_NODES.env}={cap}", source)
            elif isinstance(event, ScalarEvent):
                nodes += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, CollectionStartEvent):
                nodes += 1
                open_nodes.append((event.anchor, nodes))
            elif isinstance(event, CollectionEndEvent) and open_nodes:
                anchor, start = open_nodes.pop()
                if anchor:
                    sizes[anchor] = nodes - start + 1
            elif isinstance(event, NodeEvent):
                nodes += 1
    except YAMLError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"could not be read as YAML ({reason[:200]})", source) from None
    except RecursionError:
        raise InputError("could not be read as YAML (nested too deeply)", source) from None


# --------------------------------------------------------------------------- MATLAB

_MI_COMPRESSED = 15


def check_mat(data: bytes, limit: Limit, source: str | Path) -> None:
    """Refuse a MATLAB v5 file whose variables decompress to more than ``limit`` in total.

    scipy inflates each zlib-compressed variable in one piece, so a 4 MB file can hold 4 GB. This
    walks the top-level elements and inflates the compressed ones chunk by chunk, keeping nothing but
    the count. Files that are not MATLAB v5 are left to scipy, which refuses them.
    """
    cap = limit.value()
    if len(data) < 128 or data[126:128] not in (b"IM", b"MI"):
        return
    order = "<" if data[126:128] == b"IM" else ">"
    pos, total = 128, 0
    while pos + 8 <= len(data):
        mtype, nbytes = struct.unpack(order + "II", data[pos:pos + 8])
        if mtype >> 16:  # small data element: 4 bytes of data inside the tag
            total += mtype >> 16
            pos += 8
            continue
        body = data[pos + 8:pos + 8 + nbytes]
        if mtype == _MI_COMPRESSED:
            d = zlib.decompressobj()
            buf = body
            try:
                while buf and not d.eof:
                    total += len(d.decompress(buf, _CHUNK))
                    if total > cap:
                        break
                    buf = d.unconsumed_tail
            except zlib.error:
                return  # damaged: scipy says so in its own words
            pos += 8 + nbytes
        else:
            total += nbytes
            pos += 8 + nbytes + (-nbytes % 8)
        if total > cap:
            raise InputError(f"the MATLAB variables decompress to more than the {_mb(cap)} limit for "
                             f"{limit.what} (a decompression bomb, or a very large model: {limit.hint()})", source)


# --------------------------------------------------------------------------- zip archives (projects)


def check_zip(zf: zipfile.ZipFile, limit: Limit, source: str | Path) -> None:
    """Refuse an archive whose members are encrypted, use an unknown compression, have unsafe names, or
    together declare more than ``limit`` of content (zipfile never yields more than a member declares)."""
    cap = limit.value()
    total = 0
    for info in zf.infolist():
        if info.flag_bits & 0x1:
            raise InputError(f"the member {info.filename!r} is encrypted; projects are never encrypted", source)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(f"the member {info.filename!r} uses an unsupported compression "
                             f"(method {info.compress_type})", source)
        total += info.file_size
        if total > cap:
            raise InputError(f"its members decompress to more than the {_mb(cap)} limit for {limit.what} "
                             f"({info.filename!r:.60} declares {_mb(info.file_size)}: a decompression bomb, or a "
                             f"very large project: {limit.hint()})", source)


def read_zip_member(zf: zipfile.ZipFile, name: str, limit: Limit, source: str | Path) -> bytes:
    """The content of member ``name``, streamed and capped at ``limit``; InputError (naming ``source``,
    never a temporary file) for a missing, damaged, encrypted or oversized member."""
    cap = limit.value()
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise InputError(f"{name} is missing from the file", source) from None
    if info.flag_bits & 0x1:
        raise InputError(f"the member {name!r} is encrypted", source)
    if info.file_size > cap:
        raise InputError(f"{name} declares {_mb(info.file_size)}, over the {_mb(cap)} limit for {limit.what}; "
                         f"{limit.hint()}", source)
    out, total = [], 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    raise InputError(f"{name} decompresses to more than the {_mb(cap)} limit for {limit.what}",
                                     source)
                out.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"{name} inside the file is damaged ({str(exc)[:120] or type(exc).__name__})",
                         source) from None
    return b"".join(out)


def load_npz(data: bytes, limit: Limit, source: str | Path, name: str = "attention.npz") -> dict:
    """The arrays of an ``.npz`` held in ``data`` (e.g. a project member), by key, never unpickling.

    Each ``.npy`` header is checked before its array is allocated: no object dtype, and shape x item
    size must equal the member's declared size (a header claiming a 40 GB shape is refused, not
    allocated); all members together stay under ``limit``.
    """
    import numpy as np
    from numpy.lib import format as npy

    def bad(problem: str) -> InputError:
        return InputError(f"{name} inside the file {problem}", source)

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise bad("is not a readable npz archive") from None
    arrays = {}
    with zf:
        check_zip(zf, limit, source)
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            key = info.filename[:-4]
            raw = read_zip_member(zf, info.filename, limit, source)
            fh = io.BytesIO(raw)
            try:
                version = npy.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, dtype = npy.read_array_header_1_0(fh, max_header_size=10_000)
                else:
                    shape, fortran, dtype = npy.read_array_header_2_0(fh, max_header_size=10_000)
            except (ValueError, SyntaxError, TypeError) as exc:
                raise bad(f"has a damaged array {key!r} ({str(exc)[:80]})") from None
            if dtype.hasobject or dtype.itemsize == 0 and dtype.kind not in "US":
                raise bad(f"holds an array {key!r} of Python objects; only plain numbers and text are read")
            count = 1
            for n in shape:
                count *= int(n)
            if count * dtype.itemsize != len(raw) - fh.tell():
                raise bad(f"has an array {key!r} whose shape {tuple(shape)} does not match its "
                          f"{len(raw) - fh.tell():,} bytes")
            fh.seek(0)
            try:
                arrays[key] = npy.read_array(fh, allow_pickle=False)
            except (ValueError, OSError) as exc:
                raise bad(f"has a damaged array {key!r} ({str(exc)[:80]})") from None
    return {k: np.asarray(v) for k, v in arrays.items()}
