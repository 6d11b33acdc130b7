"""Handler for ``POST /AuthServer/api/Token`` (the rules are in :mod:`._auth`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

from ._auth import check_client
from ._call import Call
from ._render import json_response

__all__ = ["issue_token"]


def issue_token(call: Call) -> Response:
    request, app = call.request, call.app
    body: Mapping[str, Any] = {}
    raw = request.get_data(cache=True)
    content_type = (request.content_type or "").lower()
    if "form-urlencoded" in content_type:
        body = dict(request.form.items())
    elif raw.strip():
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            return json_response(400, {"Message": "invalid_request: body is not JSON"})
        if isinstance(parsed, dict):
            body = parsed
    problem = check_client(app.credentials, app.auth, request.headers.get("Authorization"), body)
    if problem is not None:
        return json_response(problem[0], {"Message": problem[1]})
    token, lifetime = app.tokens.issue()
    return json_response(
        200,
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "refresh_token": None,
            "scope": None,
        },
    )
