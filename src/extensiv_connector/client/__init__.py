"""The Extensiv 3PL Warehouse Manager REST client.

``ExtensivClient`` is the entry point; :mod:`.rql` builds filters. Only ``_transport`` speaks
HTTP; auth, retry, error mapping, rate limiting and pagination are small units around it.
"""

from . import rql
from ._auth import (
    DEFAULT_TOKEN_MARGIN,
    BearerAuth,
    TokenCache,
    token_is_fresh,
    token_request_body,
)
from ._client import ClientOptions, ExtensivClient
from ._concurrency import Versioned, update_with_retry
from ._errors import error_from_response, parse_retry_after
from ._links import expand_link
from ._pagination import PAGE_CAPS, FetchedPage, iterate_records, page_is_last
from ._ratelimit import TokenBucket
from ._retry import Failure, Operation, RetryDecision, RetryPolicy
from ._transport import USER_AGENT, ApiResponse

__all__ = [
    "DEFAULT_TOKEN_MARGIN",
    "PAGE_CAPS",
    "USER_AGENT",
    "ApiResponse",
    "BearerAuth",
    "ClientOptions",
    "ExtensivClient",
    "Failure",
    "FetchedPage",
    "Operation",
    "RetryDecision",
    "RetryPolicy",
    "TokenBucket",
    "TokenCache",
    "Versioned",
    "error_from_response",
    "expand_link",
    "iterate_records",
    "page_is_last",
    "parse_retry_after",
    "rql",
    "token_is_fresh",
    "token_request_body",
    "update_with_retry",
]
