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

# Lint with Redocly CLI's recommended ruleset: zero errors (warnings are shown too). Installed
# from the npm registry into a git-ignored directory, kept between runs.
TOOLS="${LIAISON_NODE_TOOLS:-$PWD/.tools/node}"
REDOCLY_VERSION=2.77.0
if [ ! -x "$TOOLS/node_modules/.bin/redocly" ] \
    || ! grep -q "\"version\": \"$REDOCLY_VERSION\"" "$TOOLS/node_modules/@redocly/cli/package.json" 2>/dev/null; then
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "@redocly/cli@$REDOCLY_VERSION" >/dev/null
fi
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    "$TOOLS/node_modules/.bin/redocly" lint openapi/openapi.json --format=summary 2>&1 \
    | grep -v '[║╔╚]' | sed '/^\s*$/d'
