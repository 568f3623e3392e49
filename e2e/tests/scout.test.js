// Scout in a real browser: search the sample contracts (imported by run.sh), open a contract
// and its company; axe-core checks the search home, the results and the contract page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectAccessible, expectNoProblems, launchBrowser, openPage, settle } from './helpers.js';

const TEST = { timeout: 45_000 };

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('Scout', () => {
  test('search, read a contract and its company', TEST, async () => {
    const { context, page, problems } = await openPage(browser, '/scout/');
    try {
      await expectAccessible(page, 'the Scout home page');
      await page.getByLabel("Search the city's contracts").fill('protective gear');
      await page.getByText('Search options').click();
      await page.locator('label[for="filter-expired"]').click();
      assert.ok(await page.locator('#filter-expired').isChecked());
      await Promise.all([page.waitForURL('**/scout/search?**'), page.getByRole('button', { name: 'Search' }).click()]);
      await settle(page);
      await page.getByRole('heading', { name: '1 contract found' }).waitFor();
      assert.ok(await page.locator('mark').count() >= 1, 'the match is highlighted');
      await expectAccessible(page, 'the search results');

      await Promise.all([page.waitForURL('**/scout/contracts/*'), page.getByRole('link', { name: "FIREFIGHTERS' PROTECTIVE GEAR" }).click()]);
      await settle(page);
      assert.equal(await page.locator('h1').textContent(), "FIREFIGHTERS' PROTECTIVE GEAR");
      await expectAccessible(page, 'a contract page');
      await Promise.all([page.waitForURL('**/scout/companies/*'), page.getByRole('link', { name: '3 RIVERS FIRE EQUIPMENT' }).click()]);
      await page.getByText('ted@3riversfire.com').waitFor();
      expectNoProblems(problems, 'the Scout pages');
    } finally {
      await context.close();
    }
  });
});
