module.exports = {
  fine(context, events, done) { done(); },
  broken(context, events, done) { const x = ; done(); },
};
