// A tour of the site's main pages, as a visitor and as an administrator, at a desktop width and
// at a phone's (390 px): each page loads without errors, passes axe, fits its width (nothing
// makes the whole page scroll sideways), and leaves a screenshot in the artifacts folder
// (run.sh's ARTIFACTS_DIR) for a person to look at after the run.
//
// Add a page here when you add one; journeys with forms have their own tests.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WIDTHS, expectGoodPage, launchBrowser, openPage, signInWithLink } from './helpers.js';

const TEST = { timeout: 120_000 };

/** Pages anyone may see: [screenshot name, path]. */
const PUBLIC = [
  ['home', '/'],
  ['about', '/about/'],
  ['scout-home', '/scout/'],
  ['scout-results', '/scout/search?q=protective+gear&expired=on'],
  ['scout-contract', '/scout/contracts/1'],
  ['scout-company', '/scout/companies/1'],
  // The Department of Public Works (13th of the seeded departments), whose staff the demo has
  // following contracts.
  ['scout-department', '/scout/departments/13'],
  ['scout-feedback', '/scout/feedback?q=zeppelin+mooring+masts'],
  ['beacon-home', '/beacon/'],
  ['beacon-closed', '/beacon/opportunities/closed'],
  ['beacon-sign-up', '/beacon/sign-up'],
  ['beacon-vendor-information', '/beacon/vendors'],
  ['beacon-manage-link', '/beacon/manage'],
  ['accessibility', '/accessibility/'],
  ['api-docs', '/api/docs'],
  ['sign-in', '/sign-in'],
];

/** Pages for a signed-in administrator. */
const SIGNED_IN = [
  ['profile', '/profile'],
  ['admin-home', '/admin/'],
  ['admin-contracts', '/admin/contracts/'],
  ['admin-departments', '/admin/departments/'],
  ['admin-users', '/admin/users/'],
  ['admin-audit', '/admin/audit/'],
  ['admin-imports', '/admin/imports/'],
  ['admin-contract-notes', '/admin/contract-notes/'],
  ['admin-feedback', '/admin/feedback/'],
  ['beacon-staff', '/beacon/admin/'],
  ['beacon-draft-form', '/beacon/admin/new'],
  ['conductor-in-progress', '/conductor/?who=all'],
  ['conductor-all-contracts', '/conductor/?tab=all'],
  ['conductor-set-aside', '/conductor/?tab=aside'],
  ['conductor-new-work', '/conductor/new'],
];

let browser;
let signedIn;
before(async () => {
  browser = await launchBrowser();
  // A superadmin of the tour's own (run.sh), signed in once; each page opens with its cookies.
  signedIn = await signInWithLink(browser, process.env.TOUR_LINK);
});
after(async () => {
  await browser?.close();
});

/** Visits every page at both widths, and fails at the end listing every page that failed. */
async function tour(pages, storageState) {
  const failures = [];
  for (const [widthName, options] of WIDTHS) {
    for (const [name, path] of pages) {
      const opened = await openPage(browser, path, { ...options, storageState });
      try {
        const landed = new URL(opened.page.url());
        assert.equal(landed.pathname + landed.search, path, `${name} was not redirected (to sign in, say)`);
        await expectGoodPage(opened.page, opened.problems, name, widthName);
      } catch (e) {
        failures.push(`${name} (${widthName}, ${path}): ${e.message}`);
      } finally {
        await opened.context.close();
      }
    }
  }
  if (failures.length > 0) assert.fail(`${failures.length} page(s) failed:\n${failures.join('\n')}`);
}

describe('a tour of the main pages at 1280 and 390 px', () => {
  test('as a visitor', TEST, () => tour(PUBLIC));
  test('as an administrator', TEST, () => tour(SIGNED_IN, signedIn));
});
