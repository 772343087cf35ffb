// The console's web UI. It uses only the public REST API (docs/console-openapi.yaml)
// with the token the user gives (kept in this tab's sessionStorage). Every
// string from the server goes into the page as text (textContent), never as
// HTML, so a test name or script cannot inject markup. Live periods come from
// GET /api/v1/runs/{id}/live (server-sent events) read with fetch, so the token
// travels in the Authorization header and never in a URL.
'use strict';

const state = { token: sessionStorage.getItem('barrage-token') || '', live: null };

function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function message(text, isError) {
  const m = document.getElementById('message');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: 'Bearer ' + state.token } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new Error((data && data.error && data.error.message) || res.statusText);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

async function refreshTests() {
  const { tests } = await api('GET', '/api/v1/tests');
  const body = document.querySelector('#tests tbody');
  body.replaceChildren();
  for (const t of tests) {
    const tr = el('tr');
    tr.append(el('td', t.id), el('td', t.name));
    const td = el('td');
    const run = el('button', 'Run');
    run.type = 'button';
    run.dataset.testId = t.id;
    run.addEventListener('click', () => startRun(t.id));
    const trend = el('button', 'Trend');
    trend.type = 'button';
    trend.className = 'trend';
    trend.addEventListener('click', () => showTrend(t.id));
    td.append(run, trend);
    tr.append(td);
    body.append(tr);
  }
}

async function refreshRuns() {
  const { runs } = await api('GET', '/api/v1/runs');
  const body = document.querySelector('#runs tbody');
  body.replaceChildren();
  for (const r of runs) {
    const tr = el('tr');
    tr.dataset.runId = r.id;
    const pick = el('input');
    pick.type = 'checkbox';
    pick.className = 'pick';
    pick.value = r.id;
    const pickTd = el('td');
    pickTd.append(pick);
    tr.append(pickTd, el('td', r.id), el('td', r.test_name), el('td', r.status),
              el('td', new Date(r.started_ms).toLocaleString()),
              el('td', r.baseline ? 'baseline' : ''));
    const td = el('td');
    const watch = el('button', 'View');
    watch.type = 'button';
    watch.addEventListener('click', () => watchRun(r.id));
    td.append(watch);
    if (r.has_report && r.test_id !== null && !r.baseline) {
      const mark = el('button', 'Make baseline');
      mark.type = 'button';
      mark.className = 'make-baseline';
      mark.addEventListener('click', async () => {
        try {
          await api('POST', '/api/v1/runs/' + r.id + '/baseline');
          message('Run ' + r.id + ' is the baseline of ' + r.test_name);
          await refreshRuns();
        } catch (e) {
          message(e.message, true);
        }
      });
      td.append(mark);
    }
    tr.append(td);
    body.append(tr);
  }
}

async function refreshSchedules() {
  const { schedules } = await api('GET', '/api/v1/schedules');
  const body = document.querySelector('#schedules tbody');
  body.replaceChildren();
  for (const s of schedules) {
    const tr = el('tr');
    tr.dataset.scheduleId = s.id;
    tr.append(el('td', s.id), el('td', s.test_id), el('td', s.cron || 'once ' + s.at),
              el('td', s.timezone), el('td', s.state + (s.queued ? ' (queued)' : '')),
              el('td', s.next || ''));
    const td = el('td');
    const act = (label, fn) => {
      const b = el('button', label);
      b.type = 'button';
      b.addEventListener('click', async () => {
        try { await fn(); await refreshSchedules(); } catch (e) { message(e.message, true); }
      });
      td.append(b);
    };
    if (s.state === 'active') act('Pause', () => api('POST', '/api/v1/schedules/' + s.id + '/pause'));
    if (s.state === 'paused') act('Resume', () => api('POST', '/api/v1/schedules/' + s.id + '/resume'));
    act('Delete', () => api('DELETE', '/api/v1/schedules/' + s.id));
    tr.append(td);
    body.append(tr);
  }
}

function scheduleInput() {
  const f = new FormData(document.getElementById('schedule-form'));
  const input = { timezone: f.get('timezone').trim(), missed: f.get('missed'),
    overlap: f.get('overlap') };
  if (f.get('test_id')) input.test_id = Number(f.get('test_id'));
  for (const k of ['cron', 'at', 'expires_at']) {
    if (f.get(k).trim()) input[k] = f.get(k).trim();
  }
  return input;
}

// The next 5 fire times, shown before saving (POST /schedules/preview).
// Only the newest preview is shown (a change event and a click can overlap).
let previewSeq = 0;
async function previewSchedule() {
  const seq = ++previewSeq;
  const list = document.getElementById('schedule-next');
  try {
    const { next } = await api('POST', '/api/v1/schedules/preview', scheduleInput());
    if (seq !== previewSeq) return true;
    const items = next.map((n) => el('li', n.local + ' (' + n.utc + ')'));
    list.replaceChildren(...(items.length ? items : [el('li', 'none')]));
    message('');
    return true;
  } catch (e) {
    if (seq === previewSeq) {
      list.replaceChildren();
      message(e.message, true);
    }
    return false;
  }
}

async function refreshAll() {
  try {
    await refreshTests();
    await refreshSchedules();
    await refreshRuns();
    document.getElementById('whoami').textContent = 'connected';
  } catch (e) {
    document.getElementById('whoami').textContent = e.status === 401 ? 'token refused' : e.message;
  }
}

async function createTest(payload) {
  try {
    const t = await api('POST', '/api/v1/tests', payload);
    message('Test ' + t.id + ' created' + (t.warnings.length ? ' (warnings: ' + t.warnings.join('; ') + ')' : ''));
    await refreshTests();
  } catch (e) {
    const se = e.data && e.data.error && e.data.error.script_error;
    message(se ? 'Script error at line ' + se.line + ', column ' + se.column + ': ' + se.message
               : e.message, true);
  }
}

async function startRun(testId) {
  try {
    const r = await api('POST', '/api/v1/tests/' + testId + '/runs');
    message('Run ' + r.id + ' started');
    await refreshRuns();
    watchRun(r.id);
  } catch (e) {
    message(e.message, true);
  }
}

// Lines on one time axis (one point per second from each run's start); lines
// with the same `scale` share a y scale (requests/s, p95 ms). The live chart
// and the compare page draw with it.
function drawLines(canvas, lines) {
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  const pad = 30;
  const w = canvas.width - 2 * pad;
  const h = canvas.height - 2 * pad;
  g.setLineDash([]);
  g.strokeStyle = '#999';
  g.strokeRect(pad, pad, w, h);
  const longest = Math.max(0, ...lines.map((l) => l.values.length));
  if (!longest) return;
  const n = Math.max(longest - 1, 1);
  const max = {};
  for (const l of lines) max[l.scale] = Math.max(max[l.scale] || 1, ...l.values);
  const labelled = {};
  for (const l of lines) {
    g.strokeStyle = l.color;
    g.setLineDash(l.dash ? [6, 4] : []);
    g.beginPath();
    l.values.forEach((v, i) => {
      const x = pad + (w * i) / n;
      const y = pad + h - (h * v) / max[l.scale];
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
    if (!labelled[l.scale]) {
      labelled[l.scale] = true;
      g.fillStyle = l.color;
      g.fillText(l.scale + ' max ' + max[l.scale].toFixed(1),
        Object.keys(labelled).length === 1 ? pad : pad + w / 2, pad - 10);
    }
  }
  g.setLineDash([]);
  g.fillStyle = '#555';
  g.fillText('0 s', pad, pad + h + 14);
  g.fillText(String(longest - 1) + ' s', pad + w - 20, pad + h + 14);
}

function drawChart(series) {
  drawLines(document.getElementById('chart'), [
    { values: series.map((p) => p.rps), color: '#1f77b4', scale: 'rps' },
    { values: series.map((p) => p.p95_ms), color: '#d62728', scale: 'p95_ms' },
  ]);
}

function setLiveStatus(run) {
  document.getElementById('live-status').textContent = run.status;
  document.getElementById('stop').disabled = run.status !== 'running';
  document.getElementById('download-html').disabled = !run.has_report;
  document.getElementById('download-json').disabled = !run.has_report;
}

async function watchRun(id) {
  if (state.live) state.live.abort();
  const controller = new AbortController();
  state.live = controller;
  const section = document.getElementById('live');
  section.hidden = false;
  document.getElementById('live-id').textContent = id;
  const run = await api('GET', '/api/v1/runs/' + id);
  setLiveStatus(run);
  const series = [];
  drawChart(series);
  document.getElementById('chart').dataset.points = '0';
  const res = await fetch('/api/v1/runs/' + id + '/live', {
    headers: { Authorization: 'Bearer ' + state.token }, signal: controller.signal });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        let data = '';
        for (const l of block.split('\n')) {
          if (l.startsWith('event: ')) event = l.slice(7);
          else if (l.startsWith('data: ')) data += l.slice(6);
        }
        if (!data) continue;
        const obj = JSON.parse(data);
        if (event === 'period') {
          series.push(obj);
          drawChart(series);
          document.getElementById('live-last').textContent =
            series.length + ' s: ' + obj.rps.toFixed(1) + ' req/s, p95 ' + obj.p95_ms.toFixed(1) +
            ' ms, ' + obj.errors + ' errors';
          document.getElementById('chart').dataset.points = String(series.length);
        } else if (event === 'end') {
          setLiveStatus(obj);
          refreshRuns();
        }
      }
    }
  } catch (e) {
    if (e.name !== 'AbortError') message(e.message, true);
  }
}

// A metric over the test's last 20 runs with a report (GET /tests/{id}/trend).
async function showTrend(testId) {
  const metric = document.getElementById('trend-metric').value;
  try {
    const t = await api('GET', '/api/v1/tests/' + testId + '/trend?metric=' + metric + '&last=20');
    document.getElementById('trend').hidden = false;
    document.getElementById('trend-test').textContent = testId;
    document.getElementById('trend-metric').dataset.testId = testId;
    const canvas = document.getElementById('trend-chart');
    drawLines(canvas, [{ values: t.points.map((p) => p.value), color: '#2ca02c',
      scale: metric + (t.unit ? ' (' + t.unit + ')' : '') }]);
    canvas.dataset.points = String(t.points.length);
    document.getElementById('trend-runs').textContent = t.points.map((p) =>
      p.run_id + (p.baseline ? ' (baseline)' : '') + ': ' + p.value.toFixed(2)).join(', ');
  } catch (e) {
    message(e.message, true);
  }
}

// Downloads a run's report (the token goes in a header, so through a blob).
async function download(path, filename) {
  const res = await fetch(path, { headers: { Authorization: 'Bearer ' + state.token } });
  if (!res.ok) throw new Error('HTTP ' + res.status + ' for ' + filename);
  const url = URL.createObjectURL(await res.blob());
  const a = el('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function cell(row, values) {
  for (const v of values) row.append(el('td', v));
}

// Two runs compared (GET /compare): both series overlaid on one time axis,
// the deltas, the config diff. With one run picked, its test's baseline.
async function compareRuns(ids) {
  try {
    const query = ids.length === 2 ? 'base=' + ids[1] + '&run=' + ids[0] : 'run=' + ids[0];
    const cmp = await api('GET', '/api/v1/compare?' + query);
    const [base, run] = await Promise.all([
      api('GET', '/api/v1/runs/' + cmp.base.id), api('GET', '/api/v1/runs/' + cmp.run.id)]);
    document.getElementById('compare').hidden = false;
    document.getElementById('compare-base').textContent = cmp.base.id;
    document.getElementById('compare-run').textContent = cmp.run.id;
    document.getElementById('compare-verdict').textContent =
      cmp.regressed ? 'Regressed (past a tolerance of barrage compare)' : 'No regressions';
    const canvas = document.getElementById('compare-chart');
    drawLines(canvas, [
      { values: base.series.map((p) => p.rps), color: '#1f77b4', dash: true, scale: 'rps' },
      { values: run.series.map((p) => p.rps), color: '#1f77b4', scale: 'rps' },
      { values: base.series.map((p) => p.p95_ms), color: '#d62728', dash: true, scale: 'p95_ms' },
      { values: run.series.map((p) => p.p95_ms), color: '#d62728', scale: 'p95_ms' },
    ]);
    canvas.dataset.points = base.series.length + ',' + run.series.length;
    const deltas = document.querySelector('#compare-deltas tbody');
    deltas.replaceChildren();
    for (const d of cmp.deltas) {
      const tr = el('tr');
      if (d.regression) tr.className = 'regression';
      cell(tr, [d.scope, d.metric, d.base.toFixed(2), d.current.toFixed(2),
        (d.change >= 0 ? '+' : '') + d.change.toFixed(2), d.rule + (d.regression ? ' REGRESSION' : '')]);
      deltas.append(tr);
    }
    const config = document.querySelector('#compare-config tbody');
    config.replaceChildren();
    for (const c of cmp.config) {
      const tr = el('tr');
      if (!c.same) tr.className = 'differs';
      cell(tr, [c.field, c.base, c.run]);
      config.append(tr);
    }
    document.getElementById('compare-notes').textContent = cmp.notes.join('; ');
  } catch (e) {
    message(e.message, true);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('trend-metric').addEventListener('change', (ev) => {
    if (ev.target.dataset.testId) showTrend(ev.target.dataset.testId);
  });
  document.getElementById('compare-picked').addEventListener('click', () => {
    // The table is newest first: [newer, older].
    const ids = [...document.querySelectorAll('#runs input.pick:checked')].map((c) => c.value);
    if (ids.length < 1 || ids.length > 2) {
      message('Pick two runs to compare, or one to compare with its baseline', true);
      return;
    }
    compareRuns(ids);
  });
  for (const [button, suffix, ext] of [['download-html', '/report.html', '.html'],
    ['download-json', '/report', '.json']]) {
    document.getElementById(button).addEventListener('click', async () => {
      const id = document.getElementById('live-id').textContent;
      try {
        await download('/api/v1/runs/' + id + suffix, id + ext);
        message('Downloaded ' + id + ext);
      } catch (e) {
        message(e.message, true);
      }
    });
  }
  document.getElementById('token').value = state.token;
  document.getElementById('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = document.getElementById('token').value.trim();
    sessionStorage.setItem('barrage-token', state.token);
    refreshAll();
  });
  document.getElementById('form-test').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    createTest({ name: f.get('name'), form: { url: f.get('url'), method: f.get('method'),
      rate: Number(f.get('rate')), duration: Number(f.get('duration')) } });
  });
  document.getElementById('script-test').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    createTest({ name: f.get('name'), script: f.get('script') });
  });
  document.getElementById('schedule-preview').addEventListener('click', previewSchedule);
  document.getElementById('schedule-form').addEventListener('change', previewSchedule);
  document.getElementById('schedule-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!(await previewSchedule())) return;
    try {
      const s = await api('POST', '/api/v1/schedules', scheduleInput());
      message('Schedule ' + s.id + ' saved; next: ' + (s.next || 'none'));
      await refreshSchedules();
    } catch (e) {
      message(e.message, true);
    }
  });
  document.getElementById('stop').addEventListener('click', async () => {
    const id = document.getElementById('live-id').textContent;
    try {
      await api('POST', '/api/v1/runs/' + id + '/stop');
      message('Stopping run ' + id);
    } catch (e) {
      message(e.message, true);
    }
  });
  if (state.token) refreshAll();
});
