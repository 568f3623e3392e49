// Beacon in a real browser: the public opportunity lists; a vendor signs up, confirms from the
// outbox the worker writes, and later unsubscribes from an email's link; axe-core checks each
// page; a staff member drafts an opportunity with a PDF and a conductor-level user approves it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WIDTHS, expectAccessible, expectFitsWidth, expectNoProblems, launchBrowser, linkFromOutbox, openPage, pathFromOutbox, settle, url } from './helpers.js';

const TEST = { timeout: 45_000 };

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Signs a vendor up for the first category and confirms it; returns its address. */
async function signUpAndConfirm(page, business) {
  const email = `vendor-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto(url('/beacon/sign-up'));
  await page.getByLabel('Business name').fill(business);
  await page.getByLabel('Email address').fill(email);
  const group = page.locator('details').first();
  await group.locator('summary').click();
  await group.locator('label.usa-checkbox__label').first().click();
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign up' }).click()]);
  await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
  await page.goto(url(await pathFromOutbox(email, /\/beacon\/vendors\/\d+\/confirm\?sig=[0-9a-f]{64}/)));
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Confirm' }).click()]);
  await page.getByRole('heading', { level: 1, name: 'You are subscribed' }).waitFor();
  return email;
}

for (const [widthName, options] of WIDTHS) {
  describe(`Beacon for vendors (${widthName})`, () => {
    test('a vendor adds a category, unsubscribes, asks for its link and comes back', { timeout: 90_000 }, async () => {
      const { context, page, problems } = await openPage(browser, '/beacon/', options);
      try {
        const email = await signUpAndConfirm(page, `Keystone Paving ${widthName}`);
        // Its manage link (from the welcome email) offers every category, not only its own.
        const manage = await pathFromOutbox(email, /\/beacon\/vendors\/\d+\/manage\?sig=[0-9a-f]{64}/);
        await page.goto(url(manage));
        await expectFitsWidth(page, `the manage page (${widthName})`);
        await expectAccessible(page, `the manage page (${widthName})`);
        const boxes = page.locator('input[name=category]');
        assert.ok((await boxes.count()) > 1, 'every category is offered');
        assert.equal(await page.locator('input[name=category]:checked').count(), 1);
        const second = page.locator('details').nth(1);
        await second.locator('summary').click();
        await second.locator('label.usa-checkbox__label').first().click();
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Save' }).click()]);
        await page.getByText('Saved.').waitFor();
        assert.equal(await page.locator('input[name=category]:checked').count(), 2, 'a category was added');

        // Unsubscribed, then back by asking for the link by address.
        await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: 'Stop every Beacon email' }).click()]);
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Unsubscribe' }).click()]);
        await page.getByRole('heading', { level: 1, name: 'You are unsubscribed' }).waitFor();
        await Promise.all([page.waitForURL('**/beacon/manage'), page.getByRole('link', { name: 'Ask for a link to your page' }).click()]);
        await expectFitsWidth(page, `the manage-link form (${widthName})`);
        await expectAccessible(page, `the manage-link form (${widthName})`);
        await page.getByLabel('The email address you signed up with').fill(email);
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Email me a link' }).click()]);
        await page.getByText(`If ${email} has signed up for Beacon`).waitFor();
        const seen = new Set();
        const back = await pathFromOutbox(email, /Receive Beacon's emails again|\/beacon\/vendors\/\d+\/manage\?sig=[0-9a-f]{64}/, seen);
        // The first match may be the subject line; the link follows in the same message.
        const link = back.startsWith('/') ? back : await pathFromOutbox(email, /\/beacon\/vendors\/\d+\/manage\?sig=[0-9a-f]{64}/);
        await page.goto(url(link));
        await page.getByText('This address is unsubscribed').waitFor();
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: "Save and receive Beacon's emails again" }).click()]);
        await page.getByText('Saved.').waitFor();
        assert.equal(await page.getByText('This address is unsubscribed').count(), 0, 'subscribed again');
        expectNoProblems(problems, `a vendor's subscription (${widthName})`);
      } finally {
        await context.close();
      }
    });

    test('following without a business name shows the error in the form', TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/beacon/', options);
      try {
        await Promise.all([page.waitForURL('**/beacon/opportunities/*'), page.locator('table a.usa-link').first().click()]);
        await page.locator('#follow-email').fill(`follower-${Date.now()}@example.com`);
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Follow' }).click()]);
        await page.locator('#follow-business_name-error').waitFor();
        assert.match(await page.locator('#follow-business_name-error').textContent(), /Enter your business/);
        assert.ok((await page.locator('#follow-email').inputValue()).startsWith('follower-'), 'the address typed stays');
        await expectFitsWidth(page, `the follow form with its error (${widthName})`);
        await expectAccessible(page, `the follow form with its error (${widthName})`);
        await page.locator('#follow-business_name').fill('Follower Co');
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Follow' }).click()]);
        await page.getByText(/Open the link in it to follow/).waitFor();
        // The refused form answered 400, which the browser logs as a failed load of the page.
        expectNoProblems({ ...problems, consoleErrors: problems.consoleErrors.filter((e) => !/400/.test(e)) }, `following (${widthName})`);
      } finally {
        await context.close();
      }
    });
  });
}

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

  test('a staff member drafts an opportunity with a PDF and an approver publishes it', { timeout: 60_000 }, async () => {
    const staff = await openPage(browser, '/sign-in');
    const approver = await openPage(browser, '/sign-in');
    try {
      const { page } = staff;
      const email = `drafter-${Date.now()}@pittsburghpa.gov`;
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
      await page.goto(url(await linkFromOutbox(email)));
      await Promise.all([page.waitForURL('**/profile**'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.getByLabel('Department').selectOption({ label: 'Department of Public Works' });
      await Promise.all([page.waitForURL('**/profile?saved=1'), page.getByRole('button', { name: 'Save profile' }).click()]);

      // The header leads staff to the form.
      await Promise.all([page.waitForURL('**/beacon/admin/new'), page.getByRole('link', { name: 'Post an opportunity' }).first().click()]);
      await expectAccessible(page, 'the opportunity form');
      const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      const title = `Bridge painting ${Date.now()}`;
      await page.locator('#field-title').fill(title);
      await page.locator('#field-description').fill('Repainting of two city bridges.');
      await page.getByLabel('Department').selectOption({ label: 'Department of Public Works' });
      await page.getByLabel('Contract type').selectOption({ label: 'B-BID' });
      // Yesterday, so it is due whatever the hour: the server's today is the display time zone's.
      await page.getByLabel('Publish on').fill(day(-1));
      await page.getByLabel('Bids open on').fill(day(2));
      await page.getByLabel('Bids close on').fill(day(30));
      const group = page.locator('#field-categories details').first();
      await group.locator('summary').click();
      await group.locator('label.usa-checkbox__label').first().click();
      await page.locator('#field-document_name').fill('Request for bids');
      await page.locator('#field-document').setInputFiles({
        name: 'rfb.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
      });
      await Promise.all([page.waitForURL(/\/beacon\/admin\/\d+$/), page.getByRole('button', { name: 'Save and send for approval' }).click()]);
      await page.getByText('Awaiting approval').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Approve and publish' }).count(), 0, 'staff cannot approve');
      const draftPath = new URL(page.url()).pathname;

      const link = new URL(process.env.APPROVER_LINK);
      const other = approver.page;
      await other.goto(url(link.pathname + link.search));
      await Promise.all([other.waitForURL(url('/')), other.getByRole('button', { name: 'Sign in' }).click()]);
      // Approvers are told in the header, and find it first in the list.
      await Promise.all([other.waitForURL('**/beacon/admin/'), other.getByRole('link', { name: /^Awaiting approval \(\d+\)$/ }).click()]);
      await Promise.all([other.waitForURL(`**${draftPath}`), other.getByRole('link', { name: title }).click()]);
      await expectAccessible(other, 'an opportunity awaiting approval');
      await Promise.all([other.waitForLoadState('load'), other.getByRole('button', { name: 'Approve and publish' }).click()]);
      await other.getByText('Upcoming').first().waitFor();
      await other.goto(url('/beacon/'));
      await Promise.all([other.waitForURL('**/beacon/opportunities/*'), other.getByRole('link', { name: title }).click()]);
      await other.getByRole('link', { name: 'Request for bids' }).waitFor();
      await expectAccessible(other, 'a published opportunity');
      expectNoProblems(staff.problems, 'drafting an opportunity');
      expectNoProblems(approver.problems, 'approving an opportunity');
    } finally {
      await staff.context.close();
      await approver.context.close();
    }
  });
});
