// Opens barrage's HTML report in headless Chromium and checks what a reader sees:
// no console errors, no network request but the file itself, and every chart's
// points matching the data (the embedded JSON and the JSON report it came from).
// Saves a screenshot next to the report.
//
// node report.test.mjs --barrage PATH --out DIR [--script YAML] [--target-args "..."]
//
// Without Chromium or playwright-core it fails, naming what is missing and
// how to install it; with BARRAGE_ALLOW_MISSING_DEPS=1 it exits 77 instead,
// which CTest reports as skipped.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const chromiumPath = '/usr/bin/chromium';
function missing(what) {
  if (process.env.BARRAGE_ALLOW_MISSING_DEPS === '1') {
    console.log(`skipped: ${what} (BARRAGE_ALLOW_MISSING_DEPS=1)`);
    process.exit(77);
  }
  console.error(`missing dependency: ${what}\n(to skip the tests that need it instead, set BARRAGE_ALLOW_MISSING_DEPS=1)`);
  process.exit(1);
}
if (!existsSync(chromiumPath)) {
  missing(`Chromium is not installed (${chromiumPath}): run \`bash scripts/install-deps.sh\` (or \`sudo apt-get install chromium\`)`);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  missing(`playwright-core is not installed in tests/browser (${e.code ?? e.message}): run \`bash scripts/install-deps.sh\``);
}

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const barrage = resolve(args.barrage ?? 'barrage');
const out = resolve(args.out ?? 'browser-out');
const script = resolve(args.script ?? join(here, 'short-burst.yml'));
const targetArgs = (args['target-args'] ??
  '--cold-start-ms 200 --instance-idle-ms 1000 --latency-ms 20 --concurrency-limit 12').split(' ');

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
}
function near(a, b, tol, what) {
  check(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);
}

mkdirSync(out, { recursive: true });
const portFile = join(out, 'port');
rmSync(portFile, { force: true });
const target = spawn(barrage, ['target', '--port', '0', '--port-file', portFile, '--duration', '60', ...targetArgs],
  { stdio: 'ignore' });
try {
  for (let i = 0; i < 100 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
  const port = readFileSync(portFile, 'utf8').trim();
  const json = join(out, 'report.json');
  const run = spawnSync(barrage, ['run', script, '-t', `http://127.0.0.1:${port}`, '-o', json, '--report', 'html', '-q'],
    { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`barrage run exited ${run.status}: ${run.stderr}\n${run.stdout}`);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const htmlPath = join(out, 'report.html');
  const url = pathToFileURL(htmlPath).href;

  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors = [];
    const requests = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load' });
    // Exercise the tooltip script too.
    // A loaded machine adds a warning above the charts: scroll the chart into the viewport.
    await page.locator('#chart-latency').scrollIntoViewIfNeeded();
    const box = await page.locator('#chart-latency').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    // The handler runs after the move: wait for it.
    const tip = page.locator('#chart-latency').locator('xpath=..').locator('.tip');
    check(await tip.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false),
      'tooltip shows on hover');

    const charts = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById('data').textContent);
      return data.charts.map((c) => {
        const svg = document.getElementById(c.id);
        if (!svg) return { id: c.id, missing: true };
        const plot = svg.getAttribute('data-plot').split(' ').map(Number);
        return {
          id: c.id, data: c, plot,
          xMax: Number(svg.getAttribute('data-x-max')), yMax: Number(svg.getAttribute('data-y-max')),
          phases: svg.querySelectorAll('rect.phase').length,
          lines: [...svg.querySelectorAll('polyline.series')].map((p) => ({
            name: p.getAttribute('data-series'),
            count: Number(p.getAttribute('data-points')),
            points: (p.getAttribute('points') || '').trim().split(/\s+/).filter(Boolean).map((xy) => xy.split(',').map(Number)),
          })),
        };
      });
    });
    check(charts.length >= 6, `at least 6 charts, got ${charts.length}`);
    const phaseCount = report.run.phases.length;
    for (const c of charts) {
      check(!c.missing, `svg for ${c.id}`);
      if (c.missing) continue;
      check(c.phases === phaseCount, `${c.id}: ${c.phases} phase bands for ${phaseCount} phases`);
      check(c.lines.length === c.data.series.length, `${c.id}: a polyline per series`);
      for (const s of c.data.series) {
        const line = c.lines.find((l) => l.name === s.name);
        check(line, `${c.id}/${s.name}: polyline`);
        if (!line) continue;
        check(line.count === s.points.length && line.points.length === s.points.length,
          `${c.id}/${s.name}: ${line.count} / ${line.points.length} drawn points for ${s.points.length}`);
        // Pixels map back to the data.
        const [left, top, w, h] = c.plot;
        for (const i of [0, Math.floor(s.points.length / 2), s.points.length - 1]) {
          if (i < 0 || !line.points[i]) continue;
          const [px, py] = line.points[i];
          near((px - left) / w * c.xMax, Math.min(s.points[i][0], c.xMax), c.xMax * 0.002, `${c.id}/${s.name}[${i}] x`);
          near((1 - (py - top) / h) * c.yMax, Math.min(s.points[i][1], c.yMax), c.yMax * 0.002, `${c.id}/${s.name}[${i}] y`);
        }
      }
    }
    // The data matches the JSON report it was made from.
    const series = (id, name) => charts.find((c) => c.id === id)?.data.series.find((s) => s.name === name);
    const timeline = report.timeline;
    const start = report.run.start_ms;
    const withWidth = timeline.map((t) => ({ t, w: (t.period_end_ms - Math.max(t.period_start_ms, start)) / 1000 }))
      .filter((x) => x.w > 0);
    const sent = series('chart-throughput', 'sent');
    check(sent && sent.points.length === withWidth.length, `sent: a point per timeline period (${withWidth.length})`);
    if (sent) {
      let total = 0;
      withWidth.forEach(({ t, w }, i) => {
        const n = t.counters['http.requests'] ?? 0;
        total += n;
        near(sent.points[i][1], n / w, 1e-6, `sent[${i}]`);
      });
      check(total === report.aggregate.counters['http.requests'], `timeline requests ${total} = aggregate`);
    }
    const max = series('chart-latency', 'max');
    near(Math.max(...max.points.map((p) => p[1])), report.aggregate.summaries['http.response_time'].max, 1e-6,
      'latency max series peaks at the aggregate max');
    const coldCount = Number(await page.locator('#cold-summary').getAttribute('data-count'));
    check(coldCount === report.analysis.cold_starts.count && coldCount > 0, `cold starts shown ${coldCount}`);
    check(report.analysis.cold_starts.source === 'header', 'cold starts from the header');
    const outcomes = charts.find((c) => c.id === 'chart-outcomes');
    check(outcomes.data.series.some((s) => s.name === '4xx'), 'the 429s appear as 4xx');
    check(await page.locator('#table-onset').count() === 1, 'error onset table');
    check(await page.locator('#table-phases tbody tr').count() === phaseCount, 'a row per phase');

    check(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    const others = requests.filter((r) => r !== url);
    check(others.length === 0, `network requests besides the file: ${others.join(', ')}`);
    await page.screenshot({ path: join(out, 'report.png'), fullPage: false });
  } finally {
    await browser.close();
  }
} finally {
  target.kill('SIGTERM');
}

if (failures.length > 0) {
  console.error(`FAILED (${failures.length}):\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`report.html OK; screenshot ${join(out, 'report.png')}`);
