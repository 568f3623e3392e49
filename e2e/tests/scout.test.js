// Scout in a real browser: search the sample contracts (imported by run.sh), open a contract
// and its company; a staff member signs in and follows a contract; axe-core checks the search
// home, the results, the contract page and the API's documentation page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectAccessible, expectNoProblems, launchBrowser, linkFromOutbox, openPage, settle, url } from './helpers.js';

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

  test('a staff member follows a contract and sees it followed', TEST, async () => {
    const { context, page, problems } = await openPage(browser, '/sign-in');
    try {
      const email = `follower-${Date.now()}@pittsburghpa.gov`;
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      // The URL stays /sign-in: wait for the answer, or the next navigation aborts the POST.
      await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
      await page.goto(url(await linkFromOutbox(email)));
      await Promise.all([page.waitForURL('**/profile**'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.getByLabel('Department').selectOption({ label: 'Department of Public Works' });
      await Promise.all([page.waitForURL('**/profile?saved=1'), page.getByRole('button', { name: 'Save profile' }).click()]);

      await page.goto(url('/scout/search?q=water+cooler&expired=on'));
      await Promise.all([page.waitForURL('**/scout/contracts/*'), page.getByRole('link', { name: 'RENTAL OF WATER COOLER UNITS' }).click()]);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Follow this contract' }).click()]);
      await page.getByRole('button', { name: 'Stop following' }).waitFor();
      await expectAccessible(page, 'a followed contract');
      // Followed contracts of the staff member's department list it.
      await page.goto(url('/scout/'));
      await Promise.all([page.waitForURL('**/scout/departments/*'), page.getByRole('link', { name: 'Department of Public Works' }).click()]);
      await page.getByRole('link', { name: 'RENTAL OF WATER COOLER UNITS' }).waitFor();
      expectNoProblems(problems, 'following a contract');
    } finally {
      await context.close();
    }
  });

  test('the API documentation is readable and accessible', TEST, async () => {
    const { context, page, problems } = await openPage(browser, '/api/docs');
    try {
      await page.getByRole('heading', { level: 1, name: 'Procure API' }).waitFor();
      await page.getByRole('heading', { name: 'Search contracts' }).waitFor();
      await expectAccessible(page, 'the API documentation');
      const spec = await page.request.get(url('/api/openapi.json'));
      assert.equal(spec.status(), 200);
      assert.ok((await spec.json()).paths['/api/v1/contracts']);
      expectNoProblems(problems, 'the API documentation');
    } finally {
      await context.close();
    }
  });
});
