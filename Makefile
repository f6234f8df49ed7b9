.PHONY: run test lint openapi fmt

# Start a private PostgreSQL (in .pg/), migrate, load demo data and serve on 127.0.0.1:8080.
run:
	bash scripts/run.sh

# The whole test suite against a throwaway PostgreSQL cluster.
test:
	bash scripts/test.sh

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

# Regenerate openapi/openapi.json from the code.
openapi:
	cargo run -q --bin liaison -- openapi > openapi/openapi.json

fmt:
	cargo fmt
