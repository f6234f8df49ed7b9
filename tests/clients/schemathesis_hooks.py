"""Hooks for schemathesis runs (scripts/live-contract.sh)."""
