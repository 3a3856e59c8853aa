"""Reading YAML a user hands us, with limits: a hostile file ends in a clear error, quickly.

``yaml.safe_load`` never runs code, but it accepts duplicate keys (the last one silently
wins), nests as deep as the file likes (20,000 levels raise ``RecursionError``) and lets
anchors and aliases repeat a value: a 360-byte "billion laughs" file stands for 387 million
strings, harmless until something walks it (a ``repr`` in an error message took 3 GB).
``load_yaml`` refuses all three, and files over ``MAX_FILE_BYTES``, with a ``ScenarioError``
naming the file, the key (or line) and the limit. Aliases themselves stay allowed while the
document they expand to is small.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .errors import ScenarioError, key_text, short_repr

MAX_FILE_BYTES = 2_000_000     # a scenario or experiment file is a few kB; fitted fragments tens of kB
MAX_DEPTH = 50                 # nesting levels of mappings and lists (the deepest project file has 8)
MAX_VALUES = 200_000           # values (keys, scalars, lists, mappings) once every alias is expanded

MERGE_TAG = "tag:yaml.org,2002:merge"


class LimitError(yaml.MarkedYAMLError):
    """Valid YAML that simlib will not read (too deep, a value Python cannot convert)."""

    def __init__(self, key: str, problem: str, mark):
        super().__init__(problem=problem, problem_mark=mark)
        self.key = key


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _SafeLoader(Composer, CParser, SafeConstructor, Resolver):
        """yaml.SafeLoader with libyaml's parser (30x faster on a 1 MB file) under Python's composer,
        so that the depth check below sees every node."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
else:  # pragma: no cover - PyYAML wheels ship libyaml
    _SafeLoader = yaml.SafeLoader


class LimitedLoader(_SafeLoader):
    """A safe loader that stops composing past ``MAX_DEPTH`` levels and reports, instead of
    raising ``ValueError``, scalars Python cannot convert (a 5,000-digit integer, 2024-02-30)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self.top_key = ""    # the top-level key being composed, for messages
        self.paths: dict[int, str] = {}   # id(node) -> key path, once the tree is checked

    def compose_node(self, parent, index):
        if self._depth == 1:   # a top-level key (index None) or its value (index: the key's node)
            self.top_key = key_text(index.value) if isinstance(index, ScalarNode) else ""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH and not self.check_event(yaml.AliasEvent):
                raise LimitError(self.top_key, f"nesting deeper than {MAX_DEPTH} levels (lists or mappings "
                                               "inside each other)", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise LimitError(self.paths.get(id(node), ""), f"cannot read the value {short_repr(node.value)} "
                             f"({short_repr(str(exc), 100)[1:-1]})", node.start_mark) from None


def read_yaml_file(path: Path, source: str):
    """The data in the YAML file ``path`` (``source`` is how messages name it)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(source, "", f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(source, "", f"the file is larger than {MAX_FILE_BYTES:,} bytes; scenario and "
                                        "experiment files hold settings, not data")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(source, "", f"not a UTF-8 text file (byte {exc.start}: {exc.reason}); "
                                        "save it as UTF-8 YAML") from None
    return load_yaml(text, source)


def load_yaml(text: str, source: str):
    """Parse one YAML document within the limits above; ``None`` for an empty document."""
    loader = None
    try:
        loader = LimitedLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        loader.paths = _check_tree(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = ", ".join(filter(None, [getattr(exc, "context", None), getattr(exc, "problem", None)])) or str(exc)
        if isinstance(exc, LimitError):
            raise ScenarioError(source, exc.key, where + problem) from None
        raise ScenarioError(source, loader.top_key if loader else "", f"{where}not valid YAML ({problem})") from None
    finally:
        if loader is not None:
            loader.dispose()


def _children(node) -> list:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return node.value
    return []


def _check_tree(root, source: str) -> dict[int, str]:
    """Refuse duplicate keys, and aliases that expand past MAX_VALUES or MAX_DEPTH; return the
    key path of every node (the first path it is reached by).

    The composed document is a graph in which an alias is a second reference to its anchor's
    node; each distinct node is visited once (sizes and depths memoised), so the check takes
    time in proportion to the file, not to what it expands to."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    path_of = {id(root): ""}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        if not children_done:
            stack.append((node, True))
            if isinstance(node, MappingNode):
                _check_duplicates(node, path_of[key], source)
                for k, v in node.value:
                    path_of.setdefault(id(v), _join(path_of[key], k))
                    path_of.setdefault(id(k), path_of[key])
            elif isinstance(node, SequenceNode):
                for i, item in enumerate(node.value):
                    path_of.setdefault(id(item), f"{path_of[key]}[{i}]")
            stack.extend((child, False) for child in _children(node) if id(child) not in size)
            continue
        kids = _children(node)
        size[key] = min(1 + sum(size[id(c)] for c in kids), MAX_VALUES + 1)
        depth[key] = 1 + max((depth[id(c)] for c in kids), default=0)
        if size[key] > MAX_VALUES or depth[key] > MAX_DEPTH:
            where = path_of[key].split(".")[0].split("[")[0]
            limit = (f"more than {MAX_VALUES:,} values" if size[key] > MAX_VALUES
                     else f"deeper than {MAX_DEPTH} levels")
            raise ScenarioError(source, where, f"expands to {limit} once its aliases (*name) are replaced by "
                                               "their anchors (&name); write the values out, or use fewer aliases")
    return path_of


def _check_duplicates(node: MappingNode, path: str, source: str) -> None:
    first_line: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
            continue  # merge keys (<<) may repeat keys on purpose; other keys are checked when built
        name = (key_node.tag, key_node.value)   # 1 and "1" are different keys
        line = key_node.start_mark.line + 1
        if name in first_line:
            raise ScenarioError(source, _join(path, key_node),
                                f"line {line}: duplicate key (first at line {first_line[name]}); "
                                "each key may appear once in a mapping")
        first_line[name] = line


def _join(path: str, key_node) -> str:
    name = key_text(key_node.value) if isinstance(key_node, ScalarNode) else "?"
    return f"{path}.{name}" if path else name
