"""Records one asset writes and another reads, kept as JSON files in the artifact store.

An asset hands its result to the next one through a record class, not by importing the other
asset's module: the class names the file (`ARTIFACT`) and the asset that writes it
(`WRITTEN_BY`), and its fields are the contract. `load` checks a file against the fields before
anyone reads a key from it, so a file from another version of the code fails where it is read,
naming the file and the key that differs, instead of as a KeyError in some later asset.

Framework-free: any object with the artifact store's `path`, `write_json` and `write_bytes`
(resources.ArtifactStore, local or S3) will do.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, TypeVar

R = TypeVar("R")


class ArtifactFiles(Protocol):
    """What a record needs from the artifact store: a local path to read (a remote store
    downloads the file first when it has it) and writers that put a file in the store."""

    def path(self, *parts: str) -> Path: ...

    def write_json(self, relative_path: str, payload: Any) -> Path: ...

    def write_bytes(self, relative_path: str, payload: bytes) -> Path: ...


class MissingArtifact(FileNotFoundError):
    """A hand-off file is not in the store: the asset that writes it has not run there."""


class MalformedArtifact(ValueError):
    """A hand-off file is in the store but is not the record its reader expects."""


def missing(relative_path: str, path: Path, written_by: str) -> MissingArtifact:
    """The error for a hand-off file that is not there, saying which asset to run."""
    return MissingArtifact(f"{relative_path} is not in the artifact store ({path}): materialize {written_by} first")


def read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in `path`; MalformedArtifact (naming the file) when it is not one."""
    try:
        content = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MalformedArtifact(f"{path}: not a JSON file ({error})") from error
    if not isinstance(content, dict):
        raise MalformedArtifact(f"{path}: expected a JSON object, found {type(content).__name__}")
    return content


def check_keys(record_type: type, content: dict[str, Any], source: str, ignore: frozenset[str] = frozenset()) -> None:
    """MalformedArtifact unless `content` has exactly the init fields of the dataclass
    `record_type` (keys in `ignore` aside); a field with a default may be absent (a record
    written before the field existed). `source` says where the content came from."""
    fields = [f for f in dataclasses.fields(typing.cast(Any, record_type)) if f.init]
    expected = {f.name for f in fields}
    optional = {f.name for f in fields if _has_default(f)}
    found = set(content) - ignore
    absent, extra = sorted(expected - found - optional), sorted(found - expected)
    if absent or extra:
        problems = [f"missing key {k!r}" for k in absent] + [f"unexpected key {k!r}" for k in extra]
        raise MalformedArtifact(f"{source}: {', '.join(problems)} (a {record_type.__name__} has {sorted(expected)})")


def _has_default(field: dataclasses.Field) -> bool:
    return field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING


def record_from_dict(record_type: type[R], content: Any, source: str) -> R:
    """`content` (parsed JSON) as the dataclass `record_type`, every field checked against its
    annotation; nested dataclasses are built too. Errors name `source` and the key."""
    if not isinstance(content, dict):
        raise MalformedArtifact(f"{source}: expected a JSON object, found {type(content).__name__}")
    check_keys(record_type, content, source)
    hints = typing.get_type_hints(record_type)
    return record_type(
        **{
            f.name: _convert(content[f.name], hints[f.name], f"{source}: key {f.name!r}")
            for f in dataclasses.fields(typing.cast(Any, record_type))
            if f.init and f.name in content
        }
    )


def _convert(value: Any, annotation: Any, where: str) -> Any:
    """`value` as `annotation` says (nested dataclasses built), or MalformedArtifact."""
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and types.NoneType in arguments:
            return None
        present = [a for a in arguments if a is not types.NoneType]
        if len(present) == 1:  # X | None: X's own error says more than "X or null"
            return _convert(value, present[0], where)
        for alternative in present:
            try:
                return _convert(value, alternative, where)
            except MalformedArtifact:
                continue
        raise MalformedArtifact(f"{where} should be {_name(annotation)}, found {_found(value)}")
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        if not isinstance(value, dict):
            raise MalformedArtifact(f"{where} should be a JSON object ({annotation.__name__}), found {_found(value)}")
        return record_from_dict(annotation, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise MalformedArtifact(f"{where} should be a JSON object, found {_found(value)}")
        inner = arguments[1] if arguments else Any
        return {k: _convert(v, inner, f"{where}[{k!r}]") for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise MalformedArtifact(f"{where} should be a list, found {_found(value)}")
        inner = arguments[0] if arguments else Any
        return [_convert(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
    if _is_instance(value, annotation):
        return value
    raise MalformedArtifact(f"{where} should be {_name(annotation)}, found {_found(value)}")


def _is_instance(value: Any, annotation: Any) -> bool:
    if annotation is None or annotation is types.NoneType:
        return value is None
    if annotation is float:  # as in Python's numeric tower: an int (a count, 0) is a float too
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(annotation, type) and isinstance(value, annotation)


def _name(annotation: Any) -> str:
    if annotation is None or annotation is types.NoneType:
        return "null"
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " or ".join(_name(a) for a in typing.get_args(annotation))
    return getattr(annotation, "__name__", str(annotation))


def _found(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r:.40}"


class ArtifactRecord:
    """Base of a frozen dataclass kept as one JSON file in the artifact store.

    Subclasses set `ARTIFACT` (the file, relative to the store) and `WRITTEN_BY` (the asset that
    writes it). Field values are JSON values or nested dataclasses of them."""

    ARTIFACT: ClassVar[str]
    WRITTEN_BY: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object the file holds."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, content: Any, source: str = "record") -> Self:
        """The record in `content`, checked field by field; errors name `source`."""
        return record_from_dict(cls, content, source)

    def save(self, artifacts: ArtifactFiles) -> Path:
        """Write the record to its file in the store; the local path written."""
        payload = self.to_dict()
        # A record its reader would refuse is refused here, where the writer can still be found.
        self.from_dict(json.loads(json.dumps(payload, default=str)), f"{self.ARTIFACT} (before writing)")
        return artifacts.write_json(self.ARTIFACT, payload)

    @classmethod
    def read(cls, path: Path) -> Self:
        """The record in the JSON file `path`; MalformedArtifact naming the file and key otherwise."""
        return cls.from_dict(read_json_object(path), str(path))

    @classmethod
    def load(cls, artifacts: ArtifactFiles) -> Self:
        """The record in the store; MissingArtifact (saying which asset to run) when it is not there."""
        path = artifacts.path(cls.ARTIFACT)  # a remote store downloads the file first
        if not path.exists():
            raise missing(cls.ARTIFACT, path, cls.WRITTEN_BY)
        return cls.read(path)

    @classmethod
    def load_if_present(cls, artifacts: ArtifactFiles) -> Self | None:
        """The record in the store, or None when its asset has not run."""
        try:
            return cls.load(artifacts)
        except MissingArtifact:
            return None
