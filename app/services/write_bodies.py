"""A write's body, parsed strictly: the record format for a create, a JSON merge patch for an
update; a 422 naming each field that breaks a rule."""

from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from app.collections.base import Collection
from app.errors import AppError, ProblemError
from app.models.base import SLUG_LENGTH, SLUG_PATTERN
from app.strict_json import DuplicateKeyError, loads_strictly


@cache
def create_model_for(collection: Collection) -> type[BaseModel]:
    """The record format with `id` optional: made from the name when not given."""
    return create_model(
        f"{collection.record.__name__.removesuffix('Seed')}Create",
        __base__=collection.record,
        id=(str | None, Field(None, pattern=SLUG_PATTERN, max_length=SLUG_LENGTH)),
    )


@cache
def field_adapters(collection: Collection) -> dict[str, TypeAdapter[Any]]:
    """A validator for each field of the record format, to check a merge patch field by field.

    Built once, when the routes are (pydantic builds validators lazily, and not thread-safely)."""
    return {
        name: TypeAdapter(field.annotation)  # type: ignore[arg-type]
        for name, field in collection.record.model_fields.items()
    }


def invalid(problems: list[tuple[str, str]], *, status: int = 422) -> AppError:
    """A problem naming each field of the body that breaks a rule (`citations[2].quote` is
    located at `["body", "citations", 2, "quote"]`)."""
    errors = [
        ProblemError(
            loc=[
                "body",
                *(
                    int(part) if part.isdigit() else part
                    for part in path.replace("[", ".").replace("]", "").split(".")
                ),
            ],
            msg=msg,
        )
        for path, msg in problems
    ]
    detail = "; ".join(f"{path}: {msg}" for path, msg in problems)
    return AppError(status, f"Invalid body: {detail}", errors=errors)


def validation_problems(error: ValidationError) -> list[tuple[str, str]]:
    return [
        (".".join(str(part) for part in err["loc"]) or "(body)", err["msg"])
        for err in error.errors()
    ]


def json_object(body: bytes, what: str) -> dict[str, Any]:
    """The body as a JSON object: a 422 naming the problem for anything else."""
    try:
        document = loads_strictly(body)
    except DuplicateKeyError as error:
        raise invalid([(error.path, "this key is given twice in one object")]) from None
    except ValueError as error:
        raise invalid([("(body)", f"not valid JSON: {error}")]) from None
    if not isinstance(document, dict):
        raise invalid([("(body)", f"{what} is a JSON object")])
    return document


def parse_create(collection: Collection, body: bytes) -> BaseModel:
    """Validate a create body strictly: no unknown fields, no coerced types, no key twice."""
    json_object(body, "a record")
    try:
        return create_model_for(collection).model_validate_json(body, strict=True)
    except ValidationError as error:
        raise invalid(validation_problems(error)) from None


def parse_patch(collection: Collection, record_id: str, body: bytes) -> dict[str, Any]:
    """The patch's fields, each validated strictly on its own."""
    patch = json_object(body, "a merge patch")
    fields = collection.record.model_fields
    problems = [(name, "unknown field") for name in patch if name not in fields]
    if "id" in patch and patch["id"] != record_id:
        problems.append(("id", "an id never changes"))
    typed: dict[str, Any] = {}
    adapters = field_adapters(collection)
    for name, value in patch.items():
        if name not in fields:
            continue
        try:
            typed[name] = adapters[name].validate_json(orjson.dumps(value), strict=True)
        except ValidationError as error:
            problems += [
                (f"{name}.{path}" if path != "(body)" else name, msg)
                for path, msg in validation_problems(error)
            ]
    if problems:
        raise invalid(problems)
    return typed
