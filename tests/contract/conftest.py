"""The implementations of the `Api` protocol every contract test runs against: the in-process fake,
and the real client (`OpenAIApi` over the openai SDK) talking HTTP to an emulator of its own."""
from __future__ import annotations

from typing import Iterator

import pytest

from provisioner.api.base import Api
from provisioner.api.openai_api import OpenAIApi
from provisioner.emulator.testing import EmulatorProcess, running_emulator
from tests.conftest import FAST_SWITCHES
from tests.support.fake_api import FakeApi


@pytest.fixture(scope="module")
def own_emulator() -> Iterator[EmulatorProcess]:
    # not the session's: the list checks below must see only the objects these tests made
    with running_emulator(**FAST_SWITCHES) as process:
        yield process


@pytest.fixture(params=["fake", "emulator"])
def impl(request: pytest.FixtureRequest) -> Api:
    if request.param == "fake":
        # a batch is read twice still indexing, so waiting is part of the contract for both
        return FakeApi(index_reads=2)
    process: EmulatorProcess = request.getfixturevalue("own_emulator")
    return OpenAIApi(process.client(max_retries=2), "emulator")
