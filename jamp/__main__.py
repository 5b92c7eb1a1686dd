"""``python -m jamp`` is the ``jamp`` command."""

from jamp import main

main()
