#!/usr/bin/env python3
"""A WebSocket test server for barrage's ws engine tests (Debian's
python3-websockets), on 127.0.0.1. The path picks the behaviour:

  /echo       each message back
  /json       {"id": n, "echo": message} for each message (n counts per connection)
  /multi      three replies per message ("reply 1 of <msg>", ...); "end" -> "done"
  /close      closes with 1011 after the first message
  /big        a 2000-byte text message for each message
  /badutf8    a text frame that is not UTF-8 for each message
  /ping       pings the client, waits for its pong, then sends "pong-ok"
  /fragment   "abcdefghi" in three fragments for each message
  /hello      "hello" right after the handshake, then echoes
  /whoami     {"subprotocol": ..., "user": <X-User header>} for each message
  /notfound   no upgrade: HTTP 404

Usage: ws_server.py PORT [TLS_PORT CERT KEY]; prints "ready" once listening.
"""
import asyncio
import http
import json
import ssl
import sys

import websockets


async def handler(ws, path):
    try:
        if path == "/hello":
            await ws.send("hello")
        n = 0
        async for message in ws:
            n += 1
            if path == "/json":
                await ws.send(json.dumps({"id": n, "echo": message}))
            elif path == "/multi":
                if message == "end":
                    await ws.send("done")
                else:
                    for i in range(1, 4):
                        await ws.send(f"reply {i} of {message}")
            elif path == "/close":
                await ws.close(code=1011, reason="bye")
                return
            elif path == "/big":
                await ws.send("x" * 2000)
            elif path == "/badutf8":
                await ws.write_frame(True, 0x1, b"ab\xff\xfecd")
            elif path == "/ping":
                pong = await ws.ping(b"are you there")
                await asyncio.wait_for(pong, 5)
                await ws.send("pong-ok")
            elif path == "/fragment":
                await ws.send(["abc", "def", "ghi"])
            elif path == "/whoami":
                await ws.send(json.dumps({"subprotocol": ws.subprotocol,
                                          "user": ws.request_headers.get("X-User", "")}))
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def refuse(path, request_headers):
    if path == "/notfound":
        return http.HTTPStatus.NOT_FOUND, [("Content-Type", "text/plain")], b"not here\n"
    return None


async def main():
    port = int(sys.argv[1])
    servers = [await websockets.serve(handler, "127.0.0.1", port,
                                      subprotocols=["chat", "superchat"], max_size=None,
                                      process_request=refuse)]
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        servers.append(await websockets.serve(handler, "127.0.0.1", int(sys.argv[2]), ssl=ctx,
                                              subprotocols=["chat", "superchat"]))
    print("ready", flush=True)
    await asyncio.Future()


asyncio.run(main())
