#!/usr/bin/env bash
# Validates the committed OpenAPI document against the OpenAPI 3.1 schema.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LIAISON_TOOLS_VENV:-$PWD/.venv-tools}"
if [ ! -x "$VENV/bin/openapi-spec-validator" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "openapi-spec-validator==0.7.1"
fi
"$VENV/bin/python" - openapi/openapi.json <<'PY'
import json, sys
from openapi_spec_validator import validate
from openapi_spec_validator import OpenAPIV31SpecValidator
with open(sys.argv[1]) as f:
    spec = json.load(f)
assert spec["openapi"].startswith("3.1"), f"expected OpenAPI 3.1, got {spec['openapi']}"
validate(spec, cls=OpenAPIV31SpecValidator)
print(f"openapi/openapi.json is valid OpenAPI {spec['openapi']} ({len(spec['paths'])} paths)")
PY
