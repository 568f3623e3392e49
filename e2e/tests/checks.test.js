// Tests of the checks themselves: each detector in helpers.js must catch a problem planted in a
// real page, so a passing site.test.js means "nothing found", not "nothing looked".

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MOBILE, expectAccessible, expectFitsWidth, expectNoProblems, launchBrowser, openPage } from './helpers.js';

const TEST = { timeout: 30_000 };

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function onHome(fn) {
  const opened = await openPage(browser, '/');
  try {
    expectNoProblems(opened.problems, 'the home page before planting anything');
    return await fn(opened);
  } finally {
    await opened.context.close();
  }
}

describe('the checks catch planted problems', () => {
  test('a CSP violation (inline script, inline style, foreign image)', TEST, () =>
    onHome(async ({ page, problems }) => {
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true;';
        document.head.append(script);
        const div = document.createElement('div');
        div.setAttribute('style', 'color: red');
        document.body.append(div);
        const img = document.createElement('img');
        img.alt = '';
        img.src = 'https://example.invalid/pixel.png';
        document.body.append(img);
      });
      await assertEventually(() => problems.cspViolations.length >= 3);
      assert.equal(await page.evaluate(() => window.__inlineRan), undefined, 'the inline script was blocked');
      const directives = problems.cspViolations.map((v) => v.effectiveDirective).sort();
      assert.deepEqual(directives, ['img-src', 'script-src-elem', 'style-src-attr']);
      assert.throws(() => expectNoProblems(problems, 'planted'), /CSP violations:[\s\S]*script-src-elem/);
    }));

  test('a failed subresource load and a page error', TEST, () =>
    onHome(async ({ page, problems }) => {
      await page.evaluate(() => {
        const img = document.createElement('img');
        img.alt = '';
        img.src = '/assets/no-such-image.png';
        document.body.append(img);
        setTimeout(() => {
          throw new Error('planted page error');
        });
      });
      await assertEventually(() => problems.failedRequests.length > 0 && problems.pageErrors.length > 0);
      assert.throws(
        () => expectNoProblems(problems, 'planted'),
        (err) => /no-such-image\.png.*HTTP 404/.test(err.message) && /planted page error/.test(err.message),
      );
    }));

  test('an accessibility violation, listed with id, impact, help and target', TEST, () =>
    onHome(async ({ page }) => {
      await page.evaluate(() => {
        const img = document.createElement('img');
        img.id = 'planted-image';
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main').append(img);
      });
      await assert.rejects(
        () => expectAccessible(page, 'planted'),
        (err) => /image-alt \[critical\]: Images must have alternative text/.test(err.message) && /#planted-image/.test(err.message),
      );
    }));
});

describe('the width check', () => {
  test('catches a page wider than a phone, and lets a scrolling table box pass', TEST, async () => {
    const opened = await openPage(browser, '/', { viewport: MOBILE, isMobile: true, hasTouch: true });
    try {
      const { page } = opened;
      await expectFitsWidth(page, 'the home page on a phone');
      // Styles set through the DOM, which the CSP allows (style attributes in markup it blocks).
      await page.evaluate(() => {
        const box = document.createElement('div');
        box.className = 'usa-table-container--scrollable';
        const cell = document.createElement('div');
        cell.textContent = 'wide, in its box';
        cell.style.width = '900px';
        box.append(cell);
        document.querySelector('main').append(box);
      });
      await expectFitsWidth(page, 'a wide table in a scrolling box');
      await page.evaluate(() => {
        const wide = document.createElement('table');
        wide.id = 'planted-wide-table';
        const cell = wide.insertRow().insertCell();
        cell.style.minWidth = '700px';
        cell.textContent = 'wide';
        document.querySelector('main').append(wide);
      });
      await assert.rejects(() => expectFitsWidth(page, 'planted'), /planted is \d+ px wide in a 390 px viewport; sticking out: .*table#planted-wide-table/);
    } finally {
      await opened.context.close();
    }
  });
});

async function assertEventually(condition, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
