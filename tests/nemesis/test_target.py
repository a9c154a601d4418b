"""Targets as a scenario writes them."""

import pytest
from pydantic import ValidationError

from harness.nemesis.target import Role, TargetSpec


def test_not_controller_is_for_roles_that_choose_among_brokers():
    assert TargetSpec(role="follower", not_controller=True).not_controller
    assert TargetSpec(role=Role.RANDOM, not_controller=True).not_controller
    with pytest.raises(ValidationError, match="not_controller applies to roles"):
        TargetSpec(role="leader", not_controller=True)
