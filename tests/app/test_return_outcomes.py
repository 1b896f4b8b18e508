"""Store credit and exchanges on an installed Shopify store: offered from the catalogue, made once on close."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Return
from app.services import return_tasks, return_workflow
from tests.app.test_returns_portal import csrf, post_multipart
from tests.conftest import drain
from tests.fake_shopify import SHOP, graphql_product
from tests.returns_store import EMAIL, ORDER_GID, SHIRT, SHIRT_PRODUCT, SHOES_PRODUCT, Store

SHIRT_VARIANT = 9123456789012345679  # what was bought (orders_create.json)
LARGE, XL = 9123456789012345700, 9123456789012345701


@pytest.fixture
def catalogue(store: Store) -> Store:
    """The shirt in three sizes (XL sold out); the shoes a final sale."""
    store.fake.shop_orders[ORDER_GID] = {"id": ORDER_GID, "name": "#1001", "email": EMAIL, "shippingAddress": None}
    for product in (
        graphql_product(SHIRT_PRODUCT, "Camiseta", ["verano"], ["camisetas"],
                        [(SHIRT_VARIANT, "M / Azul", "CAM-ORG-M-AZ", "29.95", True),
                         (LARGE, "L / Azul", "CAM-ORG-L-AZ", "29.95", True),
                         (XL, "XL / Azul", "CAM-ORG-XL-AZ", "29.95", False)]),
        graphql_product(SHOES_PRODUCT, "Zapatillas", ["final-sale"], [],
                        [(9123456789012345681, "42", "ZAP-LON-42-BL", "59.00", True)]),
    ):
        store.fake.products[product["id"]] = product
    return store


def form_url(client: Any) -> str:
    page = client.get(f"/returns/{SHOP}")
    resp = client.post(f"/returns/{SHOP}", data={"order": "1001", "email": EMAIL,
                                                 "csrf_token": csrf(page.get_data(as_text=True))})
    return str(resp.headers["Location"]) + "?lang=en"


def ask(client: Any, url: str, **fields: str) -> Any:
    page = client.get(url).get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key
    return post_multipart(client, url, {"csrf_token": csrf(page), "key": key.group(1), "reason": "too_small",
                                        f"qty-{SHIRT}": "1", **fields})


def close_and_run(app: Any, db: Any) -> Return:
    ret = db.session.scalar(select(Return))
    return_workflow.close(ret)
    db.session.commit()
    drain(app)
    db.session.expire_all()
    again = db.session.get(Return, ret.id)
    return_tasks.run(again.id)  # a second run (a retried job) finds the work done
    db.session.expire_all()
    return db.session.get(Return, ret.id)  # type: ignore[no-any-return]


def test_the_form_offers_only_other_sizes_in_stock_and_refuses_final_sale(client: Any, catalogue: Store) -> None:
    page = client.get(form_url(client)).get_data(as_text=True)
    assert "L / Azul" in page and "XL / Azul" not in page  # sold out
    assert f'<option value="{SHIRT_VARIANT}"' not in page  # not the one they have
    assert "This item was a final sale and cannot be returned." in page  # the shoes, by their product tag


def test_an_exchange_becomes_one_free_order_on_the_store(app: Any, db: Any, client: Any, catalogue: Store) -> None:
    url = form_url(client)
    sold_out = ask(client, url, outcome="exchange", **{f"variant-{SHIRT}": str(XL)})
    assert sold_out.status_code == 422 and "Choose the variant you would like instead." in sold_out.get_data(
        as_text=True)
    assert ask(client, url, outcome="exchange", **{f"variant-{SHIRT}": str(LARGE)}).status_code == 302
    drain(app)
    ret = close_and_run(app, db)
    assert (ret.status, ret.resolution_state) == ("closed", "done")
    assert ret.exchange_lines == [{"line_item_id": SHIRT, "variant_id": str(LARGE), "quantity": 1}]
    assert len(catalogue.fake.created_orders) == 1 and ret.resolution_code == catalogue.fake.created_orders[0]["name"]
    assert catalogue.fake.refund_inputs == []  # an exchange is not also a refund


def test_store_credit_is_issued_once_and_shown_to_the_shopper(app: Any, db: Any, client: Any,
                                                              catalogue: Store) -> None:
    resp = ask(client, form_url(client), outcome="store_credit")
    assert resp.status_code == 302
    drain(app)
    ret = close_and_run(app, db)
    assert (ret.status, ret.resolution_state) == ("closed", "done")
    assert len(catalogue.fake.gift_cards) == 1 and str(ret.resolution_amount) == "29.9500"
    (processed,) = catalogue.fake.return_process_inputs  # Shopify's copy of the return is processed, once,
    assert "financialTransfer" not in processed and catalogue.fake.refunds.get(ORDER_GID, []) == []  # no refund
    assert ret.resolution_code and ret.resolution_code in client.get(resp.headers["Location"]).get_data(as_text=True)
