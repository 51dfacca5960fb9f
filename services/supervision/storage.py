"""supervision's collections (its own database): where each keeps its tenant and unit, its indexes,
and the repository with domain verbs (add it here; tenant scope comes from ``Store.scoped``)."""
from shared.inbox import INBOX_INDEXES
from shared.studios import STUDIO_INDEXES, STUDIO_SCOPES

SCOPES = {
    **STUDIO_SCOPES,         # the studio read model (shared/studios.py)
}

# collections whose documents carry an ``_outbox`` (shared/outbox.py); none yet
OUTBOX_COLLECTIONS: list[str] = []

INDEXES = [
    *STUDIO_INDEXES,
    *INBOX_INDEXES,
]
