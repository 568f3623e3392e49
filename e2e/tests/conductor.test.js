// Conductor in a real browser: a conductor-level user starts new work, completes a stage, writes
// a note, goes back a stage, and finds the work in progress; renews an expiring contract from
// All contracts through every stage, posting it to Beacon and finishing the wizard with two
// companies, and finds the successors on Scout; every page passes axe and fits a phone and a desktop. A colleague's note and stage
// change show on an open page without a reload (the realtime channel).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WIDTHS, expectGoodPage, expectNoProblems, launchBrowser, openPage, signInWithLink } from './helpers.js';

let browser;
let signedIn;
before(async () => {
  browser = await launchBrowser();
  signedIn = await signInWithLink(browser, process.env.CONDUCTOR_LINK);
});
after(async () => {
  await browser?.close();
});

for (const [widthName, options] of WIDTHS) {
  describe(`Conductor (${widthName})`, () => {
    test('a conductor starts new work and moves it through a stage', { timeout: 90_000 }, async () => {
      const { context, page, problems } = await openPage(browser, '/conductor/?tab=all', { ...options, storageState: signedIn });
      try {
        await expectGoodPage(page, problems, 'conductor-all', widthName);
        // New work (the sample data has few contracts to renew: the next test renews one).
        await Promise.all([page.waitForURL('**/conductor/new'), page.getByRole('link', { name: 'Start new work' }).click()]);
        await expectGoodPage(page, problems, 'conductor-start', widthName);
        const description = `New work ${widthName} ${Date.now()}`;
        await page.getByLabel('Description').fill(description);
        await page.getByLabel('Flow').selectOption({ label: 'Competitive bid' });
        await Promise.all([page.waitForURL(/\/conductor\/items\/\d+$/), page.getByRole('button', { name: 'Start work' }).click()]);
        await page.getByRole('heading', { level: 1, name: description }).waitFor();
        await expectGoodPage(page, problems, 'conductor-item', widthName);

        await Promise.all([
          page.waitForLoadState('load'),
          page.getByRole('button', { name: 'Mark Confirm the need with the department complete' }).click(),
        ]);
        await page.getByText('Stage completed.').waitFor();
        assert.ok(await page.getByRole('button', { name: 'Mark Write the specifications complete' }).isVisible());

        await page.getByRole('textbox', { name: 'Note' }).fill('Asked the department; they need it for two more years.');
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Add the note' }).click()]);
        await page.getByText('Note added.').waitFor();
        await page.getByText('they need it for two more years').waitFor();

        await Promise.all([
          page.waitForLoadState('load'),
          page.getByRole('button', { name: 'Go back to Confirm the need with the department' }).click(),
        ]);
        await page.getByText('Went back to an earlier stage.').waitFor();
        await expectGoodPage(page, problems, 'conductor-item-reverted', widthName);

        await page.goto(new URL('/conductor/', page.url()).href);
        await page.getByRole('link', { name: description }).waitFor();
        await expectGoodPage(page, problems, 'conductor-in-progress', widthName);
      } finally {
        await context.close();
      }
    });

    test('a renewal goes all the way: Beacon, the wizard with two companies, Scout', { timeout: 120_000 }, async () => {
      const { context, page, problems } = await openPage(browser, '/conductor/?tab=all', { ...options, storageState: signedIn });
      const day = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
      const click = async (name) => {
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name }).click()]);
      };
      try {
        // Any contract but the first, which the tour (tour.test.js) visits on Scout.
        const start = page.locator('a[href$="/start"]:not([href="/conductor/contracts/1/start"])').first();
        await Promise.all([page.waitForURL('**/start'), start.click()]);
        const description = `Road salt ${widthName} ${Date.now()}`;
        await page.getByLabel('Description').fill(description);
        await page.getByLabel('Flow').selectOption({ label: 'Competitive bid' });
        await Promise.all([page.waitForURL(/\/conductor\/items\/\d+$/), page.getByRole('button', { name: 'Start work' }).click()]);
        const item = page.url();
        // An update email with a PDF, kept with the work.
        await Promise.all([page.waitForURL('**/email'), page.getByRole('link', { name: 'Send an update email' }).click()]);
        await expectGoodPage(page, problems, 'conductor-email', widthName);
        await page.locator('#field-to').fill('public.works@example.gov; buyer@example.gov');
        await page.locator('#field-subject').fill('Renewal under way');
        await page.locator('#field-attachments').setInputFiles({
          name: 'scope.pdf',
          mimeType: 'application/pdf',
          buffer: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
        });
        await Promise.all([page.waitForURL(item), page.getByRole('button', { name: 'Send' }).click()]);
        await page.getByText('Sent “Renewal under way” to 2 recipients.').waitFor();
        await page.getByRole('link', { name: 'scope.pdf' }).waitFor();
        await click('Mark Confirm the need with the department complete');
        await click('Mark Write the specifications complete');

        // Advertise the bid: post it to Beacon (a draft for approval).
        await Promise.all([page.waitForURL('**/beacon'), page.getByRole('link', { name: 'Post to Beacon' }).click()]);
        await expectGoodPage(page, problems, 'conductor-beacon', widthName);
        await page.locator('#field-department').selectOption({ label: 'Department of Public Works' });
        await page.getByLabel('Contract type').selectOption({ label: 'B-BID' });
        await page.getByLabel('Publish on').fill(day(1));
        await page.getByLabel('Bids open on').fill(day(2));
        await page.getByLabel('Bids close on').fill(day(30));
        const group = page.locator('#field-categories details').first();
        await group.locator('summary').click();
        await group.locator('label.usa-checkbox__label').first().click();
        await Promise.all([page.waitForURL(item), page.getByRole('button', { name: 'Post to Beacon for approval' }).click()]);
        await page.getByRole('link', { name: description }).first().waitFor();

        for (const stage of ['Advertise the bid', 'Evaluate the bids', 'Award and sign']) {
          await click(`Mark ${stage} complete`);
        }
        await Promise.all([page.waitForURL('**/finish/contract'), page.getByRole('button', { name: 'Mark Notify the department complete' }).click()]);

        // The wizard: the contract, two companies, then finish.
        await expectGoodPage(page, problems, 'conductor-finish-contract', widthName);
        await page.getByLabel('Expiration date').fill(day(730));
        await page.getByLabel('Spec number').fill('SPEC-2027-1');
        await click('Save and continue to companies');
        await expectGoodPage(page, problems, 'conductor-finish-companies', widthName);
        // The current contract's company is offered first; a new one joins it under its own number.
        const kept = await page.locator('#field-company-0-company_id option:checked').textContent();
        assert.notEqual(kept.trim(), '- Choose -', 'the first row starts as the current contract\'s company');
        await page.locator('#field-company-0-controller_number').fill('81234');
        await page.locator('#field-company-1-new_name').fill(`Allegheny Minerals ${widthName}`);
        await page.locator('#field-company-1-controller_number').fill('85678');
        await click('Save and continue to contacts');
        await expectGoodPage(page, problems, 'conductor-finish-contacts', widthName);
        await Promise.all([page.waitForURL('**/finished'), page.getByRole('button', { name: 'Finish: make the new contracts available' }).click()]);
        await expectGoodPage(page, problems, 'conductor-finished', widthName);

        // Both successors are on Scout.
        const successors = page.locator('a[href^="/scout/contracts/"]');
        assert.equal(await successors.count(), 2, 'one new contract per controller number');
        await Promise.all([page.waitForURL(/\/scout\/contracts\/\d+$/), successors.first().click()]);
        // The first successor (the lower controller number) is held by the kept company.
        const escaped = kept.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        await page.getByText(new RegExp(escaped, 'i')).first().waitFor();
        expectNoProblems(problems, `the whole renewal (${widthName})`);
      } finally {
        await context.close();
      }
    });

    test('the metrics of a flow: charts with their tables, a stage\'s distribution', { timeout: 60_000 }, async () => {
      const { context, page, problems } = await openPage(browser, '/conductor/', { ...options, storageState: signedIn });
      try {
        await Promise.all([page.waitForURL('**/conductor/metrics/'), page.getByRole('link', { name: 'Metrics' }).click()]);
        await expectGoodPage(page, problems, 'conductor-metrics', widthName);
        await Promise.all([
          page.waitForURL(/\/conductor\/metrics\/\d+$/),
          page.getByRole('link', { name: 'Competitive bid', exact: true }).click(),
        ]);
        // The stages the tests above completed give the charts something to draw.
        for (const name of ['Average days in each stage', 'Work in progress by days in its stage']) {
          await page.getByRole('img', { name }).waitFor();
        }
        await expectGoodPage(page, problems, 'conductor-metrics-flow', widthName);
        // A stage's distribution, through the link on its name in the table.
        const table = page.locator('table', { has: page.getByText('Average days in each stage') });
        await Promise.all([
          page.waitForURL(/stage=\d+/),
          table.getByRole('link', { name: 'Confirm the need with the department' }).click(),
        ]);
        await page.getByRole('heading', { name: 'How long Confirm the need with the department took' }).waitFor();
        await page.getByRole('img', { name: 'How long Confirm the need with the department took' }).waitFor();
        await expectGoodPage(page, problems, 'conductor-metrics-distribution', widthName);
      } finally {
        await context.close();
      }
    });

    test('the renewal calendar', { timeout: 30_000 }, async () => {
      const { context, page, problems } = await openPage(browser, '/conductor/', { ...options, storageState: signedIn });
      try {
        await Promise.all([page.waitForURL('**/conductor/calendar'), page.getByRole('link', { name: 'Calendar' }).click()]);
        await page.getByLabel('Your calendar link').waitFor();
        await expectGoodPage(page, problems, 'conductor-calendar', widthName);
      } finally {
        await context.close();
      }
    });

    test('the COSTARS uploads page', { timeout: 30_000 }, async () => {
      const { context, page, problems } = await openPage(browser, '/conductor/', { ...options, storageState: signedIn });
      try {
        await Promise.all([
          page.waitForURL('**/conductor/upload/costars'),
          page.getByRole('link', { name: 'COSTARS uploads' }).click(),
        ]);
        await page.getByRole('heading', { level: 1, name: 'COSTARS uploads' }).waitFor();
        await expectGoodPage(page, problems, 'conductor-costars', widthName);
      } finally {
        await context.close();
      }
    });
  });
}

describe('Conductor live', () => {
  test("a colleague's note and stage change appear without a reload", { timeout: 60_000 }, async () => {
    const actor = await openPage(browser, '/conductor/new', { storageState: signedIn });
    const watcher = await openPage(browser, '/conductor/', { storageState: signedIn });
    try {
      // New work of the actor's, open on both pages.
      await actor.page.getByLabel('Description').fill(`Live work ${Date.now()}`);
      await actor.page.getByLabel('Flow').selectOption({ label: 'Competitive bid' });
      await Promise.all([actor.page.waitForURL(/\/conductor\/items\/\d+$/), actor.page.getByRole('button', { name: 'Start work' }).click()]);
      await watcher.page.goto(actor.page.url());
      await watcher.page.locator('[data-live=open]').waitFor();
      const note = `Live note ${Date.now()}`;
      await actor.page.getByRole('textbox', { name: 'Note' }).fill(note);
      await Promise.all([actor.page.waitForLoadState('load'), actor.page.getByRole('button', { name: 'Add the note' }).click()]);
      await watcher.page.getByText(note).waitFor({ timeout: 10_000 });
      const stage = await actor.page.locator('#current-heading').textContent();
      await Promise.all([actor.page.waitForLoadState('load'), actor.page.getByRole('button', { name: /^Mark .* complete$/ }).click()]);
      await watcher.page.getByText(`Completed ${stage}`).first().waitFor({ timeout: 10_000 });
      expectNoProblems(watcher.problems, 'the watching page');
    } finally {
      await watcher.context.close();
      await actor.context.close();
    }
  });
});
