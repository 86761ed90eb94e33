#!/usr/bin/python3
"""Validates convo's outputs against the published schemas of the API they claim to follow.

Input (a file, or stdin when the file is "-" or absent): one JSON object a line,
    {"schema": "<name>", "document": {...}, "label": "<what it is>"?}
with names as in schemas.py ("wassist/Conversation", "helloannie/CreateConversationResponse",
"anyreach/Conversation" as published, "convo-anyreach/Conversation" with convo's documented
deviations, ...). Blank lines are skipped.

Exit status: 0 when every document is valid, 1 when one is not (each failure is printed with
the document's line, label and schema, the failing path as a JSON pointer, and the rule),
2 when the input or the schemas cannot be read. The number of documents per schema, and how
often each documented AnyReach deviation was needed, are printed on stdout.

    emit_outputs | validate_outputs.py --spec-dir /path/to/spec -
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import schemas as schemas_module  # noqa: E402


def read_lines(stream):
    """(line number, schema name, label, document) of each non-blank line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"line {number}: not JSON: {e.msg}") from e
        if not isinstance(item, dict) or not isinstance(item.get("schema"), str) or "document" not in item:
            raise ValueError(f'line {number}: must be {{"schema": "<name>", "document": {{...}}}}')
        yield number, item["schema"], item.get("label", ""), item["document"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", nargs="?", default="-", help='a file of JSON lines, or "-" for stdin')
    parser.add_argument("--spec-dir", help="the directory of the OpenAPI files (default: $CONVO_SPEC_DIR)")
    args = parser.parse_args(argv)
    try:
        schemas = schemas_module.load_schemas(args.spec_dir)
        stream = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
        with stream:
            items = list(read_lines(stream))
        for _, name, _, _ in items:
            schemas_module.validator(schemas, name)  # an unknown name is an input error
    except (schemas_module.SchemaError, ValueError, OSError) as e:
        print(f"validate_outputs: {e}", file=sys.stderr)
        return 2
    if not items:
        print("validate_outputs: no documents to validate", file=sys.stderr)
        return 2
    failed = 0
    per_schema = Counter()
    deviations = Counter()
    for number, name, label, document in items:
        per_schema[name] += 1
        deviations.update(schemas_module.deviations_used(schemas, name, document))
        found = schemas_module.errors(schemas, name, document)
        if found:
            failed += 1
            what = f"line {number}" + (f" ({label})" if label else "")
            for pointer, message in found:
                print(f"INVALID {what} against {name}: at {pointer}: {message}", file=sys.stderr)
    for name in sorted(per_schema):
        print(f"  {name}: {per_schema[name]} documents")
    if deviations:
        print("  documented deviations from AnyReach's schema (schemas.ANYREACH_DEVIATIONS) relied on: "
              + ", ".join(f"{p} {v} x{n}" for (p, v), n in sorted(deviations.items())))
    if failed:
        print(f"validate_outputs: {failed} of {len(items)} documents invalid", file=sys.stderr)
        return 1
    print(f"validate_outputs: {len(items)} documents valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
