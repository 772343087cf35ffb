// The web console's UI in headless Chromium, against a real `barrage console`
// whose runs hit the demo target on 127.0.0.1: give the token, create a test
// from the form, see a script error's line and column, start a run, see the
// live chart grow, stop it, find it stopped in the run list; preview a
// schedule's next 5 fire times (and a bad zone's error), save and pause it;
// mark the run the baseline, run again, compare the two (overlaid series,
// deltas, config diff), see the test's trend, download the HTML report. Checks that a
// test name is shown as text (no markup from user strings), that the page
// logs no error and fetches nothing but the console's own address. Saves a
// screenshot.
//
// node console.test.mjs --barrage PATH --out DIR
//
// Without Chromium or playwright-core it fails, naming what is missing; with
// BARRAGE_ALLOW_MISSING_DEPS=1 it exits 77 (skipped) instead.
import { chromiumPath, loadChromium, parseArgs } from './harness.mjs';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const chromium = await loadChromium();
const args = parseArgs();
const barrage = resolve(args.barrage ?? 'barrage');
const out = resolve(args.out ?? 'browser-out');
mkdirSync(out, { recursive: true });

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const portFile = join(out, 'console-target-port');
rmSync(portFile, { force: true });
const target = spawn(barrage, ['target', '--port', '0', '--port-file', portFile, '--duration', '90'], { stdio: 'ignore' });
const data = mkdtempSync(join(tmpdir(), 'barrage-console-ui-'));
const consoleProc = spawn(barrage, ['console', '--listen', '127.0.0.1:0', '--data', data],
  { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  let text = '';
  consoleProc.stdout.on('data', (d) => { text += d; });
  for (let i = 0; i < 200 && !(/First admin token.*: (brg_\w+)/.test(text) && existsSync(portFile)); i++) await sleep(50);
  const base = text.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//)?.[1];
  const token = text.match(/First admin token.*: (brg_\w+)/)?.[1];
  if (!base || !token) throw new Error(`the console did not start: ${text}`);
  const targetPort = readFileSync(portFile, 'utf8').trim();

  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const errors = [];
    const requests = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(base + '/', { waitUntil: 'load' });
    await page.fill('#token', token);
    await page.click('#token-form button');
    await page.locator('#whoami', { hasText: 'connected' }).waitFor({ timeout: 10_000 });

    // A script error shows its line and column.
    await page.fill('#script-test input[name=name]', 'broken');
    await page.fill('#script-test textarea', 'config:\n  target: http://127.0.0.1:1\n  phases:\n    - duration: 10\n');
    await page.click('#script-test button');
    await page.locator('#message.error', { hasText: 'line 4, column 7' }).waitFor({ timeout: 10_000 });

    // A test from the form, named with markup that must stay text.
    const name = '<img src=x id=injected>health';
    await page.fill('#form-test input[name=name]', name);
    await page.fill('#form-test input[name=url]', `http://127.0.0.1:${targetPort}/health`);
    await page.fill('#form-test input[name=rate]', '5');
    await page.fill('#form-test input[name=duration]', '60');
    await page.click('#form-test button');
    const row = page.locator('#tests tbody tr', { hasText: 'health' });
    await row.waitFor({ timeout: 10_000 });
    check(await page.locator('#injected').count() === 0, 'a test name became markup');
    check((await row.locator('td').nth(1).textContent()) === name, 'the test name is shown as given');

    // A schedule's next 5 fire times are shown before saving; a bad zone is refused.
    const testId = await row.locator('td').first().textContent();
    await page.fill('#schedule-form input[name=test_id]', testId);
    await page.fill('#schedule-form input[name=cron]', '30 2 * * *');
    await page.fill('#schedule-form input[name=timezone]', 'Mars/Base');
    await page.click('#schedule-preview');
    await page.locator('#message.error', { hasText: "unknown time zone 'Mars/Base'" }).waitFor({ timeout: 10_000 });
    await page.fill('#schedule-form input[name=timezone]', 'Europe/Berlin');
    await page.click('#schedule-preview');
    await page.waitForFunction(() => document.querySelectorAll('#schedule-next li').length === 5,
      null, { timeout: 10_000 });
    const firstFire = await page.locator('#schedule-next li').first().textContent();
    check(/T02:30:00\+0[12]:00 \(/.test(firstFire), `first fire time ${firstFire}`);
    await page.click('#schedule-form button[type=submit]');
    const schedRow = page.locator('#schedules tbody tr', { hasText: '30 2 * * *' });
    await schedRow.waitFor({ timeout: 10_000 });
    await schedRow.locator('button', { hasText: 'Pause' }).click();
    await page.locator('#schedules tbody tr', { hasText: 'paused' }).waitFor({ timeout: 10_000 });

    // Run it, watch the chart grow, stop it.
    await row.locator('button', { hasText: 'Run' }).click();
    await page.locator('#live-status', { hasText: 'running' }).waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => Number(document.getElementById('chart').dataset.points || 0) >= 3,
      null, { timeout: 30_000 });
    await page.screenshot({ path: join(out, 'console-live.png'), fullPage: true });
    await page.click('#stop');
    await page.locator('#live-status', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    const runRow = page.locator('#runs tbody tr', { hasText: 'stopped' });
    await runRow.waitFor({ timeout: 10_000 });
    const runId = await runRow.getAttribute('data-run-id');

    // What the UI showed is what the API stored.
    const stored = await (await fetch(`${base}/api/v1/runs/${runId}`,
      { headers: { Authorization: `Bearer ${token}` } })).json();
    const drawn = Number(await page.locator('#chart').getAttribute('data-points'));
    check(stored.status === 'stopped', `stored status ${stored.status}`);
    check(stored.series.length >= drawn && drawn >= 3, `series ${stored.series.length}, drawn ${drawn}`);

    // Mark it the baseline, run the test again (stopped after 2 points),
    // compare the two, download the HTML report.
    await runRow.locator('button.make-baseline').click();
    await page.locator(`#runs tbody tr[data-run-id="${runId}"]`, { hasText: 'baseline' }).waitFor({ timeout: 10_000 });
    await row.locator('button', { hasText: 'Run' }).click();
    await page.locator('#live-status', { hasText: 'running' }).waitFor({ timeout: 10_000 });
    const secondId = await page.locator('#live-id').textContent();
    check(secondId !== runId, 'a second run started');
    await page.waitForFunction(() => Number(document.getElementById('chart').dataset.points || 0) >= 2,
      null, { timeout: 30_000 });
    await page.click('#stop');
    await page.locator('#live-status', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    await page.locator('#runs tbody tr', { hasText: 'stopped' }).nth(1).waitFor({ timeout: 10_000 });
    await page.locator(`#runs tbody tr[data-run-id="${secondId}"] input.pick`).check();
    await page.locator(`#runs tbody tr[data-run-id="${runId}"] input.pick`).check();
    await page.click('#compare-picked');
    await page.locator('#compare-deltas tbody tr').first().waitFor({ timeout: 10_000 });
    check((await page.locator('#compare-base').textContent()) === runId, 'compared against the first run');
    check((await page.locator('#compare-run').textContent()) === secondId, 'the second run compared');
    const overlay = (await page.locator('#compare-chart').getAttribute('data-points')) || '';
    const [basePoints, runPoints] = overlay.split(',').map(Number);
    check(basePoints >= 3 && runPoints >= 2, `overlaid series ${overlay}`);
    const deltaRows = await page.locator('#compare-deltas tbody tr').count();
    check(deltaRows >= 7, `delta rows ${deltaRows}`);
    const configText = await page.locator('#compare-config').textContent();
    check(configText.includes('script_sha256') && configText.includes('this machine'), `config diff ${configText}`);
    // The test's trend: one point per run with a report.
    await row.locator('button.trend').click();
    await page.selectOption('#trend-metric', 'requests');
    await page.waitForFunction(() => document.getElementById('trend-chart').dataset.points === '2',
      null, { timeout: 10_000 });
    check((await page.locator('#trend-runs').textContent()).includes(`${runId} (baseline)`), 'the trend marks the baseline');
    await page.screenshot({ path: join(out, 'console-compare.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }),
      page.click('#download-html')]);
    const htmlPath = join(out, 'console-report.html');
    await download.saveAs(htmlPath);
    const html = readFileSync(htmlPath, 'utf8');
    check(download.suggestedFilename() === `${secondId}.html`, `download name ${download.suggestedFilename()}`);
    const served = await (await fetch(`${base}/api/v1/runs/${secondId}/report.html`,
      { headers: { Authorization: `Bearer ${token}` } })).text();
    check(/<html/i.test(html) && html === served, 'the downloaded HTML report is the run\'s');


    // The browser logs the deliberate script error's 422 and the bad zone's
    // 400 (the preview's, and the change event's); nothing else.
    const unexpected = errors.filter((e) => !e.includes('status of 422') && !e.includes('status of 400'));
    check(errors.filter((e) => e.includes('status of 422')).length === 1, `the 422 of the bad script: ${errors.join(' | ')}`);
    check(unexpected.length === 0, `console errors: ${unexpected.join(' | ')}`);
    const others = requests.filter((r) => !r.startsWith(base + '/'));
    check(others.length === 0, `requests elsewhere than the console: ${others.join(', ')}`);
    await page.screenshot({ path: join(out, 'console.png'), fullPage: true });
  } finally {
    await browser.close();
  }
} finally {
  consoleProc.kill('SIGTERM');
  await new Promise((r) => (consoleProc.exitCode !== null ? r() : consoleProc.on('exit', r)));
  target.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`FAILED (${failures.length}):\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`console UI OK; screenshots ${join(out, 'console-live.png')}, ${join(out, 'console-compare.png')}, ${join(out, 'console.png')}`);
