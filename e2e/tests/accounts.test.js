// Signing in by emailed link in a real browser: ask for a link, open it from the outbox the
// worker wrote, land on the profile, choose a department; the admin menu shows for an admin
// and not for staff. axe-core checks the sign-in, profile and an admin list page.

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

describe('sign-in by emailed link', () => {
  test('a new staff member signs in, sets a department, and sees no admin menu', TEST, async () => {
    const { context, page, problems } = await openPage(browser, '/sign-in');
    try {
      await expectAccessible(page, 'the sign-in page');
      const email = `e2e-${Date.now()}@pittsburghpa.gov`;
      await page.getByLabel('Email address').fill(email);
      await Promise.all([page.waitForURL('**/sign-in'), page.getByRole('button', { name: 'Email me a sign-in link' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();

      const link = await linkFromOutbox(email, new Set());
      await page.goto(url(link));
      await page.getByText(`You are signing in as ${email}`).waitFor();
      await Promise.all([page.waitForURL('**/profile**'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await settle(page);
      assert.equal(await page.locator('h1').textContent(), 'Your profile');
      await expectAccessible(page, 'the profile page');

      // A blank department is a validation message, then a real one saves.
      await page.getByLabel('First name').fill('Erin');
      await page.getByLabel('Last name').fill('Example');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Save profile' }).click()]);
      await page.getByText('Choose your department.').first().waitFor();
      await expectAccessible(page, 'the profile page with errors');
      await page.getByLabel('Department').selectOption({ label: 'Department of Public Works' });
      await Promise.all([page.waitForURL('**/profile?saved=1'), page.getByRole('button', { name: 'Save profile' }).click()]);
      await page.getByText('Your profile is saved.').waitFor();

      await page.goto(url('/'));
      await page.getByRole('link', { name: 'Erin Example' }).first().waitFor();
      assert.equal(await page.locator('a.usa-nav-link[href="/admin/"]').count(), 0, 'staff see no admin menu');

      // Using the same link again is refused with a clear page.
      const again = await page.goto(url(link));
      assert.equal(again.status(), 400);
      assert.match(await page.locator('h1').textContent(), /already been used/);
      expectNoProblems({ ...problems, responses: problems.responses.filter((r) => r.status !== 400) }, 'the sign-in pages');
    } finally {
      await context.close();
    }
  });

  test('an admin sees the admin menu and an accessible admin list', TEST, async () => {
    const adminLink = new URL(process.env.ADMIN_LINK);
    const { context, page } = await openPage(browser, adminLink.pathname + adminLink.search);
    try {
      await Promise.all([page.waitForURL(url('/')), page.getByRole('button', { name: 'Sign in' }).click()]);
      const adminMenu = page.locator('a.usa-nav-link[href="/admin/"]');
      assert.equal(await adminMenu.count(), 1, 'admins see the admin menu');
      await Promise.all([page.waitForURL('**/admin/'), adminMenu.click()]);
      await Promise.all([page.waitForURL('**/admin/departments/'), page.getByRole('link', { name: 'Manage departments' }).click()]);
      await settle(page);
      await page.getByRole('cell', { name: 'Equal Opportunity Review Commission', exact: true }).waitFor();
      await expectAccessible(page, 'the admin department list');

      await page.getByLabel('Search departments').fill('public');
      await Promise.all([page.waitForURL('**/admin/departments/?q=public'), page.getByRole('button', { name: 'Search' }).click()]);
      const rows = await page.locator('tbody tr').count();
      assert.ok(rows >= 2, `search finds the public departments (${rows})`);
    } finally {
      await context.close();
    }
  });
});
