"""What only the database can make valid, narrowed in the documents before
the runs read them (the server's own document is not changed): a field
naming a user may name only the account's user (PI_FUZZ_USER) or nobody,
and a contact's custom-field values, which name the account's own fields,
are left out (tests/app/api_custom_values.rs covers them). Narrowed in the
schema rather than in generated bodies, every phase (coverage included)
draws from it, and a value outside it is a negative case the server must
refuse."""

import os

import schemathesis

USER_FIELDS = ("assignedTo", "userId")


def _narrow(node, user):
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for field in USER_FIELDS:
                if isinstance(properties.get(field), dict):
                    properties[field] = {"enum": [user, "", None]}
            if isinstance(properties.get("customFields"), dict):
                properties["customFields"] = {"type": ["array", "null"], "maxItems": 0}
        for value in node.values():
            _narrow(value, user)
    elif isinstance(node, list):
        for value in node:
            _narrow(value, user)


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    user = os.environ.get("PI_FUZZ_USER")
    # Ours only (OpenAPI 3.1): HighLevel's 3.0 documents are run for their
    # response schemas, where a refused request is an answer like any other.
    if not user or not str(raw_schema.get("openapi", "")).startswith("3.1"):
        return
    # Requests only: answers carry what the database holds.
    for name, schema in raw_schema.get("components", {}).get("schemas", {}).items():
        if name.endswith("Input"):
            _narrow(schema, user)
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                _narrow(operation["requestBody"], user)
