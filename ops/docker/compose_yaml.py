"""Compose files as YAML: a safe loader that refuses a key given twice and keeps Compose's own tags as values."""

from __future__ import annotations

from collections.abc import Hashable
from typing import IO, Any

import yaml

NotYaml = yaml.YAMLError


def load_documents(handle: IO[bytes]) -> list[Any]:
    """Every YAML document of an open compose file (raises NotYaml)."""
    return list(yaml.load_all(handle, Loader=_ComposeLoader))


class _ComposeLoader(getattr(yaml, 'CSafeLoader', yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading as Compose reads it: a key given twice is an error; `!reset`, `!override` keep their value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == 'tag:yaml.org,2002:merge':
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # SafeConstructor refuses it with its own message
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f'the key {key!r} is given twice', key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_ComposeLoader.add_multi_constructor('!', _plain)
