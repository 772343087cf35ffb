// async hooks (corpus/processor_async.yml): Artillery awaits them, decided by
// the function's constructor. The second call of failSecond rejects: that VU
// fails with errors.<message>.
'use strict';
const crypto = require('crypto');
const { promisify } = require('util');
const sleep = promisify(setTimeout);

let calls = 0;

module.exports = {
  async share(context) {
    context.vars.shared = 'from-before';
  },
  async makeBody(context, events) {
    await sleep(1);
    context.vars.digest = crypto.createHash('md5').update('corpus').digest('hex');
    events.emit('counter', 'corpus.bodies', 1);
  },
  async failSecond(context, events) {
    calls += 1;
    if (calls === 2) throw new Error('second call fails');
    events.emit('counter', 'corpus.passed', 1);
  },
  async addHeader(requestParams, context) {
    requestParams.headers = requestParams.headers || {};
    requestParams.headers['x-digest'] = context.vars.digest;
  },
  async count(requestParams, response, context, events) {
    if (response.statusCode === 200) events.emit('counter', 'corpus.ok_responses', 1);
  },
};
