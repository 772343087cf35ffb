// Every hook kind, in Artillery's signatures and both styles (callback and
// async), using Node built-ins and a module from node_modules beside it.
'use strict';
const crypto = require('crypto');
const util = require('util');
const path = require('path');
const url = require('url');
const fs = require('fs');
const { v4 } = require('barrage-test-id');

module.exports = {
  // beforeScenario (callback): the context persists across the VU's calls.
  start(context, events, done) {
    context.vars.calls = 0;
    context.vars.id = v4();
    events.emit('counter', 'hooks.before_scenario', 1);
    done();
  },
  // function step (async): a value computed with built-ins.
  async makeToken(context, events) {
    context.vars.calls += 1;
    const here = path.basename(__filename) + fs.statSync(__filename).isFile();
    context.vars.token = crypto.createHash('sha256').update(context.vars.id + here).digest('hex').slice(0, 16);
    context.vars.label = util.format('%s-%d', 'vu', context.vars.calls);
    events.emit('histogram', 'hooks.token_length', context.vars.token.length);
  },
  // scenario-level beforeRequest (callback): signs every request; the step's
  // templates are rendered after it, with the variables it set.
  sign(requestParams, context, events, next) {
    context.vars.calls += 1;
    requestParams.headers = requestParams.headers || {};
    requestParams.headers['x-signature'] = 'sig-' + context.vars.token;
    context.vars.expected = 'sig-' + context.vars.token;
    next();
  },
  // request-level beforeRequest (async): changes the URL and adds a query.
  async retarget(requestParams, context) {
    const u = new url.URL(requestParams.url);
    u.pathname = '/echo/retargeted';
    requestParams.url = u.toString();
    requestParams.qs = { who: '{{ label }}' };
  },
  // afterResponse (callback): status, headers and body of the response.
  check(requestParams, response, context, events, next) {
    const body = JSON.parse(response.body);
    if (response.statusCode === 200 && body.headers['x-signature'] === context.vars.expected &&
        body.headers['x-token'] === context.vars.token && response.headers['content-type']) {
      events.emit('counter', 'hooks.signature_seen', 1);
    }
    if (body.path === '/echo/retargeted' && body.query === 'who=vu-1') {
      events.emit('counter', 'hooks.retargeted', 1);
    }
    context.vars.seen = body.headers['x-signature'];
    next();
  },
  // afterScenario (async): sees what the flow captured and the hooks set.
  async finish(context, events) {
    if (context.vars.seen === context.vars.expected && context.vars.calls === 3) {
      events.emit('counter', 'hooks.after_scenario_ok', 1);
    }
    events.emit('rate', 'hooks.finished');
  },
};
