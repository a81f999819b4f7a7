"""The conformance tests drive the same dev stack fixtures as the e2e tests."""

from tests.e2e.conftest import admin, dev_stack, no_contract_violations, org_id, public

__all__ = ["admin", "dev_stack", "no_contract_violations", "org_id", "public"]
