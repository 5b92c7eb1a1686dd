"""The track record: past studies imported from a file, and matches whose meeting led to
an MOU or an F/S proposal."""
