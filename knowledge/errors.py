"""Errors of knowledge-base services."""

from __future__ import annotations

import enum

from tenants.errors import ApplicationError


class KnowledgeErrorCode(enum.StrEnum):
    DUPLICATE_ITEM = "duplicate_item"
    FILE_REFUSED = "file_refused"
    IMPORT_NOT_READY = "import_not_ready"
    IMPORT_FINISHED = "import_finished"
    MAPPING_INVALID = "mapping_invalid"
    NAME_TAKEN = "name_taken"


class KnowledgeError(ApplicationError):
    code: KnowledgeErrorCode
