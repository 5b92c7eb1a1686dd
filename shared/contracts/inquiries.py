"""Events the inquiries service publishes on ``jamp.inquiries.v1``."""
