"""The published response schemas of the three APIs convo speaks, as JSON Schema (2020-12).

Wassist and AnyReach publish OpenAPI 3.0 files; they are read from the spec directory (the
--spec-dir option or the CONVO_SPEC_DIR environment variable) and their component schemas
converted: `nullable: true` adds "null" to the type, `$ref: '#/components/schemas/X'` points
at `#/$defs/X`, OpenAPI-only keywords are dropped. HelloAnnie publishes only a field list; its
schema is written by hand next to this file (helloannie-conversation.schema.json).

Schema names: "wassist/<Component>", "anyreach/<Component>" (any component of the file, e.g.
"wassist/Conversation", "anyreach/Conversation", "anyreach/TextEmailCreateResponse"), exactly
as published; "convo-anyreach/<Component>", the same AnyReach components with convo's
documented deviations (ANYREACH_DEVIATIONS below) and nothing else relaxed: what convo's native
outputs are checked against; "helloannie/CreateConversationResponse" (the {"success","data"}
body) and "helloannie/Conversation" (what "data" holds).

`format` is checked for "uuid" and "date-time" by our own checkers, so the result does not
depend on which optional packages jsonschema finds installed.
"""

import copy
import datetime
import json
import os
import re
from pathlib import Path

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
OPENAPI_FILES = {
    "wassist": "wassist-create-conversation.openapi.yaml",
    "anyreach": "anyreach-create-conversation.openapi.yaml",
}
HELLOANNIE_FILE = HERE / "helloannie-conversation.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Where convo's native shape differs from AnyReach's published `Conversation`, on purpose (the
# shape is released): property -> the values it may take besides the published ones. None is
# null (the value is not set); a string is a value added to the property's enum. Documented in
# docs/formats.md, "Where convo's AnyReach shape differs from AnyReach's published schema".
# These are the only relaxations: every other property, and each of these properties' other
# rules (type, the published enum values), are checked as published. A deviation that the
# published schema already allows is an error when the schemas load, so the list stays minimal.
ANYREACH_DEVIATIONS = {
    "channel": ("sms", "whatsapp"),   # the channels of the Wassist and HelloAnnie seeds
    "agent_number": (None,),          # no agent number (every channel but telephone)
    "initial_context": (None,),       # not given at create
    "summary": (None,),               # not annotated yet
    "agent_id": (None,),              # an inline agent_config
    "agent_version_id": (None,),      # an inline agent_config
    "agent": (None,),                 # an inline agent_config without a name
    "agent.id": (None,),              # an inline agent_config with a name
}
DEVIATED_COMPONENT = "Conversation"

# OpenAPI 3.0 schema keywords that JSON Schema does not have (nullable is handled apart).
_OPENAPI_ONLY = {"nullable", "example", "xml", "externalDocs", "discriminator", "deprecated"}
# Keywords whose value is a map from names to schemas, a schema, or a list of schemas.
_SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions"}
_SCHEMA_VALUES = {"items", "additionalProperties", "not", "propertyNames", "contains"}
_SCHEMA_LISTS = {"allOf", "anyOf", "oneOf"}

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))")


class SchemaError(Exception):
    """The schemas cannot be loaded (no spec directory, missing file, unknown name)."""


def openapi_to_json_schema(node):
    """One OpenAPI 3.0 schema object (and everything under it) as JSON Schema 2020-12."""
    if isinstance(node, list):
        return [openapi_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in _OPENAPI_ONLY:
            continue
        if key == "$ref":
            out[key] = value.replace("#/components/schemas/", "#/$defs/")
        elif key in _SCHEMA_MAPS:
            out[key] = {name: openapi_to_json_schema(s) for name, s in value.items()}
        elif key in _SCHEMA_VALUES or key in _SCHEMA_LISTS:
            out[key] = openapi_to_json_schema(value)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in node:
                out[key] = node[bound]
        else:
            out[key] = copy.deepcopy(value)
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        bound = "minimum" if key == "exclusiveMinimum" else "maximum"
        if node.get(key) is True:
            out.pop(bound, None)
    if node.get("nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = types + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def with_deviations(defs, component=DEVIATED_COMPONENT, deviations=None):
    """A copy of the converted AnyReach `defs` where each property of `component` named in
    `deviations` (default ANYREACH_DEVIATIONS) may also take the listed values. A property given
    by `$ref` gets its own copy of the referenced schema, so other users of it (the create
    request's `channel`) stay as published."""
    deviations = ANYREACH_DEVIATIONS if deviations is None else deviations
    defs = copy.deepcopy(defs)
    for name, values in deviations.items():
        # "agent.id": the property `id` of the property `agent`.
        *outer, last = name.split(".")
        properties = defs.get(component, {}).get("properties", {})
        for part in outer:
            properties = _own_copy(defs, properties, component, name, part).get("properties", {})
        prop = _own_copy(defs, properties, component, name, last)
        for value in values:
            if value is None:
                types = prop.get("type")
                if types is None:
                    raise SchemaError(f"deviation {component}.{name}: the property has no type to add null to")
                types = types if isinstance(types, list) else [types]
                if "null" in types:
                    raise SchemaError(f"deviation {component}.{name}: the published schema already allows null")
                prop["type"] = types + ["null"]
                if "enum" in prop:
                    prop["enum"] = prop["enum"] + [None]
            else:
                if "enum" not in prop:
                    raise SchemaError(f"deviation {component}.{name}: the property has no enum to add {value!r} to")
                if value in prop["enum"]:
                    raise SchemaError(f"deviation {component}.{name}: the published enum already has {value!r}")
                prop["enum"] = prop["enum"] + [value]
    return defs


def _own_copy(defs, properties, component, name, part):
    """properties[part], replaced by its own copy when given by `$ref`."""
    if part not in properties:
        raise SchemaError(f"deviation {component}.{name}: no such property in the published schema")
    prop = properties[part]
    if set(prop) == {"$ref"} and prop["$ref"].startswith("#/$defs/"):
        prop = copy.deepcopy(defs[prop["$ref"][len("#/$defs/"):]])
        properties[part] = prop
    return prop


def spec_dir(given=None):
    """The directory holding the OpenAPI files: `given`, else $CONVO_SPEC_DIR."""
    path = given or os.environ.get("CONVO_SPEC_DIR")
    if not path:
        raise SchemaError("no spec directory: pass --spec-dir DIR or set CONVO_SPEC_DIR "
                          "(the directory with " + ", ".join(sorted(OPENAPI_FILES.values())) + ")")
    return Path(path)


def load_schemas(directory=None):
    """Every named schema: {"wassist/Conversation": {...}, ...}."""
    directory = spec_dir(directory)
    schemas = {}
    for api, filename in OPENAPI_FILES.items():
        path = directory / filename
        try:
            with open(path, encoding="utf-8") as f:
                document = yaml.safe_load(f)
        except OSError as e:
            raise SchemaError(f"cannot read {path}: {e.strerror}") from e
        components = document.get("components", {}).get("schemas", {})
        defs = {name: openapi_to_json_schema(s) for name, s in components.items()}
        for name in defs:
            schemas[f"{api}/{name}"] = {"$schema": DIALECT, "$ref": f"#/$defs/{name}", "$defs": defs}
        if api == "anyreach":
            relaxed = with_deviations(defs)
            for name in relaxed:
                schemas[f"convo-anyreach/{name}"] = {"$schema": DIALECT, "$ref": f"#/$defs/{name}",
                                                     "$defs": relaxed}
    with open(HELLOANNIE_FILE, encoding="utf-8") as f:
        helloannie = json.load(f)
    schemas["helloannie/CreateConversationResponse"] = helloannie
    schemas["helloannie/Conversation"] = {"$schema": DIALECT, "$ref": "#/$defs/Conversation",
                                          "$defs": helloannie["$defs"]}
    return schemas


def format_checker():
    """Checks format "uuid" (8-4-4-4-12 hex digits) and "date-time" (RFC 3339)."""
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("uuid")
    def is_uuid(value):
        return not isinstance(value, str) or _UUID.fullmatch(value) is not None

    @checker.checks("date-time")
    def is_date_time(value):
        if not isinstance(value, str):
            return True
        m = _DATE_TIME.fullmatch(value)
        if m is None:
            return False
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        try:
            datetime.datetime(year, month, day, hour, minute, second)
        except ValueError:
            return False
        return m.group(9) is None or (int(m.group(9)) < 24 and int(m.group(10)) < 60)

    return checker


def validator(schemas, name):
    """A validator for the schema called `name`."""
    if name not in schemas:
        raise SchemaError(f"unknown schema {name!r}; known: {', '.join(sorted(schemas))}")
    schema = schemas[name]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=format_checker())


def _message(e):
    """The rule `e` broke, with values shown as JSON (null, true), not as Python (None, True)."""
    shown = json.dumps(e.instance)
    if e.validator == "type":
        return f"{shown} is not of type {json.dumps(e.validator_value)}"
    if e.validator == "enum":
        return f"{shown} is not one of {json.dumps(e.validator_value)}"
    if e.validator == "format":
        return f"{shown} is not a {e.validator_value!r}"
    return e.message


def errors(schemas, name, document):
    """Each way `document` breaks the schema `name`, as (JSON pointer, message), sorted."""
    found = []
    for e in validator(schemas, name).iter_errors(document):
        pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in e.absolute_path)
        found.append((pointer or "/", _message(e)))
    return sorted(found)


def deviations_used(schemas, name, document):
    """For a "convo-anyreach/<Component>" document: which of ANYREACH_DEVIATIONS it needs, as
    sorted (property, value as JSON) pairs, read off its errors against the published schema."""
    if not name.startswith("convo-anyreach/"):
        return []
    used = set()
    published = "anyreach/" + name[len("convo-anyreach/"):]
    for e in validator(schemas, published).iter_errors(document):
        path = [str(p) for p in e.absolute_path]
        # the longest dotted tail of the error's path that names a deviation ("agent.id")
        names = [".".join(path[-k:]) for k in range(len(path), 0, -1)]
        name = next((n for n in names if n in ANYREACH_DEVIATIONS), None)
        if name and e.validator in ("type", "enum") and e.instance in ANYREACH_DEVIATIONS[name]:
            used.add((name, json.dumps(e.instance)))
    return sorted(used)

