// The console in a real browser (Debian's chromium, driven by playwright-core)
// against the stack `npm start` runs, which points every service's OTLP export
// at the console: the five things a user does there, each with a screenshot.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStack, type RunningStack } from './stack';

const consoleUrl = `http://127.0.0.1:${process.env['CONSOLE_PORT'] ?? '8088'}`;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const services = [
  'auth-service',
  'inventory-service',
  'order-service',
  'post-service',
  'notification-service',
  'reporting-service',
  'subscription-service',
];
/** Generous: a fresh stack on two cores delivers its first events slowly. */
const EVENTUALLY = 90_000;

const artifactDirs = [
  resolve(__dirname, '../artifacts/console'),
  ...(process.env['CONSOLE_SCREENSHOTS_DIR']
    ? [resolve(process.env['CONSOLE_SCREENSHOTS_DIR'])]
    : []),
];

async function screenshot(page: Page, name: string): Promise<void> {
  for (const dir of artifactDirs) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  }
}

/**
 * Clicks `refresh` until `selector` is on the page: for views that read once
 * (a trace, the dead letters) while what they show is still arriving. Each
 * read is let finish before the next: reading every dead-letter topic takes
 * a second or so, and a refresh cancels the read under way.
 */
async function refreshUntil(page: Page, refresh: string, selector: string, what: string) {
  const deadline = Date.now() + EVENTUALLY;
  const loading = page.locator('[data-testid="loading"]');
  for (;;) {
    await loading.waitFor({ state: 'detached', timeout: 60_000 });
    if ((await page.locator(selector).count()) > 0) return;
    if (Date.now() > deadline) throw new Error(`${what}: not on the page within ${EVENTUALLY} ms`);
    await new Promise((r) => setTimeout(r, 500));
    await page.locator(`[data-testid="${refresh}"]`).click();
    // The click re-renders at once; wait for the new read to show it is under way.
    await loading.waitFor({ state: 'attached', timeout: 2_000 }).catch(() => undefined);
  }
}

/**
 * Waits until a helper (a log-in button) has filled in the input. Polled from
 * here: the console's content security policy forbids the string evaluation
 * that page.waitForFunction would use.
 */
async function filledIn(page: Page, testid: string): Promise<string> {
  const input = page.locator(`[data-testid="${testid}"]`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await input.inputValue();
    if (value !== '') return value;
    if (Date.now() > deadline) throw new Error(`${testid} still empty after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The console starts beside the services; wait until it answers. */
async function waitForConsole(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${consoleUrl}/map`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the console did not answer at ${consoleUrl}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('the console in a browser', () => {
  let stack: RunningStack;
  let browser: Browser;
  let page: Page;
  let orderId = '';
  let traceId = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    stack = await startStack(240_000, {
      // Export within a moment, so the test waits for spans, not for a timer.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
    });
    await waitForConsole();
    browser = await chromium.launch({
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      headless: true,
      // Chromium refuses its sandbox to root, which CI runs as.
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.interrupt();
  });

  it('the system map: seven services SERVING', async () => {
    await page.goto(`${consoleUrl}/map`);
    for (const service of services) {
      await page
        .locator(`[data-testid="map-node-${service}"][data-health="SERVING"]`)
        .waitFor({ timeout: 30_000 });
    }
    expect(await page.locator('[data-testid="telemetry-traces"]').textContent()).toContain(
      'dropped',
    );
    await screenshot(page, 'map');
  });

  it('the explorer: log in as the demo user and place an order', async () => {
    await page.goto(
      `${consoleUrl}/explorer?service=switchboard.order.v1.OrderService&method=PlaceOrder`,
    );
    await page.locator('[data-testid="explorer-method-panel"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="explorer-login-demo"]').click();
    await filledIn(page, 'explorer-token');
    await page
      .locator('[data-testid="explorer-request"]')
      .fill(JSON.stringify({ items: [{ sku: 'COF-ETH-250', quantity: 1 }] }, null, 2));
    await page.locator('[data-testid="explorer-send"]').click();
    const status = page.locator('[data-testid="explorer-status"]');
    await status.waitFor({ timeout: 30_000 });
    expect(await status.getAttribute('data-code')).toBe('OK');
    const response = JSON.parse(
      (await page.locator('[data-testid="explorer-response"]').first().textContent()) ?? '{}',
    ) as { order?: { orderId?: string } };
    orderId = response.order?.orderId ?? '';
    expect(orderId).toMatch(/^[0-9a-f-]{36}$/);
    const link = page.locator('[data-testid="explorer-trace-link"]');
    traceId = ((await link.getAttribute('href')) ?? '').replace('/traces/', '');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await screenshot(page, 'explorer');
  });

  it("the order's trace: spans from order, inventory and reporting, and the wait in Kafka", async () => {
    expect(traceId).not.toBe('');
    await page.locator('[data-testid="explorer-trace-link"]').click();
    await page.waitForURL(`${consoleUrl}/traces/${traceId}`);
    // reporting-service consumes OrderPlaced after the relay published it: it comes last.
    await refreshUntil(
      page,
      'trace-refresh',
      '[data-testid="span-row"][data-service="reporting-service"][data-kind="consumer"]',
      "reporting-service's consumer span",
    );
    for (const service of ['order-service', 'inventory-service', 'reporting-service']) {
      expect(
        await page.locator(`[data-testid="span-row"][data-service="${service}"]`).count(),
      ).toBeGreaterThan(0);
    }
    expect(
      await page.locator('[data-testid="span-row"][data-kind="producer"]').count(),
    ).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="kafka-wait"]').count()).toBeGreaterThan(0);
    // A span's details: its attributes name the topic it consumed.
    await page
      .locator('[data-testid="span-row"][data-service="reporting-service"][data-kind="consumer"]')
      .first()
      .click();
    const attributes = page.locator('[data-testid="span-attributes"]');
    await attributes.waitFor();
    expect(await attributes.textContent()).toContain('sales.orders.v1');
    await screenshot(page, 'trace');

    await page.goto(`${consoleUrl}/traces?service=order-service`);
    await page.locator(`[data-testid="trace-row"]:has-text("${traceId}")`).waitFor();
    await screenshot(page, 'traces');
  });

  it("the topic sales.orders.v1: the order's event, decoded, with its trace", async () => {
    expect(orderId).not.toBe('');
    await page.goto(`${consoleUrl}/topics`);
    await page.locator('[data-testid="topic-row"][data-topic="sales.orders.v1"]').waitFor();
    await screenshot(page, 'topics');

    await page.goto(`${consoleUrl}/topics/sales.orders.v1`);
    const record = page.locator('[data-testid="tail-record"]', { hasText: orderId });
    await record.waitFor({ timeout: EVENTUALLY });
    expect(await record.locator('[data-testid="record-json"]').textContent()).toContain(orderId);
    expect(await record.locator('[data-testid="record-trace-link"]').getAttribute('href')).toBe(
      `/traces/${traceId}`,
    );
    await screenshot(page, 'topic-tail');
  });

  it('dead letters: a poison record arrives there, and the admin redrives it', async () => {
    const key = `poison-${randomBytes(4).toString('hex')}`;
    const kafka = new Kafka({ clientId: 'console-e2e', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      // Not protobuf: notification-service cannot decode it and dead-letters it.
      await producer.send({
        topic: 'social.posts.v1',
        messages: [{ key, value: Buffer.from('not protobuf') }],
      });
    } finally {
      await producer.disconnect();
    }

    await page.goto(`${consoleUrl}/dead-letters`);
    const letter = `[data-testid="dlq-topic"][data-topic="social.posts.v1.dlq"] [data-testid="dead-letter"]:has([data-testid="dead-letter-key"]:text-is("${key}"))`;
    await refreshUntil(page, 'dead-letters-refresh', letter, `the dead letter ${key}`);
    expect(await page.locator(letter).first().getAttribute('data-redriven')).toBe('false');
    await screenshot(page, 'dead-letters');

    const topic = page.locator('[data-testid="dlq-topic"][data-topic="social.posts.v1.dlq"]');
    await topic.locator('[data-testid="redrive-open"]').click();
    const dialog = page.locator('[data-testid="redrive-dialog"]');
    await dialog.waitFor();
    // Without a token the console refuses: redrive is for admins.
    await dialog.locator('[data-testid="redrive-confirm"]').click();
    await dialog.locator('[data-testid="error"]').waitFor({ timeout: 30_000 });
    expect(await dialog.locator('[data-testid="error"]').textContent()).toMatch(/UNAUTHENTICATED/);

    await dialog.locator('[data-testid="redrive-login-admin"]').click();
    await filledIn(page, 'redrive-token');
    await dialog.locator('[data-testid="redrive-confirm"]').click();
    const result = dialog.locator('[data-testid="redrive-result"]');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toMatch(/Redriven: [1-9]/);
    await screenshot(page, 'redrive');

    await dialog.locator('[data-testid="redrive-close"]').click();
    await refreshUntil(
      page,
      'dead-letters-refresh',
      letter.replace(
        '[data-testid="dead-letter"]',
        '[data-testid="dead-letter"][data-redriven="true"]',
      ),
      `the dead letter ${key} marked redriven`,
    );
  });

  it('threw no uncaught error in the page along the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
