"""Saved views: named sets of the list's filters and sort, per person or shared by a desk,
beside the built-in ones; a view runs with its caller's own scope."""
