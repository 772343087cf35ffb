// barrage's processor host: one Node.js process per engine shard, started only
// when a script has `config.processor`. It loads the processor as Artillery
// does (require, or import() for .mjs), keeps one context object per virtual
// user, and serves hook calls from the engine over the socketpair on fd 3.
//
// Frames both ways: a 4-byte little-endian length, then that many bytes of
// UTF-8 JSON. Requests (engine -> host):
//   {t:'load', path}                      -> {t:'loaded', exports:[names]} or
//                                            {t:'loaderr', message, line, column}
//   {t:'call', id, vu, kind, fns, vars, req?, res?, target}
//                                         -> {t:'done', id, error?, vars?, req?, m?}
//   {t:'end', vu}                         (no reply: the VU's context is dropped)
//   {t:'globals', vars}                   (no reply: the script's variables, sent
//                                          once; each new context starts with them)
//   {t:'ping', id}                        -> {t:'pong', id}
// `vars` in a call are the VU's own variables as the engine holds them (strings);
// a value the engine did not change since the last sync keeps its JavaScript
// value here, so a number a hook stored stays a number. The reply carries
// only the variables whose text changed (numbers and objects as JSON text).
// `m` lists events.emit('counter'|'histogram'|'rate', name, value) calls.
'use strict';
const net = require('net');
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const { pathToFileURL } = require('url');
const { EventEmitter } = require('events');

const sock = new net.Socket({ fd: 3, readable: true, writable: true });
let processor = null;
let processorPath = '';
const contexts = new Map(); // vu id -> { context, shadow: Map(name -> text) }
let globals = {}; // the script's variables ({t:'globals'}), copied into each new context

// Replies are batched: every frame queued in one turn of Node's loop goes out
// in one write (setImmediate runs after the I/O that produced them).
let queued = [];
let queuedBytes = 0;
function send(msg) {
  const body = JSON.stringify(msg);
  queued.push(body);
  queuedBytes += 4 + Buffer.byteLength(body, 'utf8');
  if (queued.length === 1) setImmediate(flush);
}
function flush() {
  const buf = Buffer.allocUnsafe(queuedBytes);
  let off = 0;
  for (const body of queued) {
    const n = buf.write(body, off + 4, 'utf8');
    buf.writeUInt32LE(n, off);
    off += 4 + n;
  }
  queued = [];
  queuedBytes = 0;
  // A direct write (one syscall, no stream machinery); the stream takes
  // what the socket cannot take now.
  let done = 0;
  if (!sock.writableLength) {
    try {
      done = fs.writeSync(3, buf);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
  if (done < buf.length) sock.write(done ? buf.subarray(done) : buf);
}

// Where a load error points in the processor: the SyntaxError's first stack
// line ("file:LINE") and caret line, or the first stack frame in the file.
function errorPlace(err, file) {
  const stack = String((err && err.stack) || '');
  const lines = stack.split('\n');
  if (lines.length > 2 && lines[0].startsWith(file + ':')) {
    const line = Number(lines[0].slice(file.length + 1));
    const caret = lines[2].indexOf('^');
    return { line: Number.isFinite(line) ? line : 0, column: caret >= 0 ? caret + 1 : 0 };
  }
  for (const l of lines) {
    const i = l.indexOf(file + ':');
    if (i < 0) continue;
    const m = /^:(\d+):(\d+)/.exec(l.slice(i + file.length));
    if (m) return { line: Number(m[1]), column: Number(m[2]) };
  }
  return { line: 0, column: 0 };
}

async function load(file) {
  processorPath = file;
  try {
    let mod;
    if (file.endsWith('.mjs')) {
      mod = await import(pathToFileURL(file).href);
    } else {
      mod = createRequire(file)(file);
    }
    // Artillery reads functions off module.exports (an ES module's exports,
    // default export's properties too).
    processor = Object.assign({}, mod && mod.default, mod);
    const names = Object.keys(processor).filter((k) => typeof processor[k] === 'function');
    send({ t: 'loaded', exports: names });
  } catch (err) {
    const place = errorPlace(err, file);
    let message = String((err && err.message) || err);
    if (err && err.code === 'MODULE_NOT_FOUND') {
      const m = /Cannot find module '([^']+)'/.exec(message);
      if (m) message = `cannot find module '${m[1]}' (install it beside the script: npm install ${m[1]})`;
    } else if (err instanceof SyntaxError) {
      message = 'SyntaxError: ' + message;
    }
    send({ t: 'loaderr', message, line: place.line, column: place.column });
  }
}

function text(v) {
  if (typeof v === 'string') return v;
  if (v === undefined || typeof v === 'function') return undefined;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function contextOf(vu, target) {
  let c = contexts.get(vu);
  if (!c) {
    const vars = { target, $processEnvironment: process.env, $env: process.env };
    const shadow = new Map();
    for (const k in globals) {
      vars[k] = globals[k];
      shadow.set(k, globals[k]);
    }
    c = {
      context: { vars, funcs: {}, _uid: String(vu), scenario: {} },
      shadow,
    };
    contexts.set(vu, c);
  }
  return c;
}

// The `events` (ee) argument: emit('counter' | 'histogram' | 'rate', name,
// value) become the call's custom metrics, emit('error', name) counts
// errors.<name>; other events reach listeners as on an EventEmitter (one is
// made only when a hook adds a listener).
class Events {
  constructor(metrics) {
    this.metrics = metrics;
    this.emitter = null;
  }
  emit(type, name, value, ...rest) {
    if (type === 'counter' || type === 'histogram' || type === 'rate') {
      const v = value === undefined ? 1 : Number(value);
      if (typeof name === 'string' && Number.isFinite(v)) this.metrics.push([type, name, v]);
    } else if (type === 'error') {
      this.metrics.push(['error', String(name), 1]);
    }
    return this.emitter ? this.emitter.emit(type, name, value, ...rest) : false;
  }
  on(...args) {
    (this.emitter ||= new EventEmitter()).on(...args);
    return this;
  }
  once(...args) {
    (this.emitter ||= new EventEmitter()).once(...args);
    return this;
  }
  off(...args) {
    if (this.emitter) this.emitter.off(...args);
    return this;
  }
  removeListener(...args) {
    return this.off(...args);
  }
}

// Calls fn with Artillery's arguments; resolves when it is done, rejects with
// its error. Callback vs async is decided by the function's constructor, as
// Artillery does.
function invoke(fn, args) {
  if (fn.constructor.name === 'Function') {
    return new Promise((resolve, reject) => {
      fn(...args, (err) => (err ? reject(err) : resolve()));
    });
  }
  return Promise.resolve().then(() => fn(...args));
}

function errorName(err) {
  if (err && typeof err === 'object') return String(err.code || err.message || err);
  return String(err);
}

const REQ_FIELDS = ['url', 'method', 'headers', 'json', 'body', 'qs', 'name'];

let calls = 0;
async function call(msg) {
  calls += 1;
  const c = contextOf(msg.vu, msg.target);
  const { context, shadow } = c;
  for (const [k, v] of Object.entries(msg.vars || {})) {
    if (shadow.get(k) !== v) {
      context.vars[k] = v;
      shadow.set(k, v);
    }
  }
  const metrics = [];
  const ee = new Events(metrics);
  const req = msg.req;
  // One serialization before and after tells whether a hook changed
  // requestParams; only then are the fields compared one by one.
  const before = req && msg.kind === 'request' ? JSON.stringify(req) : null;
  const reply = { t: 'done', id: msg.id };
  try {
    for (const name of msg.fns) {
      const fn = processor[name];
      if (typeof fn !== 'function') throw new Error(`Undefined function "${name}"`);
      if (msg.kind === 'request') await invoke(fn, [req, context, ee]);
      else if (msg.kind === 'response') await invoke(fn, [req, msg.res, context, ee]);
      else await invoke(fn, [context, ee]);
    }
  } catch (err) {
    reply.error = errorName(err);
  }
  const changed = {};
  let any = false;
  for (const [k, v] of Object.entries(context.vars)) {
    if (k.startsWith('$') || (k === 'target' && !shadow.has(k))) continue;
    const s = text(v);
    if (s === undefined || shadow.get(k) === s) continue;
    shadow.set(k, s);
    changed[k] = s;
    any = true;
  }
  if (any) reply.vars = changed;
  if (before !== null && JSON.stringify(req) !== before) {
    const old = JSON.parse(before);
    const out = {};
    let touched = false;
    REQ_FIELDS.forEach((f) => {
      if (JSON.stringify(req[f]) !== JSON.stringify(old[f])) {
        out[f] = req[f] === undefined ? null : req[f];
        touched = true;
      }
    });
    if (touched) reply.req = out;
  }
  if (metrics.length) reply.m = metrics;
  send(reply);
}

function handle(msg) {
  switch (msg.t) {
    case 'load':
      load(msg.path);
      break;
    case 'call':
      call(msg).catch((err) => send({ t: 'done', id: msg.id, error: errorName(err) }));
      break;
    case 'end':
      contexts.delete(msg.vu);
      break;
    case 'globals':
      globals = msg.vars || {};
      break;
    case 'ping':
      send({ t: 'pong', id: msg.id });
      break;
    default:
      break;
  }
}

let pending = Buffer.alloc(0);
sock.on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  let off = 0;
  while (pending.length - off >= 4) {
    const n = pending.readUInt32LE(off);
    if (pending.length - off - 4 < n) break;
    const msg = JSON.parse(pending.toString('utf8', off + 4, off + 4 + n));
    off += 4 + n;
    handle(msg);
  }
  pending = off === pending.length ? Buffer.alloc(0) : pending.subarray(off);
});
// BARRAGE_PROCESSOR_STATS=1: the host's own CPU at its end (bench/processor.sh).
function exit() {
  if (process.env.BARRAGE_PROCESSOR_STATS === '1') {
    const u = process.cpuUsage();
    process.stderr.write(`barrage-processor-host cpu_us ${u.user + u.system} calls ${calls} user_us ${u.user} sys_us ${u.system}\n`);
  }
  process.exit(0);
}
sock.on('end', exit);
sock.on('error', exit);
// A hook's unhandled rejection or exception outside a call must not end the
// host: Artillery's worker would log it and go on.
process.on('unhandledRejection', () => {});
process.on('uncaughtException', (err) => {
  process.stderr.write(`barrage: processor ${path.basename(processorPath)}: ${err && err.stack}\n`);
});
