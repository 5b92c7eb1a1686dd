"""The organisers' matching funnel: proposed → answered → mutual → met → MOU / F/S proposal."""
