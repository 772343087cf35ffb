// Runs each JavaScript regex case below in Node and writes what JavaScript
// produced: js_regex_cases.json, the table barrage's Regex is checked against
// (regex_test.cc).
//
//   node js_regex_cases.mjs              rewrite js_regex_cases.json
//   node js_regex_cases.mjs --check F    exit 1 when F differs from what Node
//                                        produces now (ctest js_regex_table)
//
// Per case: `match` is RegExp.prototype.exec's array (null for no match,
// null inside for a group that did not participate), `groups` its named groups,
// `error` whether `new RegExp` threw, and `captures` what Artillery's
// `capture: { regexp, flags, group }` takes for each group barrage accepts
// (artilleryCapture below follows extractRegExp in Artillery's
// packages/artillery/lib/commons/engine_util.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// [pattern, flags, input]
const cases = [
  // anchors, literals, no match, empty match
  ['abc', '', 'xxabcxx'],
  ['abc', '', 'ABC'],
  ['^abc', '', 'xabc'],
  ['abc$', '', 'abc\n'],
  ['^$', '', ''],
  ['x*', '', 'abc'],
  ['(a)|b', '', 'b'],
  ['(a)?b', '', 'b'],
  ['(?:(a)|(b))+', '', 'ab'],
  ['(z)?', '', 'abc'],
  // non-greedy and greedy
  ['<.+>', '', '<a><b>'],
  ['<.+?>', '', '<a><b>'],
  ['a{2,3}?', '', 'aaaa'],
  ['a{2,}', '', 'aaaaa'],
  ['"id":"(.*?)"', '', '{"id":"x1","other":"y"}'],
  // lookahead and lookbehind
  ['\\d+(?=px)', '', 'width: 100px'],
  ['\\d+(?!px|\\d)', '', '100px 200em'],
  ['(?<=\\$)\\d+', '', 'cost: $42'],
  ['(?<!\\$)\\b\\d+', '', '$42 17'],
  ['(?<=token=)[^&]+', '', 'a=1&token=abc.def&b=2'],
  ['(?<=ab|xyz)c', '', 'xyzc'],
  // \d \w \s and classes
  ['[\\d]+', '', 'ab 123 cd'],
  ['[\\w-]+', '', '  foo-bar_9 baz'],
  ['[^\\w\\s]+', '', 'ab, !? cd'],
  ['\\s+', '', 'a\u00a0\u2003\ufeffb'],
  ['[\\s]+', '', 'a\t\u3000b'],
  ['\\S+', '', '  \u00a0x\u00a0'],
  ['[\\S]+', '', ' \u2028ab '],
  ['[^\\S]+', '', 'ab \t\u00a0cd'],
  ['[a\\S]+', '', ' xa  '],
  ['\\w+', '', 'über'],
  ['\\d+', '', '\u0663\u0664 77'],
  ['\\bfoo\\b', '', 'a foo.'],
  ['\\Bo\\B', '', 'foo'],
  ['[\\b]', '', 'a\bb'],
  ['\\v', '', 'a\u000bb'],
  ['[^]+', '', 'a\nb'],
  ['[]', '', 'abc'],
  ['[[:alpha:]]+', '', 'ab[:a]x'],
  ['a.c', '', 'a\nc a\rc a\u2028c abc'],
  ['a.c', '', 'aéc'],
  ['\\x41\\u0042', '', 'xABy'],
  ['\\xZ', '', 'xZ'],
  ['\\A\\z', '', 'Az'],
  ['a{,2}', '', 'a{,2}'],
  ['{foo}', '', 'x{foo}'],
  ['a\\.b\\*', '', 'a.b*'],
  // named groups
  ['(?<year>\\d{4})-(?<month>\\d{2})', '', 'on 2024-05-06'],
  ['(?<a>x)|(?<b>y)', '', 'y'],
  ['(?<word>\\w+) \\k<word>', '', 'say hello hello there'],
  ['"token":\\s*"(?<token>[^"]+)"', '', '{"user":"a", "token": "eyJ.x.y"}'],
  ['(?<empty>)x', '', 'x'],
  // backreferences
  ['(\\w)\\1', '', 'abccd'],
  ['(a)|\\1b', '', 'b'],
  ['\\1(a)', '', 'a'],
  ['(["\'])(.*?)\\1', '', 'say "hi" \'there\''],
  ['(a)?\\1{1,2}b', '', 'b'],
  ['(a\\1)', '', 'aa'],
  ['(?<n>a\\k<n>)+', '', 'aa'],
  ['[]*', 'y', 'abc'],
  ['(?=a)*b', '', 'b'],
  ['(x?)*y', '', 'y'],
  ['(a)\\2', '', 'a\u0002'],
  ['\\12', '', 'x\ny'],
  ['\\8', '', 'x8'],
  ['[\\1]', '', 'a\u0001'],
  ['\\cJ', '', 'a\nb'],
  ['[\\d-z]+', '', 'ab-3z'],
  ['[a-\\d]+', '', 'xa-3b'],
  ['[\\s-\\w]+', '', '! a-b'],
  ['[\\S-]+', '', ' a-b '],
  // flags
  ['ABC', 'i', 'xabcx'],
  ['straße', 'i', 'STRASSE straße'],
  ['é', 'i', 'É'],
  ['^b', 'm', 'a\nb'],
  ['^b', '', 'a\nb'],
  ['a$', 'm', 'a\r\nb'],
  ['^\\w+$', 'gm', 'one\ntwo'],
  ['^$', 'm', 'a\n\nb'],
  ['a.c', 's', 'a\nc'],
  ['a.c', 'si', 'A\u2028C'],
  ['b', 'y', 'ab'],
  ['a', 'y', 'ab'],
  ['a', 'g', 'bab'],
  ['a', 'd', 'bab'],
  ['\\u{1F600}', 'u', 'smile 😀'],
  ['\\u{41}', '', 'A uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu'],
  ['\\uD83D\\uDE00', 'u', 'x😀'],
  ['\\p{Lu}+', 'u', 'abcDEFghi'],
  ['\\p{Script=Greek}+', 'u', 'abc αβγ'],
  ['\\p{L}+', 'u', '123 Ωmega'],
  ['\\P{L}+', 'u', 'ab12!cd'],
  ['\\p{L}', '', 'p{L}'],
  ['.', 'u', '😀'],
  ['[😀-😂]', 'u', 'x😁'],
  ['\\w+', 'iu', 'ABC def'],
  // errors (new RegExp throws)
  ['(', '', ''],
  ['a)', '', ''],
  ['[a', '', ''],
  ['a**', '', ''],
  ['a++', '', ''],
  ['(?>a)', '', ''],
  ['(?i)a', '', ''],
  ['\\k<nope>(?<x>a)', '', ''],
  ['a', 'x', ''],
  ['a', 'gg', ''],
  ['\\u{110000}', 'u', ''],
  ['\\q', 'u', ''],
  ['{1}', '', ''],
  ['^*', '', ''],
  ['a$?', '', ''],
  ['\\b+', '', ''],
  ['(?<=a)*', '', ''],
  ['(?=a)*', 'u', ''],
];

function artilleryCapture(str, expr, flags, group) {
  const rx = flags ? new RegExp(expr, flags) : new RegExp(expr);
  const match = rx.exec(str);
  if (!match) return '';
  if (group && match.groups) return match.groups[group];
  else if (group && match[group]) return match[group];
  else if (match[0]) return match[0];
  else return '';
}

function run([pattern, flags, input]) {
  const row = { pattern, flags, input };
  let rx;
  try {
    rx = new RegExp(pattern, flags);
  } catch {
    return { ...row, error: true };
  }
  const m = rx.exec(input);
  row.error = false;
  row.match = m === null ? null : Array.from(m, (g) => (g === undefined ? null : g));
  row.groups = null;
  if (m && m.groups) {
    row.groups = {};
    for (const [k, v] of Object.entries(m.groups)) row.groups[k] = v === undefined ? null : v;
  }
  // The groups barrage accepts for `group`: 0, numbers when the regexp has
  // no named groups, else names (and, in this table, the group left out).
  const hasNames = /\(\?<(?![=!])/.test(pattern);
  const count = new RegExp(`${pattern}|`, flags).exec('').length - 1;
  const groups = [null, 0];
  if (hasNames) {
    const names = [...pattern.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((x) => x[1]);
    groups.push(...names);
  } else {
    for (let g = 1; g <= count; g++) groups.push(g);
  }
  row.captures = groups.map((group) => {
    const value = artilleryCapture(input, pattern, flags, group ?? undefined);
    return { group, value: value === undefined ? null : value };
  });
  return row;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const text = `${JSON.stringify(cases.map(run), null, 1)}\n`;
const args = process.argv.slice(2);
if (args[0] === '--check') {
  const committed = readFileSync(args[1], 'utf8');
  if (committed !== text) {
    console.error(
      `${args[1]} differs from what Node ${process.version} produces now: ` +
        'run `node tests/unit/script/js_regex_cases.mjs` and commit the table'
    );
    process.exit(1);
  }
  console.log(`${args[1]}: ${cases.length} cases as Node ${process.version} runs them`);
} else {
  writeFileSync(`${here}js_regex_cases.json`, text);
  console.log(`wrote ${here}js_regex_cases.json (${cases.length} cases)`);
}
