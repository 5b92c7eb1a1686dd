"""Mail that comes back: the SMTP listener, its checks and what a reply says."""
