"""Query parameters validated as their pydantic model in one step.

FastAPI's own handling of a query model inspects every field's annotation on every request,
which costs more than the query behind a list page. Here the parameters go to
`model_validate` as they are, errors come back exactly as FastAPI words them (a
`RequestValidationError` located in `query`), and the operation documents each field as
FastAPI would, from the model's JSON schema."""

from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar, get_origin

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.errors import bad_parameter
from app.listing.params import MAX_REPEATED

Model = TypeVar("Model", bound=BaseModel)

QUERY_SCHEMAS: dict[str, Any] = {}
"""Schemas the documented parameters refer to (enums), for the OpenAPI components."""


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list


def query_of(model: type[Model]) -> Any:
    """A dependency that validates the request's query string as `model`."""
    return Depends(query_parser(model))


def query_parser(model: type[Model]) -> Callable[[Request], Awaitable[Model]]:
    """What `query_of` runs: the request's query string, validated as `model`."""
    lists = frozenset(
        name for name, field in model.model_fields.items() if _is_list(field.annotation)
    )

    async def parse(request: Request) -> Model:
        params = request.query_params
        data: dict[str, Any] = {}
        for key in params:
            values = params.getlist(key)
            if key in lists:
                if len(values) > MAX_REPEATED:
                    raise bad_parameter(
                        key, f"at most {MAX_REPEATED} values may be given", status=422
                    )
                data[key] = values
            else:
                # Which of several values counts would be a guess: a cache or an ETag keyed on
                # the query would then name two answers.
                refuse_repeated(request, key)
                data[key] = values[0]
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise RequestValidationError(
                [
                    {**detail, "loc": ("query", *detail["loc"])}
                    for detail in error.errors(include_url=False)
                ]
            ) from None

    return parse


def refuse_repeated(request: Request, *names: str) -> None:
    """A 422 naming the first of these scalar parameters that the query string repeats."""
    for name in names:
        if len(request.query_params.getlist(name)) > 1:
            raise bad_parameter(name, "give this parameter once", status=422)


def documented(
    model: type[BaseModel],
    *,
    leave_out: Collection[str] = (),
) -> dict[str, Any]:
    """`openapi_extra` that declares each field of `model` as a query parameter, but those in
    `leave_out` (taken, as aliases, and not declared).

    Each parameter carries its first example as its own `example`: Swagger UI shows a
    parameter's example, not its schema's."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    QUERY_SCHEMAS.update(schema.get("$defs", {}))
    parameters = []
    for name, field in schema["properties"].items():
        if name in leave_out:
            continue
        parameter = {
            "name": name,
            "in": "query",
            "required": name in schema.get("required", ()),
            "schema": _without_null(field),
            "description": field.get("description"),
        }
        if field.get("examples"):
            parameter["example"] = field["examples"][0]
        parameters.append(parameter)
    return {"parameters": parameters}


def _without_null(field: dict[str, Any]) -> dict[str, Any]:
    """A field's schema without its `null` alternative: a query string cannot send a null, so an
    optional parameter is simply left out."""
    alternatives = [option for option in field.get("anyOf", ()) if option.get("type") != "null"]
    if "anyOf" not in field or len(alternatives) != 1:
        return field
    rest = {key: value for key, value in field.items() if key != "anyOf"}
    return {**alternatives[0], **rest}
