"""The narrow API seam: handlers and the planner see `Api`, never the SDK."""
from provisioner.api.base import Api, NotFound

__all__ = ["Api", "NotFound"]
