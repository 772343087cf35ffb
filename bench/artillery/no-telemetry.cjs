// Preloaded by bench/artillery.sh (NODE_OPTIONS=--require) so Artillery sends nothing off the host.
// Artillery 2.0.21 still posts an anonymised "test run" event through posthog-node when
// ARTILLERY_DISABLE_TELEMETRY is set (lib/telemetry.js) and has no flag to turn that off, so this
// replaces the posthog-node module with a client that drops every event. Benchmark traffic must
// stay on 127.0.0.1.
'use strict';

const Module = require('module');

class NullPostHog {
  capture() {}
  identify() {}
  flush() {}
  async flushAsync() {}
  shutdown() {}
  async shutdownAsync() {}
}

const load = Module._load;
Module._load = function (request, parent, is_main) {
  if (request === 'posthog-node') {
    return { PostHog: NullPostHog };
  }
  return load.call(this, request, parent, is_main);
};
