"""Property-based run against the merged OpenAPI through the gateway, with a valid token.

Every operation in the one public document gets a bounded number of generated requests (fewer
once the time budget is spent, never none); none may answer 5xx, and every answer must match
the schema the document gives for it.
"""

import time

import httpx
import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES_PER_OPERATION = 6
TIME_BUDGET_S = 75.0


def _whole_document(url, timeout=60.0):
    """The merged document once every service's part is in it."""
    deadline = time.monotonic() + timeout
    while True:
        doc = httpx.get(url, timeout=30).json()
        if all(v == "ok" for v in doc["x-tandem-sources"].values()):
            return doc
        assert time.monotonic() < deadline, doc["x-tandem-sources"]
        time.sleep(1)


def test_the_merged_api_gives_no_5xx_and_no_answer_that_breaks_its_schema(system, token):
    url = f"{system.gateway_url}/openapi.json"
    schema = schemathesis.openapi.from_dict(_whole_document(url))
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    # The document really is the merged one: the gateway's routes and a service's.
    assert "GET /api/v1/customers/{customer_id}/360" in labels
    assert "GET /api/v1/dashboard" in labels
    assert "POST /api/v1/customers" in labels

    headers = token("schemathesis", ("admin",))
    failures: list[str] = []
    exercised: list[str] = []
    started = time.monotonic()
    for operation in operations:
        # Past the budget every remaining operation still gets a request, only fewer of them.
        over_budget = time.monotonic() - started > TIME_BUDGET_S

        @hypothesis.settings(
            max_examples=1 if over_budget else EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(
                base_url=system.gateway_url,
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance],
                timeout=15,
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
        exercised.append(operation.label)
    assert not failures, "\n\n".join(failures)
    assert len(exercised) == len(operations)
