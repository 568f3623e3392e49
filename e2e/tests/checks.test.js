// Tests of the checks themselves: each detector in helpers.js must catch a problem planted in a
// real page, so a passing site.test.js means "nothing found", not "nothing looked".

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectAccessible, expectNoProblems, launchBrowser, openPage } from './helpers.js';

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

async function assertEventually(condition, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
