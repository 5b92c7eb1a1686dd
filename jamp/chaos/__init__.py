"""The fault suite behind ``jamp chaos`` (see README, *Fault suite*)."""
