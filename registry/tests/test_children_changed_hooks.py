"""registry.hooks.children_changed: a hook module's batch function once per batch when it has
one, else its single-child function for each child."""

from __future__ import annotations

import sys
import types

import pytest

from registry import hooks


@pytest.fixture
def hook_modules(settings):
    calls: list[tuple] = []
    with_batch = types.ModuleType("fake_batch_hooks")
    with_batch.child_changed = lambda *, child, actor: calls.append(("batch-module single", child, actor))
    with_batch.children_changed = lambda *, children, actor: calls.append(("batch", tuple(children), actor))
    single_only = types.ModuleType("fake_single_hooks")
    single_only.child_changed = lambda *, child, actor: calls.append(("single", child, actor))
    sys.modules["fake_batch_hooks"] = with_batch
    sys.modules["fake_single_hooks"] = single_only
    settings.CHILD_CHANGED_HOOKS = ["fake_batch_hooks.child_changed", "fake_single_hooks.child_changed"]
    yield calls
    del sys.modules["fake_batch_hooks"], sys.modules["fake_single_hooks"]
    hooks._receivers.cache_clear()
    hooks._batch_receivers.cache_clear()


def test_batch_function_is_called_once_and_single_function_per_child(hook_modules):
    hooks.children_changed(children=["a", "b", "c"], actor="me")
    assert hook_modules == [
        ("batch", ("a", "b", "c"), "me"),
        ("single", "a", "me"),
        ("single", "b", "me"),
        ("single", "c", "me"),
    ]


def test_empty_batch_calls_nothing(hook_modules):
    hooks.children_changed(children=[], actor="me")
    assert hook_modules == []


def test_single_change_still_calls_every_single_function(hook_modules):
    hooks.child_changed(child="a", actor="me")
    assert hook_modules == [("batch-module single", "a", "me"), ("single", "a", "me")]


def test_configured_hooks_resolve(settings):
    # The real receivers (care, servicelist) resolve whether or not they define the batch form.
    receivers = hooks._batch_receivers(tuple(settings.CHILD_CHANGED_HOOKS))
    assert len(receivers) == len(settings.CHILD_CHANGED_HOOKS)
    assert all(callable(single) for single, _many in receivers)
