.PHONY: run test lint openapi fmt bench

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

# The benchmark (not part of `make test`): SCALE=small|district|province; writes bench/RESULTS.md.
bench:
	SCALE=$(or $(SCALE),district) bash bench/run.sh
