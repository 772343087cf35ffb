// What the browser tests share: Chromium and playwright-core (a missing one
// fails the test naming how to install it, or, with
// BARRAGE_ALLOW_MISSING_DEPS=1, exits 77, which CTest reports as skipped),
// and the `--name value` command-line arguments.
import { existsSync } from 'node:fs';

export const chromiumPath = '/usr/bin/chromium';

function missing(what) {
  if (process.env.BARRAGE_ALLOW_MISSING_DEPS === '1') {
    console.log(`skipped: ${what} (BARRAGE_ALLOW_MISSING_DEPS=1)`);
    process.exit(77);
  }
  console.error(`missing dependency: ${what}\n(to skip the tests that need it instead, set BARRAGE_ALLOW_MISSING_DEPS=1)`);
  process.exit(1);
}

// playwright-core's `chromium`, once Chromium and playwright-core are there.
export async function loadChromium() {
  if (!existsSync(chromiumPath)) {
    missing(`Chromium is not installed (${chromiumPath}): run \`bash scripts/install-deps.sh\` (or \`sudo apt-get install chromium\`)`);
  }
  try {
    return (await import('playwright-core')).chromium;
  } catch (e) {
    missing(`playwright-core is not installed in tests/browser (${e.code ?? e.message}): run \`bash scripts/install-deps.sh\``);
  }
}

// `--name value` pairs of the command line as an object.
export function parseArgs(argv = process.argv.slice(2)) {
  return Object.fromEntries(
    argv.reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
}
