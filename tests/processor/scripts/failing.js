// Each way a hook can fail; the scenario picks one by the VU's payload-free
// variable `mode` (set per scenario in failing.yml).
'use strict';
const fs = require('fs');
module.exports = {
  throws(context, events, next) {
    throw new Error('thrown by a hook');
  },
  async rejects(context) {
    const err = new Error('rejected');
    err.code = 'EREJECTED';
    throw err;
  },
  passesError(requestParams, context, events, next) {
    next(new Error('passed to next'));
  },
  neverCallsNext(context, events, next) {},
  ok(context, events, next) {
    events.emit('counter', 'failing.ok', 1);
    next();
  },
  // Loops forever the first time in any process (a marker file says it did).
  loopsOnce(context, events, next) {
    const marker = process.env.BARRAGE_TEST_MARKER;
    if (!fs.existsSync(marker)) {
      fs.writeFileSync(marker, 'looped');
      for (;;) {}
    }
    next();
  },
};
