"""Regenerates create_response.schema.json from OpenAI's full OpenAPI spec (not run by the tests).

Usage: python tests/targets/data/extract_schema.py PATH/TO/openapi.yaml [COMMIT DATE]

Keeps only `CreateResponse` and the component schemas it reaches, as a JSON Schema (2020-12)
document: every `#/components/schemas/X` reference becomes `#/$defs/X`, so the extract resolves
on its own. Nothing else of the spec is copied.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = "CreateResponse"
SPEC_PREFIX = "#/components/schemas/"
OUT = Path(__file__).with_name("create_response.schema.json")


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"][len(SPEC_PREFIX):]} if str(node.get("$ref", "")).startswith(SPEC_PREFIX) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _localised(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: ("#/$defs/" + v[len(SPEC_PREFIX):] if k == "$ref" and isinstance(v, str) and v.startswith(SPEC_PREFIX)
                    else _localised(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_localised(v) for v in node]
    return node


def extract(spec: dict[str, Any], source: str) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    reached, todo = set(), [ROOT]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(_refs(schemas[name]) - reached)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": source,
        "$ref": f"#/$defs/{ROOT}",
        "$defs": {name: _localised(schemas[name]) for name in sorted(reached)},
    }


def main(argv: list[str]) -> None:
    if not argv or len(argv) > 3:
        sys.exit(__doc__)
    spec = yaml.load(Path(argv[0]).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    commit, date = (argv[1:] + ["unknown", "unknown"])[:2]
    source = (f"Extract of components.schemas.{ROOT} and the schemas it reaches, from openai/openai-openapi "
              f"openapi.yaml (info.version {spec['info']['version']}) at commit {commit} ({date}); "
              "regenerate with tests/targets/data/extract_schema.py")
    OUT.write_text(json.dumps(extract(spec, source), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
