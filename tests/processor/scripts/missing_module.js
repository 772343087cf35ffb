const notThere = require('barrage-no-such-module');
module.exports = { fine(context, events, done) { done(); } };
