// bench/processor.sh: a beforeRequest hook on every request, as a request-
// signing processor does (Artillery's callback signature).
'use strict';
const crypto = require('crypto');

module.exports = {
  sign(requestParams, context, events, next) {
    requestParams.headers = requestParams.headers || {};
    requestParams.headers['x-signature'] = crypto
      .createHmac('sha256', 'bench-key')
      .update(requestParams.url)
      .digest('hex');
    next();
  },
};
