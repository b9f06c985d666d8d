"""Hooks of the schema-driven fuzz run (test/integration/fuzz.test.ts), loaded by schemathesis
through SCHEMATHESIS_HOOKS. They give each request the credentials its route takes, make valid
requests as valid as the contract asks beyond what a document can say (the credentials' client is
the message's `client.id`; a retry names its own request), route half of the valid provisions to
a provider, and add the check that a request valid by the document is never refused for its
format."""

import os
import random

import schemathesis

CHANNEL = os.environ["FUZZ_CHANNEL_AUTH"]
OPERATOR = os.environ["FUZZ_OPERATOR_AUTH"]
CLIENT_ID = os.environ["FUZZ_CLIENT_ID"]
ROUTED_RECEIVER = os.environ["FUZZ_ROUTED_RECEIVER"]

OPERATOR_PATHS = ("/ops", "/codec", "/metrics", "/console")


def _positive(case):
    return case.meta is not None and case.meta.generation.mode.is_positive


@schemathesis.hook
def before_call(context, case, kwargs):
    """Set last, over whatever was generated: the credentials the route takes and, for a valid
    channel message, what the contract asks beyond the document."""
    path = case.operation.path
    headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "authorization"}
    headers["Authorization"] = OPERATOR if path.startswith(OPERATOR_PATHS) else CHANNEL
    case.headers = headers
    body = case.body
    if _positive(case) and isinstance(body, dict):
        if isinstance(body.get("client"), dict):
            body["client"]["id"] = CLIENT_ID
        if path.endswith("/retry") and case.path_parameters:
            body["id"] = case.path_parameters.get("provisionId", body.get("id"))
        if path == "/suv/v1/vouchers" and "client" in body and random.random() < 0.5:
            body.pop("product", None)
            body["receiver"] = {"id": ROUTED_RECEIVER, "name": "Routed"}


@schemathesis.check
def valid_message_is_not_refused_for_its_format(ctx, response, case):
    """A channel message valid by /openapi.json gets no FORMAT_ERROR: the document says what is enforced."""
    if not _positive(case) or not case.operation.path.startswith("/suv/") or response.status_code != 400:
        return None
    try:
        body = response.json()
    except Exception:
        return None
    if isinstance(body, dict) and body.get("errorType") == "FORMAT_ERROR":
        raise AssertionError(f"A request valid by the document was refused for its format: {body}")
    return None
