import pytest

from extensiv_connector.errors import SandboxError
from extensiv_connector.sandbox import Sandbox


@pytest.mark.parametrize("qty", [0, -1, "nan", "x"])
def test_add_alias_refuses_a_quantity_that_is_not_positive(qty: object) -> None:
    with Sandbox() as sb, pytest.raises(SandboxError):
        sb.warehouse.add_alias("A-1", "SKU-000001", qty=qty)


def test_add_alias_refuses_a_duplicate_alias_sku() -> None:
    with Sandbox() as sb:
        sb.warehouse.add_alias("A-1", "SKU-000001")
        with pytest.raises(SandboxError):
            sb.warehouse.add_alias("A-1", "SKU-000001", qty=2)
