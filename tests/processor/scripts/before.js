// config.before's function step sets a variable every VU sees.
'use strict';
module.exports = {
  setup(context, events, done) {
    context.vars.shared = 'from-before';
    done();
  },
  use(context, events, done) {
    if (context.vars.shared === 'from-before') events.emit('counter', 'before.shared_seen', 1);
    done();
  },
};
