// Scout in a real browser: search the sample contracts (imported by run.sh), open a contract
// and its company; a staff member signs in and follows a contract; axe-core checks the search
// home, the results, the contract page and the API's documentation page.
//
// Issue 13's journeys, at 1280 and 390 px (no sideways scroll, axe clean): an empty search
// lists contracts, a search that finds nothing leads to the feedback form with the search
// filled in, and a signed-in staff member follows a contract from a result row and sees it
// marked. Imported names stored in capitals are shown in title case.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WIDTHS, expectAccessible, expectGoodPage, expectNoProblems, launchBrowser, openPage, settle, signInAsStaff, url } from './helpers.js';

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

      // Stored in capitals, shown in title case; the company is a link from the result row.
      const row = page.locator('tbody tr').first();
      await row.getByRole('link', { name: '3 Rivers Fire Equipment' }).waitFor();
      await row.getByText('Expired', { exact: true }).waitFor();
      await Promise.all([page.waitForURL('**/scout/contracts/*'), page.getByRole('link', { name: "Firefighters' Protective Gear" }).click()]);
      await settle(page);
      assert.equal(await page.locator('h1').textContent(), "Firefighters' Protective Gear");
      // An expired contract does not promise a reminder before it expires.
      assert.equal(await page.getByText('hear before it expires').count(), 0);
      await expectAccessible(page, 'a contract page');
      await Promise.all([page.waitForURL('**/scout/companies/*'), page.getByRole('link', { name: '3 Rivers Fire Equipment' }).click()]);
      await page.getByText('ted@3riversfire.com').waitFor();
      expectNoProblems(problems, 'the Scout pages');
    } finally {
      await context.close();
    }
  });

  test('a staff member follows a contract and sees it followed', TEST, async () => {
    const { context, page, problems } = await openPage(browser, '/sign-in');
    try {
      await signInAsStaff(page, `follower-${Date.now()}@pittsburghpa.gov`);
      await page.goto(url('/scout/search?q=water+cooler&expired=on'));
      await Promise.all([page.waitForURL('**/scout/contracts/*'), page.getByRole('link', { name: 'Rental of Water Cooler Units' }).click()]);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Follow this contract' }).click()]);
      await page.getByRole('button', { name: 'Stop following' }).waitFor();
      await expectAccessible(page, 'a followed contract');
      // Followed contracts of the staff member's department list it.
      await page.goto(url('/scout/'));
      await Promise.all([page.waitForURL('**/scout/departments/*'), page.getByRole('link', { name: 'Department of Public Works' }).click()]);
      await page.getByRole('link', { name: 'Rental of Water Cooler Units' }).waitFor();
      expectNoProblems(problems, 'following a contract');
    } finally {
      await context.close();
    }
  });

  for (const [widthName, options] of WIDTHS) {
    test(`an empty search lists contracts, soonest expiration first (${widthName})`, TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/scout/', options);
      try {
        await Promise.all([page.waitForURL('**/scout/search?**'), page.getByRole('button', { name: 'Search' }).click()]);
        await settle(page);
        const heading = await page.locator('#results').textContent();
        assert.match(heading, /^[1-9][0-9]* contracts?$/, 'the heading says what is listed, not "0 found"');
        const rows = page.locator('tbody tr');
        assert.ok((await rows.count()) >= 1, 'contracts are listed');
        // Running contracts only (expired ones are left out unless asked for).
        assert.equal(await rows.getByText('Expired', { exact: true }).count(), 0);
        await expectGoodPage(page, problems, 'scout-browse-journey', widthName);
      } finally {
        await context.close();
      }
    });

    test(`a search that finds nothing leads to the feedback form, the search filled in (${widthName})`, TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/scout/search?q=zeppelin+mooring+masts', options);
      try {
        await page.getByRole('heading', { name: '0 contracts found' }).waitFor();
        await Promise.all([page.waitForURL('**/scout/feedback?**'), page.getByRole('link', { name: 'Tell us' }).click()]);
        await settle(page);
        assert.equal(new URL(page.url()).pathname, '/scout/feedback');
        assert.equal(await page.getByLabel('What you searched for (optional)').inputValue(), 'zeppelin mooring masts');
        await expectGoodPage(page, problems, 'scout-feedback-journey', widthName);
        await page.getByLabel('Your email address').fill(`resident-${widthName}@example.com`);
        await page.getByLabel('Your message').fill('Does the city rent mooring masts? I sell them.');
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Send' }).click()]);
        // run.sh made superadmins, so the message is emailed, and the page says so.
        await page.getByText("your message was sent to the city's purchasing staff").waitFor();
        await expectGoodPage(page, problems, 'scout-feedback-sent', widthName);
      } finally {
        await context.close();
      }
    });

    test(`a staff member follows a contract from a result row and sees it marked (${widthName})`, TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/sign-in', options);
      try {
        await signInAsStaff(page, `row-follower-${widthName}-${Date.now()}@pittsburghpa.gov`);
        await page.goto(url('/scout/search?q='));
        const row = page.locator('tbody tr').filter({ has: page.getByRole('button', { name: /^Follow / }) }).first();
        const id = await row.getAttribute('id');
        // Back to the list, at the row (an empty query string may be left out of the address).
        await Promise.all([page.waitForURL(new RegExp(`/scout/search(\\?[^#]*)?#${id}$`)), row.getByRole('button', { name: /^Follow / }).click()]);
        await settle(page);
        const followed = page.locator(`#${id}`);
        await followed.getByText('Following', { exact: true }).waitFor();
        await followed.getByRole('button', { name: /^Stop following / }).waitFor();
        await expectGoodPage(page, problems, 'scout-followed-row', widthName);
      } finally {
        await context.close();
      }
    });
  }

  for (const [widthName, options] of WIDTHS) {
    test(`a contract's line items and the form about it fit the page (${widthName})`, TEST, async () => {
      // The demo's contract (run.sh imports the three contracts of mock/old_contracts.csv, then
      // runs `procure demo --scale 1`), with its ten line items.
      const { context, page, problems } = await openPage(browser, '/scout/search?q=900000', options);
      try {
        await Promise.all([page.waitForURL('**/scout/contracts/*'), page.locator('tbody tr a').first().click()]);
        await settle(page);
        assert.equal(await page.locator('table[class*="usa-table--stacked"] tbody tr').count(), 10, 'ten line items');
        await expectGoodPage(page, problems, 'scout-demo-contract', widthName);
        await Promise.all([page.waitForURL('**/feedback'), page.getByRole('link', { name: 'Tell us about this contract' }).click()]);
        await settle(page);
        await expectGoodPage(page, problems, 'scout-contract-feedback', widthName);
      } finally {
        await context.close();
      }
    });
  }

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
