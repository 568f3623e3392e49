// Live pages in a real browser (issue 14): a visitor has Beacon's public list open while a
// superadmin drafts and approves an opportunity that publishes today; the visitor's list shows
// it without a reload, and the superadmin's staff list in another tab follows the draft and its
// approval. Both lists pass axe after the update and fit their width, at 1280 and 390 px, with
// screenshots in the artifacts folder. A web import's page follows the import to its end without
// a reload, and without JavaScript by reloading itself.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ACTION_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS, WIDTHS, expectGoodPage, launchBrowser, openPage, settle, signInWithLink, url } from './helpers.js';

const TEST = { timeout: 90_000 };
/** How long an update may take to reach an open page. */
const LIVE_TIMEOUT_MS = 10_000;

let browser;
let signedIn;
before(async () => {
  browser = await launchBrowser();
  // A superadmin of this file's own (run.sh's LIVE_LINK).
  signedIn = await signInWithLink(browser, process.env.LIVE_LINK);
});
after(async () => {
  await browser?.close();
});

/** The date `days` after today where the city is (the server's today is America/New_York's). */
function cityDay(days = 0) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
  const day = new Date(`${today}T12:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

/**
 * Waits until the page's socket said hello (live.js marks its element), then marks the
 * document, so the test can tell later that the page was never reloaded or left, and counts
 * the main frame's navigations from here on.
 */
async function goneLive(page) {
  await page.locator('[ws-connect][data-live="open"]').waitFor({ state: 'attached', timeout: LIVE_TIMEOUT_MS });
  await page.evaluate(() => {
    window.__e2eSameDocument = true;
  });
  const navigations = { count: 0 };
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations.count += 1;
  });
  return navigations;
}

async function expectSameDocument(page, navigations, label) {
  assert.equal(navigations.count, 0, `${label} was not navigated`);
  assert.equal(await page.evaluate(() => window.__e2eSameDocument), true, `${label} was not reloaded`);
}

for (const [widthName, options] of WIDTHS) {
  describe(`live pages at ${widthName} width`, () => {
    test('an opportunity approved to publish today appears on open lists without a reload', TEST, async () => {
      const visitor = await openPage(browser, '/beacon/', options);
      const staffList = await openPage(browser, '/beacon/admin/', { ...options, storageState: signedIn });
      const poster = await openPage(browser, '/beacon/admin/new', { ...options, storageState: signedIn });
      try {
        const title = `Live test: stair repairs ${widthName} ${Date.now()}`;
        const visitorNavigations = await goneLive(visitor.page);
        const staffNavigations = await goneLive(staffList.page);
        assert.equal(await visitor.page.getByRole('link', { name: title }).count(), 0, 'not listed yet');

        // The superadmin drafts it, publishing today...
        const { page } = poster;
        await page.locator('#field-title').fill(title);
        await page.locator('#field-description').fill('Repairs to the city steps on two hillside streets.');
        await page.getByLabel('Department').selectOption({ label: 'Department of Public Works' });
        await page.getByLabel('Contract type').selectOption({ label: 'B-BID' });
        await page.getByLabel('Publish on').fill(cityDay(0));
        await page.getByLabel('Bids open on').fill(cityDay(2));
        await page.getByLabel('Bids close on').fill(cityDay(30));
        const group = page.locator('#field-categories details').first();
        await group.locator('summary').click();
        await group.locator('label.usa-checkbox__label').first().click();
        await Promise.all([page.waitForURL(/\/beacon\/admin\/\d+$/), page.getByRole('button', { name: 'Save and send for approval' }).click()]);
        await settle(page);

        // ...which the staff list in the other tab shows as a draft, the public list not at all.
        const staffRow = staffList.page.locator('tbody tr').filter({ has: staffList.page.getByRole('link', { name: title }) });
        await staffRow.getByText('Awaiting approval', { exact: true }).waitFor({ timeout: LIVE_TIMEOUT_MS });
        assert.equal(await visitor.page.getByRole('link', { name: title }).count(), 0, 'a draft is not public');

        // Approved: published at once, since its day has come.
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Approve and publish' }).click()]);
        await page.getByText(/Approved and published/).first().waitFor();

        // The visitor's list shows it, without a reload, and says so to screen readers.
        await visitor.page.getByRole('link', { name: title }).waitFor({ timeout: LIVE_TIMEOUT_MS });
        await expectSameDocument(visitor.page, visitorNavigations, 'the public list');
        const visitorRow = visitor.page.locator('tbody tr').filter({ has: visitor.page.getByRole('link', { name: title }) });
        assert.equal((await visitorRow.locator('.usa-tag').textContent()).trim(), 'Upcoming', 'with its status (bids open in two days)');
        await visitor.page.locator('#live-status').filter({ hasText: 'The list of opportunities was updated.' }).waitFor({ state: 'attached' });
        await expectGoodPage(visitor.page, visitor.problems, 'live-beacon-list', widthName);

        // The staff list follows the approval too.
        await staffRow.getByText('Upcoming', { exact: true }).waitFor({ timeout: LIVE_TIMEOUT_MS });
        await expectSameDocument(staffList.page, staffNavigations, 'the staff list');
        await expectGoodPage(staffList.page, staffList.problems, 'live-beacon-staff-list', widthName);
      } finally {
        await visitor.context.close();
        await staffList.context.close();
        await poster.context.close();
      }
    });
  });
}

// The original's sample contracts, which run.sh imports before the server starts: a file of
// their rows many times over is all "already there", so importing it changes nothing other
// tests see, and takes a few seconds (15 batches of 200 rows), long enough to be watched.
const SAMPLE = fileURLToPath(new URL('../../../shared/data/pittsburgh/mock/old_contracts.csv', import.meta.url));
function longContractList() {
  const [header, ...rows] = readFileSync(SAMPLE, 'utf8').split(/\r?\n/).filter((l) => l.trim());
  return Buffer.from(`${header}\n${Array(1000).fill(rows.join('\n')).join('\n')}\n`);
}

/** Uploads the long contract list on `page` (at /admin/imports/) and confirms its import. */
async function startImport(page) {
  await page.getByLabel('City contract list').check();
  await page.locator('input#file').setInputFiles({ name: 'live-contracts.csv', mimeType: 'text/csv', buffer: longContractList() });
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: 'Upload and preview' }).click()]);
  await page.getByText('Nothing is saved yet').waitFor();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: 'Import this file' }).click()]);
}

describe('a web import followed live', () => {
  for (const [widthName, options] of WIDTHS) {
    test(`the import page shows the import to its end without a reload (${widthName})`, { timeout: 120_000 }, async () => {
      const { context, page, problems } = await openPage(browser, '/admin/imports/', { ...options, storageState: signedIn });
      try {
        await startImport(page);
        // The page was made while the import worked (or the test shows nothing).
        assert.equal(await page.locator('[ws-connect]').count(), 1, 'the import page is live while the import works');
        const status = page.locator('#import-status');
        const navigations = await goneLive(page);
        // What the page says as it goes (each fetch replaces the status's contents).
        await page.evaluate(() => {
          window.__e2eSaid = [];
          const region = document.getElementById('import-status');
          new MutationObserver(() => window.__e2eSaid.push(region.querySelector('[data-live-summary]')?.textContent.trim())).observe(region, { childList: true });
        });
        await status.getByText('Imported.', { exact: true }).waitFor({ timeout: 60_000 });
        await expectSameDocument(page, navigations, 'the import page');
        const said = await page.evaluate(() => window.__e2eSaid);
        if (said.length > 0) assert.equal(said.at(-1), 'Imported.', `the last update is the outcome: ${said.join(' | ')}`);
        await page.locator('#live-status').filter({ hasText: 'Imported.' }).waitFor({ state: 'attached' });
        await status.getByText('Already there').waitFor();
        await expectGoodPage(page, problems, 'live-import', widthName);
      } finally {
        await context.close();
      }
    });
  }

  test('without JavaScript the import page reloads itself until the import is done', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, storageState: signedIn });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    try {
      const page = await context.newPage();
      let sockets = 0;
      page.on('websocket', () => {
        sockets += 1;
      });
      await page.goto(url('/admin/imports/'));
      await startImport(page);
      assert.equal(await page.getByText(/^Importing: \d+ of 3000 rows/).count(), 1, 'the page was made while the import worked');
      let loads = 0;
      page.on('load', () => {
        loads += 1;
      });
      await page.locator('.usa-alert').getByText('Imported.', { exact: true }).waitFor({ timeout: 60_000 });
      assert.ok(loads > 0, 'the page reloaded itself to show the outcome');
      assert.equal(sockets, 0, 'no socket without JavaScript');
    } finally {
      await context.close();
    }
  });
});
