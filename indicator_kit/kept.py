"""What a command keeps in the state folder to be quicker the next time: the loaded catalog
(`load_spec`) and the verdicts of the files it judged (`collect.recall`).

Each is a pickle, so each is signed with the office key and its signature checked before
anything in it is unpickled: a file written by other hands (another workspace, a damaged or
crafted one) is never read, as if absent. Each is valid only for what made it, and that includes
this code (`code_hash`). Losing one only costs the next command its speed: none is ever needed,
and one that cannot be written is not an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import pickle
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from indicator_kit import secret
from indicator_kit.catalog.loader import load_spec
from indicator_kit.catalog.spec import Spec
from indicator_kit.errors import FaultError
from indicator_kit.files import write_atomic

SPEC = "spec.pickle"  # in the state folder
_SPEC_KIND = b"indicator-kit catalog 1\n"
# what reads a workbook besides this package: another version may read the same bytes otherwise
_READERS = ("python-calamine", "xlrd", "defusedxml", "PyYAML", "jsonschema")


@functools.cache
def code_hash() -> str | None:
    """This code, its Python and its readers; None when the package's sources cannot be read
    (then nothing kept is used: what unknown code made is never taken)."""
    digest = hashlib.sha256(f"{sys.version} {platform.machine()}".encode())
    for name in _READERS:
        try:
            digest.update(f"{name} {version(name)}".encode())
        except PackageNotFoundError:
            digest.update(name.encode())
    package = Path(__file__).resolve().parent
    try:
        sources = sorted(package.rglob("*.py"))  # an edited checkout is other code too
        if not sources:
            return None
        for source in sources:
            digest.update(source.relative_to(package).as_posix().encode())
            digest.update(source.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def signed(kind: bytes, payload: bytes) -> bytes:
    """`payload` as a file of `kind`, signed with the office key."""
    return kind + _signature(kind, payload) + payload


def read_signed(path: Path, kind: bytes) -> bytes | None:
    """The payload of a file `signed` as `kind` with the office key; None for anything else."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    signature, payload = data[len(kind) : len(kind) + 32], data[len(kind) + 32 :]
    if data.startswith(kind) and hmac.compare_digest(signature, _signature(kind, payload)):
        return payload
    return None


def keep(path: Path, data: bytes) -> None:
    """Write a kept file; a refusal of the system only costs the next command its speed."""
    with contextlib.suppress(OSError, FaultError):
        write_atomic(path, data)


def _signature(kind: bytes, payload: bytes) -> bytes:
    return hmac.new(secret.office_key(), kind + payload, hashlib.sha256).digest()


def load_spec_kept(spec_dir: Path, state_dir: Path) -> Spec:
    """`load_spec(spec_dir)`, taken from the state folder when neither the spec's files nor this
    code changed since it was kept there (YAML, JSON schema checks and the model are then
    skipped: most of a command's start). Needs the office key in force."""
    code = code_hash()
    if code is None:
        return load_spec(spec_dir)
    digest = hashlib.sha256(code.encode())
    for path in sorted(p for p in spec_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(spec_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    made_from = digest.hexdigest()
    payload = read_signed(state_dir / SPEC, _SPEC_KIND)
    if payload is not None:
        with contextlib.suppress(Exception):  # (signed: only a bug of ours could make it unreadable)
            stored_from, spec = pickle.loads(payload)
            if stored_from == made_from and isinstance(spec, Spec):
                return spec
    spec = load_spec(spec_dir)
    keep(state_dir / SPEC, signed(_SPEC_KIND, pickle.dumps((made_from, spec), protocol=5)))
    return spec
