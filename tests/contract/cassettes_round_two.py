"""Cassettes for ``test_contract_round_two.py``, from the documented shapes:
``/inventory`` rows and ``/orders/summaries`` under the bare ``item`` key, stock for an order
under ``summaries``, typed error bodies, 204 operators. Written by ``make_cassettes.main``."""

from __future__ import annotations

from typing import Any

from .make_cassettes import (
    CID,
    FID,
    JSON,
    collection,
    create_order,
    interaction,
    item_doc,
    items_page,
    order_doc,
    receiver_doc,
    ref,
    summary,
    token,
    typed_error,
)

TEXT = "text/plain; charset=utf-8"
IDENTS = {
    "customerIdentifier": {"id": CID, "name": "Acme", "externalId": ""},
    "facilityIdentifier": {"id": FID, "name": "Main"},
}
LOCATION = {
    "nameKey": {"facilityIdentifier": {"id": FID, "name": "Main"}, "name": "A-01-01"},
    "id": 7,
}


def inventory_row(receive_item_id: int, lot: str) -> dict[str, Any]:
    return {
        "receiveItemId": receive_item_id,
        "receiverId": 501,
        "receivedDate": "2024-05-01T10:00:00.47",
        "itemIdentifier": {"sku": "ABC-1", "id": 101},
        "qualifier": "",
        "receivedQty": 24,
        "onHandQty": 24,
        "availableQty": 20,
        "onHoldQty": 0,
        "lotNumber": lot,
        "serialNumber": None,
        "expirationDate": "2025-01-31T00:00:00",
        "locationIdentifier": LOCATION,
        "palletIdentifier": None,
        "referenceNum": "ASN-2024-0001",
        **IDENTS,
        "inventoryAgeDays": 12,
    }


def with_read_only(doc: dict[str, Any], **read_only: Any) -> dict[str, Any]:
    doc["readOnly"].update(read_only)
    return doc


def round_two() -> dict[str, list[dict[str, Any]]]:
    inventory_rql = (
        f"CustomerIdentifier.Id=={CID};FacilityIdentifier.Id=={FID};"
        "ReceivedDate=ge=2000-01-01T00:00:00"
    )
    put = order_doc("put", 1102)
    put["notes"] = "updated by contract test"
    receiver = receiver_doc("rput", 601)
    noted = receiver_doc("rput", 601)
    noted["notes"] = "two pallets"
    return {
        "test_inventory_receive_items_filtered_as_peers_do": [
            token(),
            interaction(
                "GET",
                "/inventory",
                {"rql": inventory_rql, "sort": "ReceivedDate", "pgsiz": 2, "pgnum": 1},
                body=collection("item", [inventory_row(5011, "L9"), inventory_row(5012, "L10")], 3),
            ),
        ],
        "test_inventory_page_above_the_cap_is_a_query_parameter_error": [
            token(),
            interaction(
                "GET",
                "/inventory",
                {"pgsiz": 1001, "pgnum": 1},
                status=400,
                content_type=JSON,
                body=typed_error(
                    "QueryParameterException",
                    "NotParsable",
                    "pgsiz limit is 1000, specifying more is an error",
                    Parameters=["pgsiz"],
                ),
            ),
        ],
        "test_locations_of_the_configured_facility": [
            token(),
            interaction(
                "GET",
                f"/properties/facilities/{FID}/locations",
                {"pgsiz": 5, "pgnum": 1},
                body=collection(
                    "properties/location",
                    [
                        {
                            "locationId": 7,
                            "name": "A-01-01",
                            "locationIdentifier": LOCATION,
                            "locationType": "Storage",
                            "itemTraits": [
                                {
                                    "itemIdentifier": {"sku": "ABC-1", "id": 101},
                                    "qualifier": "",
                                    "lotNumber": "L9",
                                    "receiveItemId": 5011,
                                    "onHand": 24,
                                }
                            ],
                            "onHand": 24,
                        }
                    ],
                ),
            ),
        ],
        "test_stock_summaries_for_an_order_cover_its_items": [
            token(),
            *create_order("stock", 1101),
            interaction(
                "GET",
                "/inventory/stocksummariesfororder",
                {"orderid": 1101},
                body={"totalResults": 1, "summaries": [summary("ABC-1", 101, 20)]},
            ),
        ],
        "test_order_update_puts_with_if_match_and_a_stale_etag_fails": [
            token(),
            *create_order("put", 1102),
            interaction(
                "GET",
                "/orders/1102",
                {"detail": "OrderItems"},
                body=order_doc("put", 1102),
                etag='"AAAC1="',
            ),
            interaction("PUT", "/orders/1102", {"detail": "OrderItems"}, body=put, etag='"AAAC2="'),
            interaction(
                "PUT",
                "/orders/1102",
                {"detail": "OrderItems"},
                status=412,
                content_type=JSON,
                body={
                    "Message": "Precondition failed. The If-Match header specified doesn't "
                    "match the current state of the resource."
                },
            ),
        ],
        "test_order_deallocate_then_allocate": [
            token(),
            *create_order("alloc", 1103),
            interaction("GET", "/orders/1103", body=order_doc("alloc", 1103), etag='"AAAD1="'),
            interaction("PUT", "/orders/1103/deallocator", status=204),
            interaction("GET", "/orders/1103", body=order_doc("alloc", 1103), etag='"AAAD2="'),
            interaction("PUT", "/orders/1103/allocator", status=204),
            interaction(
                "GET",
                "/orders/1103",
                body=with_read_only(order_doc("alloc", 1103), fullyAllocated=True),
                etag='"AAAD3="',
            ),
        ],
        "test_order_summaries_find_an_order_by_reference": [
            token(),
            *create_order("summ", 1104),
            interaction(
                "GET",
                "/orders/summaries",
                {"rql": f"referenceNum=={ref('summ')}", "pgsiz": 1000, "pgnum": 1},
                body=collection(
                    "item",
                    [
                        {
                            "orderId": 1104,
                            "referenceNum": ref("summ"),
                            "poNum": None,
                            "fullyAllocated": False,
                            **IDENTS,
                            "creationDate": "2024-05-01T10:00:00.1",
                            "isClosed": False,
                        }
                    ],
                ),
            ),
        ],
        "test_bulk_cancel_cancels_the_listed_orders": [
            token(),
            *create_order("bulk", 1105),
            interaction(
                "POST",
                "/orders/canceler",
                status=204,
                request_body={"orderIdentifiers": [{"id": 1105}], "reason": "contract test"},
            ),
            interaction(
                "GET",
                "/orders/1105",
                body=with_read_only(order_doc("bulk", 1105, lines=False), status=2, isClosed=True),
                etag='"AAAE1="',
            ),
        ],
        "test_receiver_update_then_cancel": [
            token(),
            items_page(),
            interaction("POST", "/inventory/receivers", status=201, body=receiver, etag='"R1="'),
            interaction(
                "GET",
                "/inventory/receivers/601",
                {"detail": "ReceiveItems"},
                body=receiver_doc("rput", 601),
                etag='"R2="',
            ),
            interaction(
                "PUT",
                "/inventory/receivers/601",
                {"detail": "ReceiveItems"},
                body=noted,
                etag='"R3="',
            ),
            interaction("GET", "/inventory/receivers/601", body=noted, etag='"R3="'),
            interaction("POST", "/inventory/receivers/601/canceler", status=204),
            interaction(
                "GET",
                "/inventory/receivers/601",
                body=with_read_only(receiver_doc("rput", 601), status=2),
                etag='"R4="',
            ),
        ],
        "test_receiver_digests_list_receivers_with_their_items": [
            token(),
            interaction(
                "GET",
                "/inventory/receiverdigests",
                {"pgsiz": 2, "pgnum": 1},
                body=collection(
                    "inventory/receiverdigest",
                    [
                        {
                            "receiverId": rid,
                            "referenceNum": f"ASN-{rid}",
                            "status": 1,
                            "itemInfos": [
                                {
                                    "receiveItemId": rid * 10 + 1,
                                    "itemIdentifier": {"sku": "ABC-1", "id": 101},
                                    "origQtyPrimary": 24,
                                    "available": 20,
                                    "onHold": 0,
                                }
                            ],
                            "canComplete": False,
                            "canCancel": False,
                            "canConfirm": False,
                        }
                        for rid in (501, 502)
                    ],
                    3,
                ),
            ),
        ],
        "test_item_aliases_name_the_items_they_stand_for": [
            token(),
            interaction(
                "GET",
                f"/customers/{CID}/itemaliases",
                {"pgsiz": 5, "pgnum": 1},
                body=collection(
                    "customers/itemalias",
                    [
                        {
                            "aliasIdentifier": {"sku": "ABC-1-AMZ", "id": 9001},
                            "active": True,
                            "description": "Amazon listing",
                            "details": [{"itemIdentifier": {"sku": "ABC-1", "id": 101}, "qty": 1}],
                        }
                    ],
                ),
            ),
        ],
        "test_item_delete_with_if_match_removes_it": [
            token(),
            interaction(
                "POST",
                f"/customers/{CID}/items",
                status=201,
                body=item_doc(ref("DEL"), 201),
                etag='"I1="',
            ),
            interaction(
                "GET", f"/customers/{CID}/items/201", body=item_doc(ref("DEL"), 201), etag='"I1="'
            ),
            interaction("DELETE", f"/customers/{CID}/items/201", status=204),
            interaction(
                "GET",
                f"/customers/{CID}/items/201",
                status=404,
                content_type=TEXT,
                body="Item 201 not found",
            ),
        ],
    }
