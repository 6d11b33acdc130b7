"""Write the contract cassettes from the shapes in the public Extensiv API documentation.

Run ``python -m tests.contract.make_cassettes`` from the project root after changing a test's
requests. Every body below follows a documented example: HAL collections under
``_embedded["http://api.3plCentral.com/rels/..."]``, stock summaries under ``summaries``, typed
error bodies with ``$type``/``ErrorCode``/``Hint``, the token endpoint's ``{"Message": ...}`` 401.
Tokens are ``REDACTED``; no Authorization header is stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

HERE = Path(__file__).parent / "cassettes"
BASE = "https://secure-wms.com"
RUN = "0001"
CID, FID = 12, 3
REL = "http://api.3plCentral.com/rels/"
HAL = "application/hal+json; charset=utf-8"
JSON = "application/json; charset=utf-8"
SKUS = [("ABC-1", 101), ("LOT-SKU", 102)]


def ref(name: str) -> str:
    return f"CT-{RUN}-{name}"


def rql_ref(name: str, customer: bool) -> str:
    text = f"referenceNum=={ref(name)}"
    return text + (f";readOnly.customerIdentifier.id=={CID}" if customer else "")


def uri(path: str, params: dict[str, Any] | None = None) -> str:
    return BASE + path + ("?" + urlencode(params) if params else "")


def interaction(
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    status: int = 200,
    body: Any = None,
    content_type: str = HAL,
    etag: str | None = None,
    request_body: Any = None,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    text = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
    headers: dict[str, list[str]] = {}
    if text:
        headers["Content-Type"] = [content_type]
    if etag:
        headers["ETag"] = [etag]
    for key, value in (extra_headers or {}).items():
        headers[key] = [value]
    messages = {
        200: "OK",
        201: "Created",
        204: "No Content",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        412: "Precondition Failed",
        428: "Precondition Required",
    }
    return {
        "request": {
            "body": None if request_body is None else json.dumps(request_body),
            "headers": {"Accept": ["application/hal+json"]},
            "method": method,
            "uri": uri(path, params),
        },
        "response": {
            "status": {"code": status, "message": messages.get(status, "")},
            "headers": headers,
            "body": {"string": text},
        },
    }


def token() -> dict[str, Any]:
    return interaction(
        "POST",
        "/AuthServer/api/Token",
        content_type=JSON,
        request_body={"grant_type": "client_credentials", "user_login_id": "1"},
        body={
            "access_token": "REDACTED",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": None,
            "scope": None,
        },
    )


def collection(rel: str, records: list[Any], total: int | None = None, links: bool = True) -> Any:
    doc: dict[str, Any] = {"totalResults": len(records) if total is None else total}
    if links:
        doc["_links"] = {"self": {"href": "/"}}
    doc["_embedded"] = {REL + rel if "/" in rel else rel: records}
    return doc


def item_doc(sku: str, item_id: int, description: str = "Widget") -> dict[str, Any]:
    return {
        "itemId": item_id,
        "sku": sku,
        "upc": "0001234500012",
        "description": description,
        "options": {"inventoryUnit": {"unitIdentifier": {"name": "Each", "id": 1}}},
        "readOnly": {
            "itemId": item_id,
            "deactivated": False,
            "customerIdentifier": {"id": CID, "name": "Acme"},
            "creationDate": "2024-01-02T09:00:00",
            "lastModifiedDate": "2024-01-02T09:00:00",
        },
        "_links": {"self": {"href": f"/customers/{CID}/items/{item_id}"}},
    }


def items_page() -> dict[str, Any]:
    records = [item_doc(sku, iid) for sku, iid in SKUS]
    return interaction(
        "GET",
        f"/customers/{CID}/items",
        {"pgsiz": 5, "pgnum": 1},
        body=collection("customers/item", records),
    )


def order_doc(name: str, order_id: int, *, status: int = 0, lines: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "readOnly": {
            "orderId": order_id,
            "isClosed": status != 0,
            "status": status,
            "fullyAllocated": False,
            "customerIdentifier": {"id": CID, "name": "Acme", "externalId": ""},
            "facilityIdentifier": {"id": FID, "name": "Main"},
            "creationDate": "2024-05-01T10:00:00",
            "lastModifiedDate": "2024-05-01T10:00:00",
            "warehouseTransactionSourceType": 7,
            "transactionEntryType": 4,
        },
        "customerIdentifier": {"id": CID, "name": "Acme"},
        "facilityIdentifier": {"id": FID, "name": "Main"},
        "referenceNum": ref(name),
        "notes": "contract test",
        "shipTo": {
            "companyName": "Contract Co",
            "name": "Receiving",
            "address1": "1 Main St",
            "city": "Dallas",
            "state": "TX",
            "zip": "75201",
            "country": "US",
        },
        "routingInfo": {"carrier": "UPS", "mode": "03"},
        "_links": {
            "self": {"href": f"/orders/{order_id}"},
            "http://api.3plcentral.com/rels/orders/items": {"href": f"/orders/{order_id}/items"},
        },
    }
    if lines:
        doc["_embedded"] = {REL + "orders/item": [line_doc(order_id)]}
    return doc


def line_doc(order_id: int) -> dict[str, Any]:
    return {
        "readOnly": {
            "orderItemId": order_id * 10 + 1,
            "fullyAllocated": False,
            "unitIdentifier": {"name": "Each", "id": 1},
            "originalPrimaryQty": 2,
        },
        "itemIdentifier": {"sku": "ABC-1", "id": 101},
        "qty": 2,
    }


def create_order(name: str, order_id: int) -> list[dict[str, Any]]:
    return [
        items_page(),
        interaction("POST", "/orders", status=201, body=order_doc(name, order_id), etag='"AAAB1="'),
    ]


def receiver_doc(name: str, receiver_id: int) -> dict[str, Any]:
    return {
        "readOnly": {
            "receiverId": receiver_id,
            "receiverType": 1,
            "status": 0,
            "customerIdentifier": {"id": CID, "name": "Acme"},
            "facilityIdentifier": {"id": FID, "name": "Main"},
            "creationDate": "2024-05-01T10:00:00",
        },
        "customerIdentifier": {"id": CID, "name": "Acme"},
        "facilityIdentifier": {"id": FID, "name": "Main"},
        "referenceNum": ref(name),
        "arrivalDate": "2024-05-01T00:00:00",
        "transactionEntryType": 4,
        "_embedded": {
            REL + "inventory/receiveritem": [
                {
                    "readOnly": {"receiveItemId": receiver_id * 10 + 1, "expectedQty": None},
                    "itemIdentifier": {"sku": "ABC-1", "id": 101},
                    "qty": 24,
                }
            ]
        },
    }


def typed_error(type_name: str, code: str, hint: str, **extra: Any) -> dict[str, Any]:
    return {
        "$type": f"WMS.V2.Generic.Models.Exceptions.{type_name}, WMS.V2.Generic.Models",
        **extra,
        "ErrorCode": code,
        "Hint": hint,
    }


def summary(sku: str, item_id: int, available: int) -> dict[str, Any]:
    return {
        "facilityId": FID,
        "itemIdentifier": {"sku": sku, "id": item_id},
        "qualifier": "",
        "totalReceived": available + 10,
        "allocated": 10,
        "available": available,
        "onHold": 0,
        "onHand": available,
        "orderedNotAllocated": None,
    }


def detail(receive_item_id: int, sku: str) -> dict[str, Any]:
    return {
        "receiveItemId": receive_item_id,
        "itemIdentifier": {"sku": sku, "id": 101},
        "qualifier": "",
        "received": 24,
        "available": 20,
        "onHand": 24,
        "isOnHold": False,
        "quarantined": False,
        "lotNumber": "L9",
        "expirationDate": "2025-01-31T00:00:00",
        "locationIdentifier": {"nameKey": {"facilityIdentifier": {"id": FID}, "name": "A-01"}},
        "receiverId": 501,
        "receivedDate": "2024-05-01T00:00:00",
        "referenceNum": "ASN-2024-0001",
    }


def cassettes() -> dict[str, list[dict[str, Any]]]:
    orders_list_params = {
        "rql": rql_ref("list", customer=True),
        "sort": "-readOnly.orderId",
        "detail": "OrderItems",
        "pgsiz": 1000,
        "pgnum": 1,
    }
    canceled = order_doc("cancel", 1009, status=2, lines=False)
    return {
        "test_token_is_requested_once_and_used": [
            token(),
            interaction(
                "GET",
                f"/customers/{CID}",
                etag='"C1"',
                body={
                    "readOnly": {"customerId": CID, "deactivated": False},
                    "companyInfo": {"companyName": "Acme"},
                    "facilities": [{"name": "Main", "id": FID}],
                    "primaryFacilityIdentifier": {"name": "Main", "id": FID},
                },
            ),
        ],
        "test_bad_credentials_raise_authentication_error": [
            {
                **token(),
                "response": interaction(
                    "POST",
                    "/",
                    status=401,
                    content_type=JSON,
                    body={"Message": "invalid_client: client not registered"},
                )["response"],
            }
        ],
        "test_orders_create_returns_order_id_and_etag": [token(), *create_order("create", 1001)],
        "test_orders_create_with_used_reference_is_duplicate": [
            token(),
            *create_order("dup", 1002),
            items_page(),
            interaction(
                "POST",
                "/orders",
                status=400,
                content_type=JSON,
                body=typed_error(
                    "ModelValidationException",
                    "Duplicate",
                    "ReferenceNum must be unique for this customer",
                    ModelType="Order",
                    Properties=[{"Name": "ReferenceNum", "Value": ref("dup")}],
                ),
            ),
        ],
        "test_orders_get_returns_order_with_etag": [
            token(),
            *create_order("get", 1003),
            interaction(
                "GET",
                "/orders/1003",
                {"detail": "OrderItems"},
                body=order_doc("get", 1003),
                etag='"AAAB2="',
            ),
        ],
        "test_orders_list_iterates_orders_matching_rql": [
            token(),
            *create_order("list", 1004),
            interaction(
                "GET",
                "/orders",
                orders_list_params,
                body=collection("orders/order", [order_doc("list", 1004)]),
            ),
        ],
        "test_orders_find_by_reference_finds_or_returns_none": [
            token(),
            *create_order("find", 1005),
            interaction(
                "GET",
                "/orders",
                {"rql": rql_ref("find", True), "pgsiz": 100, "pgnum": 1},
                body=collection("orders/order", [order_doc("find", 1005, lines=False)]),
            ),
            interaction(
                "GET",
                "/orders",
                {"rql": rql_ref("never-sent", True), "pgsiz": 100, "pgnum": 1},
                body=collection("orders/order", []),
            ),
        ],
        "test_order_items_and_packages": [
            token(),
            *create_order("lines", 1008),
            interaction(
                "GET",
                "/orders/1008/items",
                etag='"I1"',
                body=collection("orders/item", [line_doc(1008)]),
            ),
            interaction("GET", "/orders/1008/packages", body=collection("orders/package", [])),
        ],
        "test_order_cancel_with_reason_marks_it_canceled": [
            token(),
            *create_order("cancel", 1009),
            interaction("GET", "/orders/1009", body=order_doc("cancel", 1009), etag='"V1"'),
            interaction(
                "POST",
                "/orders/1009/canceler",
                status=204,
                request_body={"reason": "contract test"},
            ),
            interaction("GET", "/orders/1009", body=canceled, etag='"V2"'),
        ],
        "test_operator_with_stale_etag_is_precondition_failed": [
            token(),
            *create_order("stale", 1010),
            interaction(
                "POST",
                "/orders/1010/canceler",
                status=412,
                content_type="text/plain",
                body="Precondition failed. The If-Match header specified doesn't match the "
                "current state of the resource.",
            ),
        ],
        "test_operator_without_if_match_is_precondition_required": [
            token(),
            *create_order("noetag", 1011),
            interaction(
                "POST",
                "/orders/1011/canceler",
                status=428,
                content_type="text/plain",
                body="Precondition required. If-Match header required.",
            ),
        ],
        "test_unknown_order_is_not_found": [
            token(),
            interaction("GET", "/orders/2000000000", status=404),
        ],
        "test_bad_rql_is_a_bad_request": [
            token(),
            interaction(
                "GET",
                "/orders",
                {"rql": "gorp=zz=1", "pgsiz": 1000, "pgnum": 1},
                status=400,
                content_type=JSON,
                body=typed_error(
                    "QueryParameterException",
                    "NotParsable",
                    "Properties not supported: gorp",
                    Parameters=["rql"],
                ),
            ),
        ],
        "test_page_size_above_the_cap_is_a_bad_request": [
            token(),
            interaction(
                "GET",
                "/inventory/stocksummaries",
                {"pgsiz": 501, "pgnum": 1},
                status=400,
                content_type=JSON,
                body=typed_error(
                    "QueryParameterException",
                    "NotParsable",
                    "pgsiz limit is 500",
                    Parameters=["pgsiz"],
                ),
            ),
        ],
        "test_stock_summaries_stream_records_across_pages": [
            token(),
            interaction(
                "GET",
                "/inventory/stocksummaries",
                {"pgsiz": 2, "pgnum": 1},
                body={
                    "totalResults": 5,
                    "summaries": [summary("ABC-1", 101, 40), summary("LOT-SKU", 102, 7)],
                },
            ),
            interaction(
                "GET",
                "/inventory/stocksummaries",
                {"pgsiz": 2, "pgnum": 2},
                body={
                    "totalResults": 5,
                    "summaries": [summary("C-3", 103, 0), summary("D-4", 104, 12)],
                },
            ),
        ],
        "test_stock_details_for_customer_and_facility": [
            token(),
            interaction(
                "GET",
                "/inventory/stockdetails",
                {"customerid": CID, "facilityid": FID, "pgsiz": 2, "pgnum": 1},
                body=collection("item", [detail(5011, "ABC-1"), detail(5012, "ABC-1")], total=3),
            ),
        ],
        "test_items_list_and_get_with_etag": [
            token(),
            items_page(),
            interaction(
                "GET", f"/customers/{CID}/items/101", body=item_doc("ABC-1", 101), etag='"IT1"'
            ),
        ],
        "test_items_find_by_sku": [
            token(),
            items_page(),
            interaction(
                "GET",
                f"/customers/{CID}/items",
                {"rql": "sku==ABC-1", "pgsiz": 100, "pgnum": 1},
                body=collection("customers/item", [item_doc("ABC-1", 101)]),
            ),
        ],
        "test_items_create_then_update_with_if_match": [
            token(),
            interaction(
                "POST",
                f"/customers/{CID}/items",
                status=201,
                body=item_doc(ref("SKU"), 201, "contract item"),
                etag='"N1"',
            ),
            interaction(
                "GET",
                f"/customers/{CID}/items/201",
                body=item_doc(ref("SKU"), 201, "contract item"),
                etag='"N1"',
            ),
            interaction(
                "PUT",
                f"/customers/{CID}/items/201",
                body=item_doc(ref("SKU"), 201, "updated by contract test"),
                etag='"N2"',
            ),
        ],
        "test_receivers_create_and_get_with_items": [
            token(),
            items_page(),
            interaction(
                "POST",
                "/inventory/receivers",
                status=201,
                body=receiver_doc("asn", 501),
                etag='"R1"',
            ),
            interaction(
                "GET",
                "/inventory/receivers/501",
                {"detail": "ReceiveItems"},
                body=receiver_doc("asn", 501),
                etag='"R1"',
            ),
        ],
        "test_receivers_list_with_detail_and_find_by_reference": [
            token(),
            items_page(),
            interaction(
                "POST",
                "/inventory/receivers",
                status=201,
                body=receiver_doc("asnlist", 502),
                etag='"R2"',
            ),
            interaction(
                "GET",
                "/inventory/receivers",
                {"rql": rql_ref("asnlist", False), "detail": "All", "pgsiz": 500, "pgnum": 1},
                body=collection("inventory/receiver", [receiver_doc("asnlist", 502)]),
            ),
            interaction(
                "GET",
                "/inventory/receivers",
                {"rql": rql_ref("asnlist", True), "pgsiz": 100, "pgnum": 1},
                body=collection("inventory/receiver", [receiver_doc("asnlist", 502)]),
            ),
        ],
        "test_customers_list_includes_the_configured_customer": [
            token(),
            interaction(
                "GET",
                "/customers",
                {"pgsiz": 100, "pgnum": 1},
                body=collection(
                    "customers/customer",
                    [
                        {
                            "readOnly": {"customerId": CID, "deactivated": False},
                            "companyInfo": {"companyName": "Acme"},
                            "facilities": [{"name": "Main", "id": FID}],
                        }
                    ],
                ),
            ),
        ],
        "test_facilities_list_includes_the_configured_facility": [
            token(),
            interaction(
                "GET",
                "/properties/facilities",
                {"pgsiz": 100, "pgnum": 1},
                body=collection(
                    "properties/facility",
                    [
                        {
                            "facilityId": FID,
                            "name": "Main",
                            "deactivated": False,
                            "code": "MAIN",
                            "measurementSystemDefault": 0,
                            "timeZoneName": "Central Standard Time",
                        }
                    ],
                ),
            ),
        ],
        "test_carriers_come_with_services_and_billing_codes": [
            token(),
            interaction(
                "GET",
                "/properties/carriers",
                body={
                    "defaultBillingCodes": [],
                    "defaultShipmentServices": [],
                    "_embedded": {
                        REL + "properties/carrier": [
                            {
                                "name": "UPS",
                                "displayName": "UPS",
                                "carrierCode": "UPS",
                                "scacCode": "UPSN",
                                "description": "",
                                "active": True,
                                "deactivated": False,
                                "shipmentServices": [
                                    {
                                        "code": "03",
                                        "description": "Ground",
                                        "shipEngineId": None,
                                        "deactivated": False,
                                    }
                                ],
                                "billingCodes": [{"code": "Prepaid", "billingCodeType": "Sender"}],
                            }
                        ]
                    },
                },
            ),
        ],
        "test_unit_of_measure_types": [
            token(),
            interaction(
                "GET",
                "/properties/unitofmeasuretypes",
                body=collection(
                    "properties/unitofmeasuretype",
                    [{"name": "Each", "id": 1}, {"name": "Case", "id": 2}],
                ),
            ),
        ],
    }


def main() -> None:
    from .cassettes_round_two import round_two  # imports this module's helpers

    HERE.mkdir(exist_ok=True)
    every = {**cassettes(), **round_two()}
    for name, interactions in every.items():
        text = yaml.safe_dump({"interactions": interactions, "version": 1}, sort_keys=False)
        (HERE / f"{name}.yaml").write_text(text, encoding="utf-8")
    print(f"wrote {len(every)} cassettes to {HERE}")


if __name__ == "__main__":
    main()
