import datetime as dt

import pytest

ON = dt.date(2026, 11, 29)


@pytest.fixture
def on():
    return ON
