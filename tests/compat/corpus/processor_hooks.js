// Artillery's hook signatures in the callback style (corpus/processor_hooks.yml),
// with Node built-ins; each hook counts what it saw with events.emit.
'use strict';
const crypto = require('crypto');
const util = require('util');

module.exports = {
  setUp(context, events, done) {
    context.vars.calls = 0;
    events.emit('counter', 'corpus.before_scenario', 1);
    done();
  },
  makeId(context, events, done) {
    context.vars.calls += 1;
    context.vars.id = crypto.createHash('sha1').update(String(context.vars.$uuid)).digest('hex').slice(0, 8);
    context.vars.label = util.format('item-%d', context.vars.calls);
    done();
  },
  sign(requestParams, context, events, next) {
    requestParams.headers = requestParams.headers || {};
    requestParams.headers['x-signature'] = 'sig-' + context.vars.id;
    events.emit('counter', 'corpus.signed', 1);
    next();
  },
  check(requestParams, response, context, events, next) {
    const body = JSON.parse(response.body);
    if (response.statusCode === 200 && body.headers['x-signature'] === 'sig-' + context.vars.id) {
      events.emit('counter', 'corpus.verified', 1);
    }
    events.emit('histogram', 'corpus.path_length', body.path.length);
    next();
  },
  remember(context, events, done) {
    context.vars.seen = context.vars.path.replace('/echo/', '');
    done();
  },
  tearDown(context, events, done) {
    if (context.vars.calls === 1 && context.vars.seen === context.vars.label) {
      events.emit('counter', 'corpus.after_scenario_ok', 1);
    }
    events.emit('rate', 'corpus.finished');
    done();
  },
};
