// Opening a client connection for a VU: DNS (cached per shard), TCP
// connect (racing a name's addresses, RFC 8305), TLS handshake for https
// and wss URLs. Shared by the HTTP steps and the ws engine.
#pragma once

#include "engine/connection.h"
#include "engine/task.h"
#include "http/url.h"

namespace barrage::engine {

class Shard;
class TlsContext;

// How long each part of opening a connection took (and which parts ran).
struct ConnectTiming {
  Nanos dns = 0, tcp = 0, tls = 0;
  bool did_dns = false, did_tcp = false, did_tls = false;
};

// Opens `conn` to `url` by `deadline`; nullptr or the error name (conn is
// closed then). TLS uses `tls`, or the shard's context when null.
Task<const char*> open_connection(Shard& shard, Connection& conn, const http::Url& url,
                                  Nanos deadline, ConnectTiming& timing, TlsContext* tls = nullptr);

}  // namespace barrage::engine
