// Beacon in a real browser: the public opportunity lists; a vendor signs up, confirms from the
// outbox the worker writes, and later unsubscribes from an email's link; axe-core checks each
// page. (The staff workflow joins as its pages land.)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectAccessible, expectNoProblems, launchBrowser, openPage, pathFromOutbox, settle, url } from './helpers.js';

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

  test('a vendor signs up, confirms from the email, and unsubscribes from a later one', TEST, async () => {
    const { context, page, problems } = await openPage(browser, '/beacon/sign-up');
    try {
      await expectAccessible(page, 'the sign-up form');
      const email = `vendor-${Date.now()}@example.com`;
      await page.getByLabel('Business name').fill('Keystone Paving');
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Phone').fill('(412) 555-0100');
      // USWDS hides the boxes themselves: people click the labels.
      await page.locator('label[for="field-woman_owned"]').click();
      assert.ok(await page.locator('#field-woman_owned').isChecked());
      const group = page.locator('details').first();
      await group.locator('summary').click();
      await group.locator('label.usa-checkbox__label').first().click();
      assert.ok(await group.locator('input[type=checkbox]').first().isChecked());
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign up' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();

      const confirm = await pathFromOutbox(email, /\/beacon\/vendors\/\d+\/confirm\?sig=[0-9a-f]{64}/);
      await page.goto(url(confirm));
      await expectAccessible(page, 'the confirmation page');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Confirm' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'You are subscribed' }).waitFor();

      // The welcome email carries the one-click unsubscribe link.
      const unsubscribe = await pathFromOutbox(email, /\/beacon\/vendors\/\d+\/unsubscribe\?sig=[0-9a-f]{64}/);
      await page.goto(url(unsubscribe));
      await expectAccessible(page, 'the unsubscribe page');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Unsubscribe' }).click()]);
      await settle(page);
      assert.equal(await page.locator('h1').textContent(), 'You are unsubscribed');
      await expectAccessible(page, 'the unsubscribed page');
      expectNoProblems(problems, 'signing up and unsubscribing');
    } finally {
      await context.close();
    }
  });
});
