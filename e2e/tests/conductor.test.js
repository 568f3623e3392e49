// Conductor in a real browser: a conductor-level user starts work on an expiring contract from
// All contracts, completes a stage, writes a note, goes back a stage, and finds the work in
// progress; every page passes axe and fits a phone and a desktop. A colleague's note and stage
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

describe('Conductor live', () => {
  test("a colleague's note and stage change appear without a reload", { timeout: 60_000 }, async () => {
    const watcher = await openPage(browser, '/conductor/?who=all', { storageState: signedIn });
    const actor = await openPage(browser, '/conductor/?who=all', { storageState: signedIn });
    try {
      // The first work in progress, on both pages.
      const link = actor.page.locator('a[href^="/conductor/items/"]').first();
      const href = await link.getAttribute('href');
      await watcher.page.goto(new URL(href, watcher.page.url()).href);
      await watcher.page.locator('[data-live=open]').waitFor();
      await actor.page.goto(new URL(href, actor.page.url()).href);
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
