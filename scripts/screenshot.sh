#!/usr/bin/env bash
# Regenerates the README's screenshot of the HTML report (docs/img/report.png):
# starts the demo target on loopback with the settings docs/reports.md gives
# (cold starts of 300 ms, instances idle out after 2 s, 20 ms latency, 429 above
# 12 requests in flight), runs examples/burst-cold-starts.yml against it (29 s),
# writes the HTML report and photographs its top (the summary, the request
# rate and response time charts) in headless Chromium at 1280 x 1100 with the
# mouse never moved (no tooltip, no hover state).
#
# Needs a built barrage (default build/release/barrage; BARRAGE=PATH to use
# another), Chromium at /usr/bin/chromium and playwright-core in tests/browser
# (scripts/install-deps.sh installs both). Run it after any change to the report:
#   bash scripts/screenshot.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${BARRAGE:-build/release/barrage}
out=${1:-docs/img/report.png}
chromium=/usr/bin/chromium
[[ -x $exe ]] || { echo "screenshot: no barrage at $exe (build it: bash scripts/build.sh release barrage)" >&2; exit 1; }
[[ -x $chromium ]] || { echo "screenshot: Chromium is not installed ($chromium): bash scripts/install-deps.sh" >&2; exit 1; }
[[ -d tests/browser/node_modules/playwright-core ]] ||
  { echo "screenshot: playwright-core is not installed in tests/browser: bash scripts/install-deps.sh" >&2; exit 1; }

work=$(mktemp -d)
target_pid=
cleanup() {
  [[ -n $target_pid ]] && kill "$target_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The target stops by itself after 150 s whatever happens here.
"$exe" target --port 0 --port-file "$work/port" --duration 150s \
  --cold-start-ms 300 --instance-idle-ms 2000 --latency-ms 20 --concurrency-limit 12 >/dev/null &
target_pid=$!
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
[[ -s $work/port ]] || { echo "screenshot: the demo target did not start" >&2; exit 1; }
port=$(cat "$work/port")

# The script by its path in the repo: the report's title is its file name. A busy
# machine can delay the generator itself (the report then opens with a "generator
# saturated" warning, which says nothing about the report): up to 3 runs, the
# first without a warning kept, else the last, warning and all.
for attempt in 1 2 3; do
  "$exe" run examples/burst-cold-starts.yml --target "http://127.0.0.1:$port" \
    --output "$work/burst.json" --report html --quiet >/dev/null
  grep -q '<div class="warn">' "$work/burst.html" || break
  echo "screenshot: run $attempt of 3 has a warning: $(grep -o '<div class="warn">[^<]*' "$work/burst.html" |
    head -1 | cut -d'>' -f2 | sed 's/&gt;/>/g; s/&lt;/</g; s/&#39;/'"'"'/g; s/&amp;/\&/g')"
  [[ $attempt == 3 ]] || sleep 3  # the target's instances idle out, as before the first run
done

mkdir -p "$(dirname "$out")"
HTML="$work/burst.html" OUT="$out" CHROMIUM="$chromium" node --input-type=module - <<'EOF'
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
const { chromium } = createRequire(resolve('tests/browser/package.json'))('playwright-core');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await page.goto(pathToFileURL(process.env.HTML).href, { waitUntil: 'load' });
  // The page must fit: a screenshot of an overflowing page would hide it.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 1280) throw new Error(`the report is ${width} px wide at 1280 px`);
  await page.screenshot({ path: process.env.OUT, fullPage: false });
} finally {
  await browser.close();
}
EOF
echo "screenshot: wrote $out"
