// An ES module processor (Artillery loads .mjs with import()).
import { createHash } from 'node:crypto';
import { v4 } from 'barrage-test-id';

export async function setId(context, events) {
  context.vars.id = v4();
  context.vars.digest = createHash('md5').update(Buffer.from(context.vars.id)).digest('hex');
  events.emit('counter', 'esm.calls', 1);
}
