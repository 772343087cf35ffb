// Differential check of barrage's Regex against Node's RegExp on random
// patterns: writes random patterns, flags and inputs with what Node's exec
// gave (or that it threw) to the file named by the first argument; the
// JsRegexRandom test in regex_test.cc then runs every case in barrage
// (ctest js_regex_random runs both). A fixed seed keeps the cases the same.
//
//   node js_regex_random.mjs OUT.json [COUNT] [SEED]
import { writeFileSync } from 'node:fs';

const [out, countArg = '20000', seedArg = '1'] = process.argv.slice(2);
let seed = Number(seedArg) >>> 0;
function random() {  // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

const atoms = ['a', 'b', 'c', 'x', '.', '\\d', '\\w', '\\s', '\\S', '\\b', '\\B', '^', '$', '[abc]',
  '[^a]', '[\\s\\d]', '[a-c\\S]', '[^\\S]', '[\\w-]', '\\n', ' ', 'é', '\\u00e9', '\\.', '\\x41',
  'A', '[]', '[^]', '\\1', '\\2', '\\k<g0>'];
const quantifiers = ['', '', '', '*', '+', '?', '*?', '+?', '??', '{1,2}', '{2}', '{0,}'];
let named = 0;
function sequence(depth) {
  let p = '';
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; i++) p += term(depth);
  return p;
}
function term(depth) {
  let atom;
  if (depth < 3 && random() < 0.25) {
    const open = pick(['(', '(', '(?:', '(?=', '(?!', '(?<=', '(?<!', `(?<g${named++}>`]);
    atom = open + sequence(depth + 1) + (random() < 0.33 ? `|${sequence(depth + 1)}` : '') + ')';
  } else {
    atom = pick(atoms);
  }
  return atom + pick(quantifiers);
}
const chars = ['a', 'b', 'c', 'x', ' ', '\n', '\r', 'é', 'A', '1', '-', '_', '.', '\u00a0', '\u2028'];

const cases = [];
while (cases.length < Number(countArg)) {
  named = 0;
  const pattern = sequence(0);
  const flags = pick(['', 'i', 'm', 's', 'u', 'y', 'im', 'su']);
  let input = '';
  const n = Math.floor(random() * 12);
  for (let i = 0; i < n; i++) input += pick(chars);
  let rx;
  try {
    rx = new RegExp(pattern, flags);
  } catch {
    cases.push({ pattern, flags, input, error: true });
    continue;
  }
  const m = rx.exec(input);
  cases.push({ pattern, flags, input, error: false,
    match: m === null ? null : Array.from(m, (g) => (g === undefined ? null : g)) });
}
writeFileSync(out, JSON.stringify(cases));
