"""``python -m shared.cli`` is the ``jamp`` command."""

from shared.cli import main

main()
