"""The one-pass import collects garbage less often while it runs, and restores the thresholds."""

import gc

import pytest

from ledger.services import _IMPORT_GC_THRESHOLD, _fewer_collections


def test_thresholds_are_raised_during_and_restored_after_even_on_error():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), _fewer_collections():
        assert gc.get_threshold() == _IMPORT_GC_THRESHOLD
        raise RuntimeError("a failed import")
    assert gc.get_threshold() == before
