// Shared helpers for Procure's browser tests: start headless Chromium, open a page while recording
// everything that went wrong on it (console errors, uncaught exceptions, Content-Security-Policy
// violations, failed requests), and check a page with axe-core.
//
// The tests run against a server that e2e/run.sh starts; it exports BASE_URL.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

if (!process.env.BASE_URL) {
  throw new Error('BASE_URL is not set: run the browser tests with e2e/run.sh');
}
export const BASE_URL = process.env.BASE_URL.replace(/\/+$/, '');

/** Absolute URL of a path on the server under test. */
export function url(path = '/') {
  return new URL(path, `${BASE_URL}/`).href;
}

// Debian's Chromium (apt-get install chromium). Browser downloads fail on these machines, so
// playwright-core drives the system browser; never `npx playwright install`.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// How Chromium must be started on the development and CI machines (see shared/notes/machine.md):
// without the background-networking flags its connections to Google's hosts are refused, many at
// a time, by the closed network. Playwright itself adds a fresh, temporary --user-data-dir
// (playwright_chromiumdev_profile-* under $TMPDIR, which run.sh points at its own temp folder)
// and refuses one passed here, so it is not in this list.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Bounds on every browser action, so a hung page fails a test instead of stalling the run.
export const ACTION_TIMEOUT_MS = 10_000;
export const NAVIGATION_TIMEOUT_MS = 15_000;

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
  });
}

export const DESKTOP = { width: 1280, height: 900 };
// A phone as most residents and small vendors hold one (iPhone 12 to 15: 390 CSS pixels wide).
export const MOBILE = { width: 390, height: 844 };
/** The two widths every page is checked at. */
export const WIDTHS = [
  ['desktop', { viewport: DESKTOP }],
  ['phone', { viewport: MOBILE, isMobile: true, hasTouch: true }],
];

/**
 * Fails if the page is wider than its viewport (the whole page would scroll sideways on a
 * phone), naming the widest elements that stick out.
 */
export async function expectFitsWidth(page, label = page.url()) {
  const found = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const overflowing = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && r.width > 0) {
        // Inside a scrolling container (a wide table kept in its box) is fine.
        let scroller = el.parentElement;
        let contained = false;
        while (scroller && scroller !== document.body) {
          const style = getComputedStyle(scroller);
          if (/(auto|scroll|hidden)/.test(style.overflowX) && scroller.getBoundingClientRect().right <= width + 1) {
            contained = true;
            break;
          }
          scroller = scroller.parentElement;
        }
        if (!contained) {
          const name = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + (el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
          overflowing.push(`${name} (right edge ${Math.round(r.right)})`);
        }
      }
    }
    return { width, scrollWidth: document.documentElement.scrollWidth, overflowing: overflowing.slice(0, 5) };
  });
  assert.ok(
    found.scrollWidth <= found.width,
    `${label} is ${found.scrollWidth} px wide in a ${found.width} px viewport; sticking out: ${found.overflowing.join(', ')}`,
  );
}

/** Where screenshots go (run.sh sets it; not committed). */
export const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR || join(process.cwd(), 'artifacts');

/** Saves a full-page screenshot as `<name>.png` in the artifacts folder, for a person to look at. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`), fullPage: true });
}

/**
 * The checks every page gets: nothing went wrong loading it, axe finds nothing, it fits its
 * width, and a screenshot is kept as `<name>-<width name>.png`.
 */
export async function expectGoodPage(page, problems, name, widthName) {
  expectNoProblems(problems, `${name} (${widthName})`);
  await expectAccessible(page, `${name} (${widthName})`);
  await expectFitsWidth(page, `${name} (${widthName})`);
  await screenshot(page, `${name}-${widthName}`);
}

/**
 * Opens `path` in a new browser context and records what goes wrong on the page.
 *
 * The context enforces the page's CSP like a real browser does (no bypassCSP), so a violation is
 * seen both as a `securitypolicyviolation` event and as a console error. Returns
 * `{ context, page, response, problems }`; close `context` when done.
 *
 * Options: `viewport`, `isMobile`, `hasTouch`, `storageState` (cookies of a signed-in user; all
 * passed to browser.newContext), and `expectStatus` (default 200), the status the main document
 * must have.
 */
export async function openPage(browser, path, { viewport = DESKTOP, isMobile = false, hasTouch = false, expectStatus = 200, storageState } = {}) {
  const context = await browser.newContext({ viewport, isMobile, hasTouch, storageState });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  const page = await context.newPage();
  const problems = recordProblems(page);
  await page.exposeFunction('__e2eCspViolation', (violation) => {
    problems.cspViolations.push(violation);
  });
  // Runs before any of the page's own scripts, in every document the page loads.
  await page.addInitScript(() => {
    document.addEventListener(
      'securitypolicyviolation',
      (e) => {
        window.__e2eCspViolation({
          documentURI: e.documentURI,
          violatedDirective: e.violatedDirective,
          effectiveDirective: e.effectiveDirective,
          blockedURI: e.blockedURI,
          sourceFile: e.sourceFile,
          lineNumber: e.lineNumber,
          sample: e.sample,
        });
      },
      true,
    );
  });
  const response = await page.goto(url(path), { waitUntil: 'load' });
  assert.ok(response, `no response for ${path}`);
  assert.equal(response.status(), expectStatus, `status of ${path}`);
  await settle(page);
  return { context, page, response, problems };
}

/** Waits until the page's web fonts have loaded (or failed), so their requests are recorded. */
export async function settle(page) {
  await page.waitForLoadState('load');
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
}

function recordProblems(page) {
  const problems = {
    consoleErrors: [],
    pageErrors: [],
    cspViolations: [],
    failedRequests: [],
    // Every response the page got, for checks on what loaded: { url, status, type }.
    responses: [],
  };
  const isMainDocument = (request) => request.isNavigationRequest() && request.frame() === page.mainFrame();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const { url: where = '', lineNumber } = msg.location();
    // Chromium logs "Failed to load resource: ... 404" for an error page's own document, whose
    // status the test checks itself; any other failed load is caught by failedRequests too.
    if (/^Failed to load resource/.test(msg.text()) && where === page.url()) return;
    problems.consoleErrors.push(`${msg.text()}${where ? ` (${where}:${lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(String(err?.stack || err)));
  page.on('requestfailed', (request) => {
    // A load the test cut short by navigating on (a favicon still coming) is not a failure of
    // the site; error statuses are caught below, and refused connections keep their own text.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.failedRequests.push(`${request.method()} ${request.url()} [${request.resourceType()}]: ${request.failure()?.errorText ?? 'failed'}`);
  });
  page.on('response', (response) => {
    const request = response.request();
    problems.responses.push({ url: response.url(), status: response.status(), type: request.resourceType() });
    if (response.status() >= 400 && !isMainDocument(request)) {
      problems.failedRequests.push(`${request.method()} ${response.url()} [${request.resourceType()}]: HTTP ${response.status()}`);
    }
  });
  return problems;
}

/**
 * Fails if the page logged a console error, threw, violated its CSP or had a request fail.
 * Lists everything found, grouped, in the failure message.
 */
export function expectNoProblems(problems, label = 'page') {
  const sections = [
    ['CSP violations', problems.cspViolations.map(formatViolation)],
    ['console errors', problems.consoleErrors],
    ['uncaught exceptions', problems.pageErrors],
    ['failed requests', problems.failedRequests],
  ].filter(([, items]) => items.length > 0);
  if (sections.length === 0) return;
  const text = sections.map(([name, items]) => `${name}:\n${items.map((i) => `  - ${i}`).join('\n')}`).join('\n');
  assert.fail(`problems on ${label}:\n${text}`);
}

function formatViolation(v) {
  const where = v.sourceFile ? ` at ${v.sourceFile}:${v.lineNumber}` : '';
  const sample = v.sample ? ` sample=${JSON.stringify(v.sample)}` : '';
  return `${v.effectiveDirective || v.violatedDirective} blocked ${v.blockedURI || '(inline)'} on ${v.documentURI}${where}${sample}`;
}

// ---- Accessibility -------------------------------------------------------------------------

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core on the page as it is now (with the page's CSP still enforced) and fails listing
 * every violation: rule id, impact, help text and the target of each offending node.
 *
 * axe is put into the page through the DevTools protocol (Runtime.evaluate), which a page's CSP
 * does not govern, the same way a snippet typed into DevTools runs. A <script> tag added by
 * page.addScriptTag would be an inline script, which this site's CSP rightly blocks; and a
 * bypassCSP context would test a page with its CSP switched off.
 */
export async function expectAccessible(page, label = page.url()) {
  const hasAxe = await page.evaluate(() => typeof window.axe === 'object');
  if (!hasAxe) {
    const cdp = await page.context().newCDPSession(page);
    try {
      const { exceptionDetails } = await cdp.send('Runtime.evaluate', { expression: AXE_SOURCE });
      if (exceptionDetails) throw new Error(`injecting axe-core failed: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    } finally {
      await cdp.detach().catch(() => {});
    }
  }
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  if (results.violations.length === 0) return results;
  const lines = results.violations.map((v) => {
    const nodes = v.nodes
      .map((n) => `      ${n.target.join(' ')}${n.failureSummary ? `\n        ${n.failureSummary.replace(/\n/g, '\n        ')}` : ''}`)
      .join('\n');
    return `  - ${v.id} [${v.impact}]: ${v.help} (${v.helpUrl})\n${nodes}`;
  });
  assert.fail(`axe found ${results.violations.length} accessibility violation(s) on ${label} (tags ${AXE_TAGS.join(', ')}):\n${lines.join('\n')}`);
}

/**
 * Signs in with a one-time link as `procure createsuperuser` prints it (run.sh exports a few),
 * in a context of its own. `then(page)` may do more as that user first (give a name, say).
 * Returns the context's storage state, for `openPage(..., { storageState })`.
 */
export async function signInWithLink(browser, link, then = async () => {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const { pathname, search } = new URL(link);
    await page.goto(url(pathname + search));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.getByRole('button', { name: 'Sign in' }).click()]);
    await then(page);
    return await context.storageState();
  } finally {
    await context.close();
  }
}

/** The decoded text of every MIME part of an .eml file. */
function decodedParts(eml) {
  return eml.split(/\r?\n--[^\r\n]+\r?\n/).map((part) => {
    const split = part.search(/\r?\n\r?\n/);
    const head = split < 0 ? part : part.slice(0, split);
    const body = split < 0 ? '' : part.slice(split).trim();
    if (/content-transfer-encoding:\s*base64/i.test(head)) {
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    }
    if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
      return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    }
    return body;
  });
}

/**
 * Signs a new staff member in on `page` (open at /sign-in) with the link the worker emails, and
 * saves their profile in `department`; leaves the page on the saved profile.
 */
export async function signInAsStaff(page, email, department = 'Department of Public Works') {
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  // The URL stays /sign-in: wait for the answer, or the next navigation aborts the POST.
  await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
  await page.goto(url(await linkFromOutbox(email)));
  await Promise.all([page.waitForURL('**/profile**'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.getByLabel('Department').selectOption({ label: department });
  await Promise.all([page.waitForURL('**/profile?saved=1'), page.getByRole('button', { name: 'Save profile' }).click()]);
}

/** Waits for the worker to write an email to `to` and returns its sign-in link's path. */
export async function linkFromOutbox(to, seen = new Set()) {
  return pathFromOutbox(to, /\/sign-in\/link\?token=[A-Za-z0-9_-]{43}/, seen);
}

/** Waits for the worker to write an email to `to` whose text matches `pattern`; returns the match. */
export async function pathFromOutbox(to, pattern, seen = new Set()) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    let names = [];
    try {
      names = readdirSync(process.env.OUTBOX_DIR).filter((n) => n.endsWith('.eml') && !seen.has(n));
    } catch {
      // The outbox folder appears with the first email.
    }
    for (const name of names) {
      // The outbox file may still be being written: only a whole message counts.
      const eml = readFileSync(join(process.env.OUTBOX_DIR, name), 'utf8');
      if (!eml.toLowerCase().includes(`to: ${to}`)) continue;
      const text = decodedParts(eml).join('\n');
      const match = text.match(pattern);
      if (!match) continue;
      seen.add(name);
      return match[0];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`no email to ${to} in ${process.env.OUTBOX_DIR} within 20 s`);
}
