"""Finding 3, by a fuzzer: schemathesis sends requests generated from the OpenAPI document to a real
server on PostgreSQL; none answers 5xx. Bounded to a few examples per operation, valid and invalid."""

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.security.test_servers import ADMIN_TOKEN, serving
from tests.support import databases

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(databases.backend() != "postgres", reason="the fuzzing run is against PostgreSQL"),
]
EXAMPLES_PER_OPERATION = 15
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_no_generated_request_answers_5xx(clean_database: databases.TestDatabase) -> None:
    environment = {
        "STOREFRONT_ERP_EMULATOR_DEMO_ITEMS": "20",
        "STOREFRONT_RATE_LIMIT_ORDERS": "1000000/second",
        "STOREFRONT_RATE_LIMIT_QUOTES": "1000000/second",
        "STOREFRONT_ZOHO_WEBHOOK_ALLOW_UNSIGNED": "true",
    }
    with serving("uvicorn", clean_database, **environment) as base:
        schema = schemathesis.openapi.from_url(base + "/openapi.json", headers=AUTH)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 15
        for operation, mode in itertools.product(operations, GenerationMode):

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def no_5xx(case: schemathesis.Case) -> None:
                response = case.call(base_url=base, headers=AUTH, timeout=30)
                assert response.status_code < 500, (case.method, case.formatted_path, response.text)

            try:
                no_5xx()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing invalid to send to this operation
