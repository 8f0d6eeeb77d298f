"""The OpenAPI description: generated from the code without a warning, valid OpenAPI 3, with
every endpoint; and the pages that show it and the API's help."""

import json
import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.validation import validate_schema

from tests.matrix.support import api_endpoint_names

pytestmark = pytest.mark.django_db


def test_the_description_is_generated_without_warnings_and_is_valid_openapi(tmp_path):
    target = tmp_path / "schema.json"

    # --fail-on-warn: a field or parameter drf-spectacular could not type is an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
                 "--file", str(target))  # fmt: skip

    schema = json.loads(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["version"] == "1"


def test_the_description_is_served_to_those_signed_in_and_names_every_endpoint(api, member):
    assert api().get(reverse("api:schema")).status_code == 401

    response = api(member).get(reverse("api:schema"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    validate_schema(schema)
    paths = set(schema["paths"])
    schema_route = reverse("api:schema")
    for name in api_endpoint_names() - {"api:schema", "api:not-found"}:
        # Every endpoint's URL pattern, its parameters as OpenAPI writes them.
        pattern = next(p for p in _routes() if p[0] == name)[1]
        assert pattern in paths, f"{name} ({pattern}) is not described"
    assert schema_route not in paths  # the description does not describe itself
    assert schema["components"]["securitySchemes"]["accessToken"]["scheme"] == "bearer"


def test_every_operation_answers_its_refusals_with_problem_details(api, member):
    schema = json.loads(api(member).get(reverse("api:schema")).content)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            problem = operation["responses"]["4XX"]["content"]["application/problem+json"]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}, (path, method)


def _routes():
    """(URL name, its path as OpenAPI writes it: /api/v1/units/{code}/) of the API's URLs."""

    def walk(resolver, namespace, route):
        for pattern in resolver.url_patterns:
            here = route + str(pattern.pattern).removeprefix("^")
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern, inner, here)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name}", _openapi_path(here)

    return list(walk(get_resolver(), "", "/"))


def _openapi_path(route: str) -> str:
    # drf-spectacular names a primary key {id} (SCHEMA_COERCE_PATH_PK).
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route).replace("{pk}", "{id}")


def test_the_documentation_page_draws_the_description_from_static_files(client, member):
    client.force_login(member)

    response = client.get(reverse("api:docs"))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-schema-url="{reverse("api:schema")}"' in page
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "/static/js/api-docs.js" in page
    assert (
        "https://" not in page.split("<footer")[0].split("</header>")[1]
    )  # nothing from elsewhere


def test_every_page_links_to_the_api_documentation_and_the_profile_in_its_footer(client, member):
    client.force_login(member)

    footer = client.get(reverse("home")).content.decode().split("<footer")[1]

    assert f'href="{reverse("api:docs")}"' in footer
    assert f'href="{reverse("api:profile")}"' in footer


def test_the_api_help_page_is_docs_api_md(client, member):
    client.force_login(member)

    response = client.get(reverse("reviews:doc-detail", args=["api"]))

    assert response.status_code == 200
    assert response.context["doc"].title == "The API"
    assert "Personal access tokens" in response.content.decode()
