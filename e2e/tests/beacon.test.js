// Beacon in a real browser: the public opportunity lists load under the CSP and pass axe-core.
// (Opportunity pages, vendor sign-up and the staff workflow join as their parts land.)

import { after, before, describe, test } from 'node:test';
import { expectAccessible, expectNoProblems, launchBrowser, openPage } from './helpers.js';

const TEST = { timeout: 45_000 };

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('Beacon', () => {
  for (const [path, heading] of [
    ['/beacon/', 'Bid opportunities'],
    ['/beacon/opportunities/closed', 'Closed opportunities'],
  ]) {
    test(`${path} lists opportunities accessibly`, TEST, async () => {
      const { context, page, problems } = await openPage(browser, path);
      try {
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await expectAccessible(page, path);
        expectNoProblems(problems, path);
      } finally {
        await context.close();
      }
    });
  }
});
