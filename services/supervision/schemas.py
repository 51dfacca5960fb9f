"""supervision's published schemas: what its RPCs take and answer. The gateway imports this module:
it imports only marshmallow, constants and ``shared`` (never ``domain``)."""
from shared.schemas import StudioRowSchema  # noqa: F401  (list_studios, from shared/studios.py)
