// API access in a real browser, at 1280 and 390 px: a superadmin makes a personal access token on
// the profile page (shown once, then listed by name and revoked by its button), and registers an
// API client in the back-office (its secret shown once on a page of its own), whose token pushes a
// contract that the audit page shows as done through the client. Every page passes
// axe and fits its width (expectGoodPage), with a screenshot in the artifacts folder.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WIDTHS, expectGoodPage, launchBrowser, openPage, settle, signInWithLink, url } from './helpers.js';

const TEST = { timeout: 60_000 };

let browser;
let signedIn;
before(async () => {
  browser = await launchBrowser();
  signedIn = await signInWithLink(browser, process.env.API_LINK);
});
after(async () => {
  await browser?.close();
});

/** Clicks `button` and waits for the page it leads to. */
async function submit(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
  await settle(page);
}

/** An access token for API client `id` (the client-credentials grant). */
async function grant(id, secret) {
  const response = await fetch(url('/api/oauth/token'), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = await response.text();
  assert.equal(response.status, 200, body);
  return JSON.parse(body).access_token;
}

for (const [widthName, options] of WIDTHS) {
  describe(`API access at ${widthName} width`, () => {
    test('a personal token is shown once, listed by name and revoked', TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/profile', { ...options, storageState: signedIn });
      try {
        const name = `Dashboard ${widthName} ${Date.now()}`;
        await page.getByLabel('Name', { exact: true }).fill(name);
        // USWDS draws its own box: the label is what a person clicks.
        await page.locator('label.usa-checkbox__label', { hasText: 'Read the vendor list' }).click();
        await submit(page, page.getByRole('button', { name: 'Make token' }));
        const token = await page.getByLabel('Token', { exact: true }).inputValue();
        assert.match(token, /^pcpt_[A-Za-z0-9_-]{20,}$/);
        await expectGoodPage(page, problems, 'profile-token-made', widthName);

        await page.goto(url('/profile'));
        await settle(page);
        assert.equal(await page.getByLabel('Token', { exact: true }).count(), 0, 'shown once');
        const row = page.locator('tbody tr').filter({ hasText: name });
        await row.getByText('Never').waitFor();
        await submit(page, row.getByRole('button', { name: /Revoke/ }));
        await page.getByText(`The token “${name}” is revoked`).waitFor();
        await expectGoodPage(page, problems, 'profile-token-revoked', widthName);
      } finally {
        await context.close();
      }
    });

    test('an API client is registered and its secret shown once', TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/admin/api-clients/new', { ...options, storageState: signedIn });
      try {
        const clientName = `Financial system ${widthName} ${Date.now()}`;
        await page.getByLabel('Name').fill(clientName);
        await page.getByLabel('Acts for').fill('e2e-api@example.org');
        await page.locator('label.usa-checkbox__label', { hasText: 'contracts:write' }).click();
        await page.locator('label.usa-checkbox__label', { hasText: /^Active/ }).click();
        await submit(page, page.getByRole('button', { name: 'Save' }));
        const secret = await page.getByLabel('Client secret').inputValue();
        assert.match(secret, /^pcs_[A-Za-z0-9_-]{20,}$/);
        const clientId = (await page.getByText('client id').textContent()).match(/client id, (\S+?):/)?.[1];
        assert.ok(clientId, 'the client id is given with the secret');
        await expectGoodPage(page, problems, 'admin-client-secret', widthName);
        await submit(page, page.getByRole('link', { name: 'I have copied it' }));
        assert.ok(!(await page.content()).includes(secret), 'not on the edit form');

        // The client at work: a token for its credentials, a contract pushed, and the audit
        // page naming the person and, under them, the client they acted through.
        const token = await grant(clientId, secret);
        const pushed = await fetch(url(`/api/v1/contracts/by-controller/E2E-${widthName}-${Date.now()}`), {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ description: `Road salt pushed at ${widthName} width`, companies: ['Salt Supply Co'] }),
        });
        assert.equal(pushed.status, 201, await pushed.text());
        await page.goto(url('/admin/audit/?resource=contracts'));
        await settle(page);
        await page.getByText(`through API client “${clientName}”`).waitFor();
        await expectGoodPage(page, problems, 'admin-audit-through-client', widthName);
      } finally {
        await context.close();
      }
    });
  });
}
