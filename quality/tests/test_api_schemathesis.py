"""Schemathesis over the OpenAPI schema (/api/schema/), in process against the WSGI app:
every operation, as the city administrator (token) and anonymously. No input gives a 500; an
answer is either a status the schema declares for the operation or a 4xx refusal."""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

EXAMPLES = (
    3  # per operation, persona and mode (valid and invalid input): the whole file stays well under a minute
)


def _declared(operation) -> set[str]:
    return {str(code) for code in operation.definition.raw.get("responses", {})}


def _check(operation, case, response, who: str, problems: list[str], seen: dict) -> None:
    status = response.status_code
    seen.setdefault(who, []).append(status)
    label = f"{operation.label} as {who}: {case.method} {case.formatted_path} → {status}"
    if status >= 500:
        problems.append(f"{label} (server error)")
        return
    declared = _declared(operation)
    if 400 <= status < 500 or str(status) in declared or "default" in declared:
        return
    problems.append(f"{label} (not declared: {sorted(declared)})")


def _runner(operation, mode, who: str, headers: dict, problems: list[str], seen: dict):
    from django.core.cache import cache

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        cache.clear()  # the throttles count per test, not across generated cases
        response = case.call(headers=headers)
        _check(operation, case, response, who, problems, seen)

    return run


def _run_all(operations, token, problems: list[str], seen: dict) -> None:
    for operation in operations:
        for who, headers in (("admin", {"Authorization": f"Token {token.key}"}), ("anonymous", {})):
            _runner(operation, GenerationMode.POSITIVE, who, headers, problems, seen)()
            try:
                _runner(operation, GenerationMode.NEGATIVE, who, headers, problems, seen)()
            except Unsatisfiable:
                pass  # nothing to make invalid: the operation takes no parameters or body


@pytest.fixture
def _connection_kept():
    """A real WSGI call closes "old" connections when it ends, which would close the test's
    connection inside its transaction (PostgreSQL); Django's own test client avoids it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_input_gives_a_server_error(_connection_kept, city, settings):
    from django.core.cache import cache

    # The public endpoints' limits would turn most generated cases into 429s.
    settings.PUBLIC_RATE_LIMIT = {"help_request": (10**6, 3600), "self_check": (10**6, 60)}
    cache.clear()
    started = time.perf_counter()
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    token = Token.objects.create(user=city.admin)
    problems: list[str] = []
    seen: dict[str, list[int]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    _run_all(operations, token, problems, seen)
    print(
        f"\nschemathesis: {len(operations)} operations × 2 personas × valid/invalid input, "
        f"{sum(len(v) for v in seen.values())} calls, {time.perf_counter() - started:.1f} s"
    )
    assert len(operations) >= 10
    # The token works: the administrator's calls do get through (not only refusals).
    assert sum(200 <= s < 300 for s in seen["admin"]) >= len(operations) // 2
    assert not problems, "\n".join(sorted(set(problems)))
