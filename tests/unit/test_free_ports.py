"""Ports for the embedded servers: free, and out of the way of outgoing connections."""

import random
import socket

import pytest

from shared.embedded import FIRST_UNRESERVED, ephemeral_ports, free_port, port_is_free


def test_a_free_port_lies_outside_the_range_outgoing_connections_take_theirs_from() -> None:
    low, high = ephemeral_ports()
    for _ in range(50):
        port = free_port()
        assert FIRST_UNRESERVED <= port < 65536
        assert not low <= port <= high, port
        assert port_is_free(port)


def test_a_port_something_holds_is_not_picked() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", free_port()))
        taken = held.getsockname()[1]
        assert not port_is_free(taken)
        assert all(free_port() != taken for _ in range(200))


def test_the_kernels_range_is_read_where_it_is_told() -> None:
    low, high = ephemeral_ports()
    assert 1024 <= low < high <= 65535


def test_a_port_picked_for_a_server_not_started_yet_is_not_picked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database's and the broker's ports are both picked before either binds its own:
    the second pick must not meet the first (both servers then fail on one port)."""
    first = free_port()
    picks = iter([first, first, *range(FIRST_UNRESERVED, 65536)])
    monkeypatch.setattr(random, "randint", lambda low, high: next(picks))
    assert free_port(besides={first}) != first
