"""The dependencies every inquiries use case needs, bundled once by ``create_app``."""

from dataclasses import dataclass

from services.inquiries.administration.config import DeskConfiguration
from services.inquiries.answers.repository import AnswerTemplateRepository
from services.inquiries.references.repository import ReferenceRepository
from services.inquiries.repository import InquiryRepository
from services.inquiries.saved_views.repository import SavedViewRepository
from services.inquiries.settings import InquirySettings
from services.inquiries.suggestions import SuggestionRepository
from services.inquiries.tags.repository import TagRepository
from services.inquiries.webhooks.repository import WebhookRepository
from shared.auth import KeyReplica
from shared.clock import Clock
from shared.documents import DocumentStore
from shared.outbound import OutboundPolicy
from shared.platform import Platform


@dataclass(frozen=True)
class Desk:
    platform: Platform
    inquiries: InquiryRepository
    config: DeskConfiguration
    suggestions: SuggestionRepository
    webhooks: WebhookRepository
    references: ReferenceRepository
    """What submissions may name: cities, companies, submitted proposals (from their streams)."""
    identity: KeyReplica
    """The replica of people and keys: who an officer is and which grants they hold."""
    settings: InquirySettings
    clock: Clock
    """Every SLA moment is read from here, so tests move business time without sleeping."""
    outbound: OutboundPolicy
    """Where webhooks may go: checked at registration and again at every delivery."""
    attachments: DocumentStore
    templates: AnswerTemplateRepository
    tags: TagRepository
    views: SavedViewRepository
