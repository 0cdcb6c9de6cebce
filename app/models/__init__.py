"""The ORM models, together, so that Alembic and the app see the same metadata."""

from app.models.api_key import ApiKey, Scope
from app.models.base import Base, Cited, add_unrendered_index
from app.models.citation import Citation
from app.models.district import District
from app.models.event import Event
from app.models.figure import Figure
from app.models.history import Action, RecordHistory
from app.models.installation import InstallationSetting, RateBucket
from app.models.organization import Organization
from app.models.park import Park
from app.models.person import Person
from app.models.programme import Programme
from app.models.project import Project, ProjectRollup, project_organizations
from app.models.recognition import Recognition
from app.models.renewal_case import RenewalCase
from app.models.revision import Revision
from app.models.scenario import Scenario
from app.models.search_gram import SearchGram, SearchGramCount
from app.models.source import Source
from app.models.source_paragraph import SourceParagraph
from app.models.zero_carbon_factory import ZeroCarbonFactory

for _mapper in Base.registry.mappers:
    if issubclass(_mapper.class_, Cited):
        add_unrendered_index(_mapper.class_)

__all__ = [
    "Action",
    "ApiKey",
    "Base",
    "Citation",
    "District",
    "Event",
    "Figure",
    "InstallationSetting",
    "Organization",
    "Park",
    "Person",
    "Programme",
    "Project",
    "ProjectRollup",
    "RateBucket",
    "Recognition",
    "RecordHistory",
    "RenewalCase",
    "Revision",
    "Scenario",
    "Scope",
    "SearchGram",
    "SearchGramCount",
    "Source",
    "SourceParagraph",
    "ZeroCarbonFactory",
    "project_organizations",
]
