"""The measured loops' client sends what the services expect (a real socket, an aiohttp server)."""

import json

from aiohttp import web

from bench.api import ApiError
from bench.loadclient import load_client


async def _server(aiohttp_app: web.Application):
    runner = web.AppRunner(aiohttp_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the port the OS chose
    return runner, f"http://127.0.0.1:{port}"


async def test_post_sends_json_or_nothing_with_the_given_headers():
    seen = []

    async def handler(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("Content-Type"),
                     request.headers.get("If-Match"), await request.read()))
        return web.json_response({"ok": True}, status=201)

    app = web.Application()
    app.router.add_post("/{tail:.*}", handler)
    runner, url = await _server(app)
    try:
        async with load_client(url, 2) as client:
            created = await client.post("/orders", {"Authorization": "Bearer t"}, {"sku": "A"})
            confirmed = await client.post("/orders/1/confirm", {"If-Match": '"1"'})
    finally:
        await runner.cleanup()
    assert created.status == created.status_code == 201 and created.json() == {"ok": True}
    assert confirmed.status == 201
    assert seen[0][0] == "/orders" and seen[0][1] == "application/json"
    assert json.loads(seen[0][3]) == {"sku": "A"}
    assert seen[1] == ("/orders/1/confirm", None, '"1"', b"")


def test_a_failed_answer_names_what_failed_and_its_status():
    from bench.loadclient import Answer

    error = ApiError("create an order", Answer(422, b'{"detail": "lines: empty"}'))
    assert error.status_code == 422
    assert "create an order: HTTP 422" in str(error) and "lines: empty" in str(error)
