// End-to-end tests of Procure's site pages in headless Chromium: content, keyboard use, the
// USWDS assets and scripts under the strict Content-Security-Policy, and axe-core (WCAG 2.1 A/AA).
// Run through e2e/run.sh, which starts the server and exports BASE_URL.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MOBILE, expectAccessible, expectNoProblems, launchBrowser, openPage } from './helpers.js';

const TEST = { timeout: 30_000 };

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Opens `path`, runs `fn({ page, response, problems })`, and always closes the context. */
async function onPage(path, options, fn) {
  const opened = await openPage(browser, path, options);
  try {
    return await fn(opened);
  } finally {
    await opened.context.close();
  }
}

const headingTexts = (locator) => locator.evaluateAll((els) => els.map((e) => e.textContent.trim()));

describe('home page', () => {
  test('has the title, one h1 and the three product tiles', TEST, () =>
    onPage('/', {}, async ({ page, response, problems }) => {
      const csp = response.headers()['content-security-policy'];
      assert.ok(csp, 'the page is served with an enforced Content-Security-Policy');
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.equal(response.headers()['content-security-policy-report-only'], undefined);

      assert.equal(await page.title(), 'Procure');
      assert.deepEqual(await headingTexts(page.locator('h1')), ['Procure']);
      const tiles = page.locator('ul.procure-tiles > li.usa-card');
      assert.equal(await tiles.count(), 3);
      assert.deepEqual(await headingTexts(tiles.getByRole('heading', { level: 2 })), ['Scout', 'Beacon', 'Conductor']);
      expectNoProblems(problems, 'the home page');
    }));

  test('loads the USWDS and htmx assets with 200 under the CSP, without console errors', TEST, () =>
    onPage('/', {}, async ({ page, problems }) => {
      const loaded = (suffix) => problems.responses.find((r) => new URL(r.url).pathname.endsWith(suffix));
      for (const suffix of [
        '/vendor/uswds/css/uswds.min.css',
        '/css/procure.css',
        '/vendor/uswds/js/uswds-init.min.js',
        '/vendor/uswds/js/uswds.min.js',
        '/vendor/htmx/htmx.min.js',
        '/vendor/uswds/img/usa-icons/close.svg',
      ]) {
        const r = loaded(suffix);
        assert.ok(r, `${suffix} was requested`);
        assert.equal(r.status, 200, `${suffix}: HTTP ${r.status}`);
      }
      const fonts = problems.responses.filter((r) => r.type === 'font');
      assert.ok(fonts.length > 0, 'the USWDS web fonts were requested');
      for (const f of fonts) assert.equal(f.status, 200, `${f.url}: HTTP ${f.status}`);

      // ...and they took effect: styles applied, scripts ran, fonts in use.
      const state = await page.evaluate(() => ({
        skipnavPosition: getComputedStyle(document.querySelector('.usa-skipnav')).position,
        uswds: window.uswdsPresent === true,
        htmx: typeof window.htmx === 'object' && typeof window.htmx.version === 'string',
        jsLoading: document.documentElement.classList.contains('usa-js-loading'),
        fonts: [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family),
      }));
      assert.equal(state.skipnavPosition, 'absolute', 'uswds.min.css applies');
      assert.ok(state.uswds, 'uswds.min.js ran');
      assert.ok(state.htmx, 'htmx.min.js ran');
      assert.ok(!state.jsLoading, 'uswds-init.min.js cleared usa-js-loading once USWDS loaded');
      assert.ok(state.fonts.some((f) => /Source Sans Pro Web/.test(f)), `body font loaded (loaded: ${state.fonts.join(', ')})`);
      expectNoProblems(problems, 'the home page');
    }));

  test('skip link moves keyboard focus to #main-content', TEST, () =>
    onPage('/', {}, async ({ page, problems }) => {
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => ({ cls: document.activeElement.className, text: document.activeElement.textContent.trim() }));
      assert.deepEqual(first, { cls: 'usa-skipnav', text: 'Skip to main content' }, 'the skip link is the first Tab stop');
      assert.ok(await page.locator('.usa-skipnav').isVisible(), 'the focused skip link is visible');

      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.id === 'main-content');
      assert.equal(new URL(page.url()).hash, '#main-content');
      assert.equal(await page.evaluate(() => document.activeElement.tagName), 'MAIN');
      expectNoProblems(problems, 'the home page');
    }));

  test('passes axe (WCAG 2.0/2.1 A and AA)', TEST, () =>
    onPage('/', {}, async ({ page, problems }) => {
      await expectAccessible(page, 'the home page');
      expectNoProblems(problems, 'the home page');
    }));
});

describe('about page', () => {
  test('is reachable from the "About" link in the primary navigation', TEST, () =>
    onPage('/', {}, async ({ page, problems }) => {
      const nav = page.getByRole('navigation', { name: 'Primary navigation' });
      await nav.getByRole('link', { name: 'About', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/about/');
      assert.equal(await page.title(), 'About · Procure');
      assert.deepEqual(await headingTexts(page.locator('h1')), ['About Procure']);
      expectNoProblems(problems, 'the home and about pages');
    }));

  test('passes axe', TEST, () =>
    onPage('/about/', {}, async ({ page, problems }) => {
      await expectAccessible(page, 'the about page');
      expectNoProblems(problems, 'the about page');
    }));
});

describe('404 page', () => {
  test('answers an unknown path with status 404, "Page not found" and a link home', TEST, () =>
    onPage('/no-such-page', { expectStatus: 404 }, async ({ page, response, problems }) => {
      assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
      assert.equal(await page.title(), 'Page not found · Procure');
      assert.deepEqual(await headingTexts(page.locator('h1')), ['Page not found']);
      const home = page.getByRole('main').getByRole('link', { name: 'Go to the home page' });
      assert.equal(await home.getAttribute('href'), '/');
      await home.click();
      await page.waitForURL((u) => u.pathname === '/');
      assert.deepEqual(await headingTexts(page.locator('h1')), ['Procure']);
      expectNoProblems(problems, 'the 404 page');
    }));

  test('passes axe', TEST, () =>
    onPage('/no-such-page', { expectStatus: 404 }, async ({ page, problems }) => {
      await expectAccessible(page, 'the 404 page');
      expectNoProblems(problems, 'the 404 page');
    }));
});

describe(`mobile viewport (${MOBILE.width}×${MOBILE.height})`, () => {
  const mobile = { viewport: MOBILE, isMobile: true, hasTouch: true };

  test('the menu button opens and closes the USWDS navigation (USWDS JS runs under the CSP)', TEST, () =>
    onPage('/', mobile, async ({ page, problems }) => {
      const menu = page.locator('.usa-menu-btn');
      const nav = page.locator('.usa-nav');
      const focused = () => page.evaluate(() => document.activeElement.className);

      const width = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(width[0] <= width[1], `no horizontal scrolling at ${MOBILE.width}px wide (scrollWidth ${width[0]} > ${width[1]})`);
      assert.ok(await menu.isVisible(), 'the Menu button shows on a narrow screen');
      assert.ok(await nav.isHidden(), 'the navigation starts closed');

      await menu.click();
      await nav.waitFor({ state: 'visible' });
      assert.ok(await nav.getByRole('link', { name: 'About', exact: true }).isVisible());
      assert.equal(await focused(), 'usa-nav__close', 'opening moves focus to the close button');

      await page.locator('.usa-nav__close').click();
      await nav.waitFor({ state: 'hidden' });
      assert.equal(await focused(), 'usa-menu-btn', 'closing returns focus to the Menu button');

      await menu.click();
      await nav.waitFor({ state: 'visible' });
      await page.keyboard.press('Escape');
      await nav.waitFor({ state: 'hidden' });

      // Tapping the dimmed page beside the open menu closes it (the .usa-overlay).
      await menu.click();
      await nav.waitFor({ state: 'visible' });
      await page.mouse.click(20, MOBILE.height / 2);
      await nav.waitFor({ state: 'hidden' });
      expectNoProblems(problems, 'the home page on a phone');
    }));

  test('passes axe with the menu closed', TEST, () =>
    onPage('/', mobile, async ({ page, problems }) => {
      await expectAccessible(page, 'the home page on a phone');
      expectNoProblems(problems, 'the home page on a phone');
    }));

  // USWDS's navigation script treats the open menu as a modal: it marks the rest of the page
  // aria-hidden="true" and traps focus in the menu, while the skip link, the logo link and the
  // Menu button stay focusable. That is only sound when the page is covered by .usa-overlay
  // (which also closes the menu when tapped); without it axe reports aria-hidden-focus.
  test('passes axe with the menu open', TEST, () =>
    onPage('/', mobile, async ({ page, problems }) => {
      await page.locator('.usa-menu-btn').click();
      await page.locator('.usa-nav').waitFor({ state: 'visible' });
      assert.ok(await page.locator('.usa-overlay').isVisible(), 'the page behind the open menu is covered by .usa-overlay');
      await expectAccessible(page, 'the home page on a phone, menu open');
      expectNoProblems(problems, 'the home page on a phone, menu open');
    }));
});
