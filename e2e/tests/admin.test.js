// The back-office and the staff's own pages in a real browser, at 1280 and 390 px: an
// administrator adds and renames a department and is told "Saved", finds the change in the audit
// log under their name; imports a file from the web and finds it in the log; follows a contract and finds it on their profile, unfollows it there; a
// staff member signs out and is told so; the sign-in page says it is for city staff and sends
// vendors to Beacon. Every page visited fits its width and passes axe (expectGoodPage), with a
// screenshot in the artifacts folder.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WIDTHS, expectGoodPage, launchBrowser, linkFromOutbox, openPage, settle, signInWithLink, url } from './helpers.js';

const TEST = { timeout: 90_000 };
// The original's sample contracts (run.sh imports the same file before the server starts, so a
// web import finds every row already there).
const CONTRACTS_FILE = fileURLToPath(new URL('../../../shared/data/pittsburgh/mock/old_contracts.csv', import.meta.url));
const NAME = 'Audra Auditor';

let browser;
let signedIn;
before(async () => {
  browser = await launchBrowser();
  // A superadmin of this file's own (run.sh's STAFF_LINK), signed in once, who gives their name.
  signedIn = await signInWithLink(browser, process.env.STAFF_LINK, async (page) => {
    await page.goto(url('/profile'));
    await page.getByLabel('First name').fill('Audra');
    await page.getByLabel('Last name').fill('Auditor');
    await page.getByLabel('Department').selectOption({ label: 'Other' });
    await Promise.all([page.waitForURL('**/profile?saved=1'), page.getByRole('button', { name: 'Save profile' }).click()]);
  });
});
after(async () => {
  await browser?.close();
});

/** The text of the page's one-time message (the USWDS alert the base layout shows). */
async function flashText(page) {
  const alert = page.locator('[data-flash]');
  return (await alert.count()) === 0 ? null : (await alert.textContent()).trim();
}

/** Clicks `button` and waits for the page it leads to. */
async function submit(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
  await settle(page);
}

for (const [widthName, options] of WIDTHS) {
  describe(`the back-office at ${widthName} width`, () => {
    test('an admin adds and renames a department, is told so, and finds the change in the audit log', TEST, async () => {
      const name = `Bureau of E2E ${widthName} ${Date.now()}`;
      const { context, page, problems } = await openPage(browser, '/admin/departments/new', { ...options, storageState: signedIn });
      try {
        await page.getByLabel('Name').fill(name);
        await submit(page, page.getByRole('button', { name: 'Save' }));
        assert.match(new URL(page.url()).pathname, /^\/admin\/departments\/$/);
        assert.equal(await flashText(page), `Added department “${name}”.`);
        await expectGoodPage(page, problems, 'admin-added', widthName);
        const id = new URL(page.url()).searchParams.get('saved');
        assert.ok(id, 'the list names the saved record');

        await page.goto(url(`/admin/departments/${id}/edit`));
        await page.getByLabel('Name').fill(`${name} renamed`);
        await submit(page, page.getByRole('button', { name: 'Save' }));
        const said = await flashText(page);
        assert.ok(said?.startsWith('Saved'), `the admin is told it is saved: ${said}`);
        assert.equal(await page.getByRole('status').filter({ hasText: 'Saved' }).count(), 1, 'as a status message');
        await expectGoodPage(page, problems, 'admin-saved', widthName);
        await page.reload();
        await settle(page);
        assert.equal(await flashText(page), null, 'once');

        await page.goto(url('/admin/audit/?resource=departments'));
        await settle(page);
        const entry = page.locator('tbody tr').filter({ hasText: `${name} renamed` }).filter({ hasText: 'Changed department' });
        assert.equal(await entry.count(), 1, 'the change is in the log');
        const text = await entry.textContent();
        assert.ok(text.includes(NAME), `under the admin's name: ${text}`);
        assert.ok(text.includes(`${name} → ${name} renamed`), `with what changed: ${text}`);
        assert.match(text, /[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M [A-Z]{3,4}/, 'at a local time');
        await expectGoodPage(page, problems, 'admin-audit-entry', widthName);
      } finally {
        await context.close();
      }
    });

    test('an admin imports a file from the web: preview, "Import queued.", and the import in the audit log', TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/admin/imports/', { ...options, storageState: signedIn });
      try {
        await page.getByLabel('City contract list').check();
        await page.locator('input#file').setInputFiles(CONTRACTS_FILE);
        await submit(page, page.getByRole('button', { name: 'Upload and preview' }));
        await page.getByText('Nothing is saved yet').waitFor();
        await expectGoodPage(page, problems, 'admin-import-preview', widthName);
        const importPath = new URL(page.url()).pathname;

        await submit(page, page.getByRole('button', { name: 'Import this file' }));
        assert.equal(new URL(page.url()).pathname, importPath);
        assert.ok((await flashText(page))?.startsWith('Import queued.'), 'the confirmation says so');
        // The page follows the import (live, or reloading itself) until the worker is done.
        await page.locator('#import-status').getByText('Imported.', { exact: true }).waitFor({ timeout: 30_000 });
        await settle(page);
        await expectGoodPage(page, problems, 'admin-import-done', widthName);

        await page.goto(url('/admin/audit/?resource=imports'));
        await settle(page);
        const id = importPath.split('/').pop();
        const entries = page.locator('tbody tr').filter({ has: page.locator(`a[href="/admin/imports/${id}"]`) });
        const texts = await entries.allTextContents();
        assert.ok(texts.some((t) => t.includes('Uploaded file')), texts.join('\n'));
        assert.ok(texts.some((t) => t.includes('Started importing file')), texts.join('\n'));
        const done = texts.find((t) => t.includes('Imported file'));
        assert.ok(done?.includes(NAME) && /Rows\s*:\s*3/.test(done), `the outcome with its counts, under the admin's name: ${done}`);
        await expectGoodPage(page, problems, 'admin-audit-import', widthName);
      } finally {
        await context.close();
      }
    });

    test('an admin follows a contract, finds it on the profile and unfollows it there', TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/scout/contracts/1', { ...options, storageState: signedIn });
      try {
        const title = (await page.locator('h1').textContent()).trim();
        const follow = page.getByRole('button', { name: 'Follow this contract' });
        if (await follow.count()) await submit(page, follow);
        await page.goto(url('/profile'));
        await settle(page);
        const row = page.locator('tbody tr').filter({ has: page.locator('a[href="/scout/contracts/1"]') });
        assert.equal(await row.count(), 1, 'the followed contract is listed');
        await expectGoodPage(page, problems, 'profile-following', widthName);
        await submit(page, row.getByRole('button', { name: /^Unfollow/ }));
        assert.equal(new URL(page.url()).pathname, '/profile');
        const said = await flashText(page);
        assert.ok(said?.startsWith('You no longer follow'), `${said} (${title})`);
        assert.equal(await page.locator('a[href="/scout/contracts/1"]').count(), 0);
        await expectGoodPage(page, problems, 'profile-unfollowed', widthName);
      } finally {
        await context.close();
      }
    });

    test('a staff member signs out and is told so; the sign-in page sends vendors to Beacon', TEST, async () => {
      const { context, page, problems } = await openPage(browser, '/sign-in', options);
      try {
        assert.match(await page.locator('h1').textContent(), /city staff/);
        const manage = page.getByRole('link', { name: 'Email me a link to manage my subscription' });
        assert.equal(await manage.getAttribute('href'), '/beacon/manage');
        await expectGoodPage(page, problems, 'sign-in-for-staff', widthName);

        const email = `e2e-leaving-${widthName}-${Date.now()}@pittsburghpa.gov`;
        await page.getByLabel('Email address').fill(email);
        await submit(page, page.getByRole('button', { name: 'Email me a sign-in link' }));
        assert.match(await page.locator('.usa-intro').textContent(), /If .* may sign in, a link is on its way/);
        const link = await linkFromOutbox(email, new Set());
        await page.goto(url(link));
        await submit(page, page.getByRole('button', { name: 'Sign in' }));

        const menu = page.locator('.usa-menu-btn');
        if (await menu.isVisible()) await menu.click();
        await submit(page, page.getByRole('button', { name: 'Sign out' }));
        assert.equal(new URL(page.url()).pathname, '/');
        assert.equal(await flashText(page), 'You are signed out.');
        await expectGoodPage(page, problems, 'signed-out', widthName);
        await page.reload();
        await settle(page);
        assert.equal(await flashText(page), null, 'once');
      } finally {
        await context.close();
      }
    });
  });
}
