"""Seeds N shipped orders through the app's own services, so N "shipped" emails are due (run in the app's env)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from connectors import model

COMMIT_EVERY = 200


def make_order(i: int, now: datetime) -> model.Order:
    """One realistic order: two line items, an address, one shipment with a tracking number."""
    placed = now - timedelta(days=2, minutes=i)
    shipped = now - timedelta(hours=3, seconds=i)
    locale = "es" if i % 2 else "en"
    items = (
        model.LineItem(external_id=f"{i}01", title="Camiseta de algodón orgánico", quantity=2,
                       price=model.Money(Decimal("19.90"), "EUR"), sku=f"TS-{i:05d}", variant_title="M / Verde",
                       product_id="7001", variant_id=f"{i}7001"),
        model.LineItem(external_id=f"{i}02", title="Tote bag", quantity=1, price=model.Money(Decimal("9.50"), "EUR"),
                       sku="TOTE-1", product_id="7002", variant_id="87002"),
    )
    shipment = model.Shipment(
        external_id=f"f{i}",
        status=model.ShipmentStatus.IN_TRANSIT,
        created_at=shipped,
        updated_at=shipped,
        carrier="UPS",
        tracking_number=f"1Z999AA1{i:010d}",
        tracking_url=f"https://www.ups.com/track?tracknum=1Z999AA1{i:010d}",
        items=(model.ShipmentItem(f"{i}01", 2), model.ShipmentItem(f"{i}02", 1)),
        events=(model.TrackingEvent(model.ShipmentStatus.IN_TRANSIT, shipped, "Departed facility", "Madrid, ES"),),
    )
    return model.Order(
        external_id=str(900_000_000 + i),
        number=f"#{1000 + i}",
        created_at=placed,
        updated_at=shipped,
        customer=model.Customer(external_id=str(50_000 + i), email=f"shopper{i}@example.com",
                                first_name="Lucía" if i % 2 else "Sam", last_name=f"Bench{i}", locale=locale),
        total=model.Money(Decimal("49.30"), "EUR"),
        locale=locale,
        line_items=items,
        shipping_address=model.Address(name=f"Shopper {i}", line1="Calle Mayor 1", city="Madrid",
                                       postal_code="28013", country_code="ES"),
        shipments=(shipment,),
        financial_status="paid",
        fulfillment_status="fulfilled",
    )


def seed(n: int) -> int:
    """Create the bench shop and n orders; returns the number of due 'shipped' messages."""
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import Message
    from app.services.orders import upsert_order
    from app.services.shops import create_shop

    app = create_app()
    with app.app_context():
        shop = create_shop("shopify", "bench-shop.myshopify.com").shop
        now = datetime.now(UTC)
        for i in range(n):
            upsert_order(shop, make_order(i, now))
            if (i + 1) % COMMIT_EVERY == 0:
                db.session.commit()
        db.session.commit()
        due = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.kind == "shipped", Message.status == "queued")
        )
        db.session.remove()
    return int(due or 0)


if __name__ == "__main__":
    print(seed(int(sys.argv[1])))
