"""The deploy tests: the image built and run for real, the manifests, Terraform, Ansible and the
pipelines rendered and checked with the tools production uses (see docs/deploy.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support import podman, tools


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that use a Go-built tool last: `make test` builds those beside the suite
    (tests/support/tools.py), and the rest of the suite needs none of them."""
    items.sort(key=lambda item: item.get_closest_marker("go_tools") is not None)
    for item in items:  # the first may wait for the whole build
        if item.get_closest_marker("go_tools") is not None:
            item.add_marker(pytest.mark.timeout(tools.BUILD_TIMEOUT + 900))


@pytest.fixture(scope="session")
def orchid_image() -> Iterator[str]:
    """The image, built once per session from deploy/image/Dockerfile on the local base."""
    podman.require_podman()
    tag = f"localhost/orchid:test-{os.getpid()}"
    podman.build(tag, base=podman.import_base())
    yield tag
    podman.remove(tag)
