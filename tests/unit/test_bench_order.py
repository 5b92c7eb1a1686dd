"""The order ``jamp bench all --ran-for`` measures in (pure: no servers)."""

from jamp.perf.commands import BENCHES, after_the_desk_ran


def test_the_desk_is_measured_first_as_it_was_left_and_the_rest_keep_their_order() -> None:
    order = after_the_desk_ran(list(BENCHES))
    assert order[0] == "desk"
    assert order[1:] == [name for name in BENCHES if name != "desk"]
    assert after_the_desk_ran(["intake", "relay"]) == ["intake", "relay"]
