"""YAML reading that remembers where every mapping and key came from.

Spec errors must name the line, so mappings are loaded as `LocatedDict`, which records the
line of each key. Duplicate keys, which PyYAML would silently overwrite, are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from indicator_kit.errors import SpecError


class LocatedDict(dict[str, Any]):
    line: int
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    line: int


# libyaml's parser (when PyYAML has it) is ~5x faster; the constructors below are the same.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"khóa '{key}' bị lặp lại", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; a syntax error becomes a SpecError naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError.single(
            path.name,
            "",
            f"không tìm thấy tệp {path.resolve()} (chạy lệnh trong thư mục dự án hoặc dùng --spec-dir)",
        ) from None
    except UnicodeDecodeError:
        raise SpecError.single(path.name, "", "tệp không phải văn bản UTF-8") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"dòng {mark.line + 1}" if mark else ""
        raise SpecError.single(path.name, line, f"YAML không hợp lệ: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise SpecError.single(path.name, "", f"YAML không hợp lệ: {exc}") from None


def line_of(node: Any, key: str | None = None) -> int | None:
    """The line of `node` (or of its `key`), when it was read from YAML."""
    if key is not None and isinstance(node, LocatedDict):
        return node.key_lines.get(key, node.line)
    return getattr(node, "line", None)
