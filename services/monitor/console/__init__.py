"""The operator console: its pages, the session a key is traded for, and the live
tail's WebSocket."""
