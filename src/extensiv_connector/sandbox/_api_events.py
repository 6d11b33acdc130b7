"""Handler for ``/events/webhook/key``: the webhook signing key document."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from ._call import Call
from ._render import json_response

__all__ = ["webhook_key"]


def webhook_key(call: Call) -> Response:
    request = call.request
    doc = call.app.webhooks.key_document()
    previous = request.args.get("previousRetrievalDateISO")
    if previous is None and request.method == "POST":
        try:
            parsed = json.loads(request.get_data() or b"{}")
            previous = parsed.get("previousRetrievalDateISO")
        except (ValueError, AttributeError):
            previous = None
    if previous is not None and previous >= doc["retrievalDateISO"]:
        return Response(status=304)
    return json_response(200, doc)
