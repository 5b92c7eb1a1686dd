"""``jamp bench intake|relay|consume|latency|desk|all``: the desk's speed next to a baseline
that does the same work with bare libraries, measured alternately in one run.

Each benchmark starts what it needs on the embedded servers (or uses the ones it is given),
runs product and baseline in alternating pairs, and reports medians and their ratio; the
figures and the machine (cores, git commit) are written as JSON under ``bench/results/``.
"""

from jamp.perf.commands import register

__all__ = ["register"]
