"""The ingest baseline: a bare Flask app with one POST route, served by the same gunicorn settings."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.post("/webhooks/shopify")
def ok() -> tuple[str, int]:
    return "ok", 200


# The tracking page baseline: a static page the size of a real one (two shipments, questions, suggestions).
_EVENT = ('<li><time datetime="2026-01-0{d}T10:15:00+00:00">Jan {d}, 2026, 10:15:00 AM</time>\n'
          '  <strong>In transit</strong> · Zaragoza, ES<br><span class="msg">Departed facility</span></li>\n')
_SHIPMENT = (
    '<section class="card shipment" data-status="in_transit">\n<h2 class="status status-in_transit">In transit</h2>\n'
    '<ol class="progress" aria-label="Progress"><li class="done">Order confirmed</li><li class="done">In transit</li>'
    '<li class="">Out for delivery</li><li class="">Delivered</li></ol>\n'
    '<dl class="facts"><dt>Carrier</dt><dd>UPS</dd><dt>Estimated delivery</dt>'
    '<dd class="eta">Mon 5 Jan – Thu 8 Jan</dd>'
    '<dt>Tracking number</dt><dd><a href="https://www.ups.com/track?tracknum=1Z999AA10123456784" '
    'rel="noopener noreferrer" target="_blank">1Z999AA10123456784</a></dd></dl>\n<h3>Updates</h3>\n'
    '<ol class="timeline">\n' + "".join(_EVENT.format(d=d) for d in range(1, 8)) + "</ol>\n</section>\n"
)
TRACKING_PAGE = (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>Order #1042 · Bench Shop</title>\n'
    '<link rel="stylesheet" href="/static/style.css">\n'
    "<style>:root { --brand: #1f6f5c; --accent: #f4f1ea; }</style>\n</head>\n<body>\n<main class=\"page\">\n"
    '<header class="brand"><p class="shopname">Bench Shop</p></header>\n<h1>Order #1042</h1>\n'
    + _SHIPMENT * 2
    + '<section class="card faq"><h2>Questions</h2>'
    + "<details><summary>When will my order arrive?</summary><p>The estimated delivery window is shown with each "
      "shipment. It comes from how long this carrier has recently taken to bring our orders to your area.</p>"
      "</details>\n" * 3
    + '</section>\n<section class="card recommendations"><h2>You may also like</h2><ul>'
    + '<li><a href="/r/eyJrIjoicmVjb21tZW5kYXRpb24iLCJzIjoxLCJvIjoxMDQyfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ" '
      'rel="nofollow">Sudadera con capucha</a></li>' * 3
    + '</ul></section>\n<section class="card"><h2>Items</h2><ul class="items">'
    + "<li><span>Camiseta de algodón orgánico · M / Verde</span> <span>× 2</span></li>" * 3
    + "</ul></section>\n</main>\n</body>\n</html>\n"
)


@app.get("/t/<token>")
def tracking(token: str) -> str:
    return TRACKING_PAGE
