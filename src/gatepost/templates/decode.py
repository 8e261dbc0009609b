"""Read a CloudFormation template with cfn-lint's decoder: YAML (short-form tags such as `!Ref`, `!Sub`)
or JSON, duplicate keys refused with both lines, and every node's line kept for located errors."""

from __future__ import annotations

import json
import re
from typing import Any

from gatepost.config.located import Loc, Located
from gatepost.errors import ConfigError, ConfigIssue

_DUPLICATE = re.compile(r"Duplicate found '?(.+?)'? \(line (\d+)\)")
INSTALL_HINT = "pip install 'gatepost[templates]' (aws-sam-translator and cfn-lint)"


class TemplateLocated(Located):
    """The template's data and each node's line, for error messages (built from cfn-lint's nodes)."""

    def __init__(self, file: str, data: Any, lines: dict[Loc, int]) -> None:  # no super(): already parsed
        self.file = file
        self.data = data
        self.lines = lines


def decode(text: str, file: str) -> TemplateLocated:
    try:
        from cfnlint.decode import decode_str
    except ImportError:
        raise ConfigError([ConfigIssue(file, "(file)", "reading a CloudFormation template needs cfn-lint",
                                       INSTALL_HINT)]) from None
    template, matches = decode_str(text)
    if matches or template is None:
        raise ConfigError(_parse_issues(file, matches))
    lines: dict[Loc, int] = {}
    _index(template, (), lines)
    data = json.loads(json.dumps(template))  # cfn-lint's str/dict nodes -> plain values
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(file, "(top level)", "a template must be a mapping with `Resources:`",
                                       "see docs/templates.md")])
    return TemplateLocated(file, data, lines)


def _parse_issues(file: str, matches: list[Any]) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    duplicates: dict[str, list[int]] = {}
    for match in matches:
        found = _DUPLICATE.search(str(match.message))
        if found:
            duplicates.setdefault(found.group(1), []).append(int(found.group(2)))
        else:
            issues.append(ConfigIssue(f"{file}:{match.linenumber}", f"column {match.columnnumber}",
                                      f"not a valid template: {match.message}",
                                      "check indentation, quoting and tags around that place"))
    for key, at in duplicates.items():
        first, *others = sorted(set(at))
        for line in others or [first]:
            issues.append(ConfigIssue(f"{file}:{line}", key,
                                      f"duplicate key {key!r}: already set at line {first}; the template would "
                                      "silently keep only one of the two", f"keep one {key!r} and delete the other"))
    return issues or [ConfigIssue(file, "(file)", "not a valid template", "check it with cfn-lint")]


def _index(node: Any, loc: Loc, lines: dict[Loc, int]) -> None:
    mark = getattr(node, "start_mark", None)
    if mark is not None:
        lines[loc] = mark.line + 1
    if isinstance(node, dict):
        for key, value in node.items():
            key_mark = getattr(key, "start_mark", None)
            _index(value, (*loc, str(key)), lines)
            if key_mark is not None:
                lines[(*loc, str(key))] = key_mark.line + 1
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _index(item, (*loc, i), lines)
