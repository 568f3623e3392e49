// Conductor in a real browser: a conductor-level user starts work on an expiring contract from
// All contracts, completes a stage, writes a note, goes back a stage, and finds the work in
// progress; every page passes axe and fits a phone and a desktop.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WIDTHS, expectGoodPage, launchBrowser, openPage, signInWithLink } from './helpers.js';

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
    test('a conductor starts a renewal and moves it through a stage', { timeout: 90_000 }, async () => {
      const { context, page, problems } = await openPage(browser, '/conductor/?tab=all', { ...options, storageState: signedIn });
      try {
        await expectGoodPage(page, problems, 'conductor-all', widthName);
        // The soonest-expiring contract waiting for renewal.
        const start = page.getByRole('link', { name: /^Start work/ }).first();
        await Promise.all([page.waitForURL('**/start'), start.click()]);
        await expectGoodPage(page, problems, 'conductor-start', widthName);
        const description = `Renewal ${widthName} ${Date.now()}`;
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
  });
}
