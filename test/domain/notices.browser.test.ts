import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/adapters/noticeTemplates.js';
import { buildDigests } from '../../src/domain/notices/digest.js';
import { buildFinopsSummary } from '../../src/domain/notices/finops.js';
import { renderDigest } from '../../src/domain/notices/render.js';
import { costFor, item, NOW, record } from './notices.fixtures.js';

/** The owner digest's HTML part in Debian's headless Chromium: long values wrap, nothing overflows, at phone and desktop widths. */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-output/notices/', import.meta.url));
declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };

const LONG_NAME = 'pg-orders-production-weu-restore-for-incident-inc-4711-comparison-of-ledger-rows-2026';
const LONG_RG = 'rg-orders-production-westeurope-restores-for-incidents-and-migration-rehearsals';

describe('owner digest and FinOps summary HTML in Chromium', () => {
  let browser: Browser;
  const templates = loadTemplates(new URL('../../templates', import.meta.url).pathname);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('long server ids, rule names and tag values wrap at 390 and 1200 px: no horizontal scrolling', async () => {
    const long = record(LONG_NAME, {
      resourceGroup: LONG_RG,
      tags: {
        Owner: 'ana@contoso.com',
        ExpiresOn: '2026-11-27',
        Incident: 'INC-4711-'.repeat(12),
        Purpose: 'compare-ledger-rows-against-production-'.repeat(4),
      },
      violations: [
        {
          rule: 'network-firewall',
          detail: `firewall rule "${'AllowEveryOfficeAndVpnRange'.repeat(4)}" opens 0.0.0.0-255.255.255.255 (4294967296 addresses), and no range is allowed`,
        },
      ],
    });
    const held = record(`${LONG_NAME}-held`, {
      state: 'held',
      tags: {
        Owner: 'ana@contoso.com',
        ExpiresOn: '2026-11-27',
        LegalHold: 'litigation-case-88-keep-until-court-decides-'.repeat(3),
      },
    });
    const [digest] = buildDigests([item(long, { stage: 'noncompliant' }), item(held, { stage: 'new-clone' })], {
      now: NOW,
    });
    const mail = renderDigest(digest!, await templates);

    const page = await browser.newPage();
    for (const width of [390, 1200]) {
      await page.setViewportSize({ width, height: 900 });
      await page.setContent(mail.html);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      await page.screenshot({ path: `${SHOTS}owner-digest-${width}.png`, fullPage: true });
      expect(overflow, `${width} px`).toBeLessThanOrEqual(0);
    }
    await page.close();
  });

  it('the FinOps summary tables fit a phone: no horizontal scrolling at 390 px', async () => {
    const records = [1, 2, 3].map((n) =>
      record(`${LONG_NAME}-${n}`, {
        resourceGroup: LONG_RG,
        owner: `a-very-long-owner-mailbox-name-${n}@contoso-subsidiary.example.com`,
        expiresOn: '2026-11-20T00:00:00Z',
      }),
    );
    const mail = buildFinopsSummary(records, new Map(records.map((r) => [r.key, costFor(r)])), NOW, {
      templates: await templates,
      maxLifetimeDays: 30,
      graceDays: 2,
      legalHoldTagKey: 'LegalHold',
    });
    const page = await browser.newPage();
    for (const width of [390, 1200]) {
      await page.setViewportSize({ width, height: 900 });
      await page.setContent(mail.html);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      await page.screenshot({ path: `${SHOTS}finops-summary-${width}.png`, fullPage: true });
      expect(overflow, `${width} px`).toBeLessThanOrEqual(0);
    }
    await page.close();
  });
});
