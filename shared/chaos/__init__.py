"""The fault suite behind ``jamp chaos`` (see README, *Fault suite*)."""

# The desk is the one ``jamp dev`` runs (shared.cli.dev), and shared.cli imports this
# package for the command after shared.cli.dev: entering here first must go through
# shared.cli, else its import of this package would meet it half-initialised.
import shared.cli  # noqa: F401
