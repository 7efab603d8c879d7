import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launch Debian's Chromium headless. One per test file; contexts are the "users". */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}. Install it (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface User {
  context: BrowserContext;
  page: Page;
  name: string;
  clientId: string;
}

/**
 * A new browser profile (context) with a stored identity, so the name prompt is skipped. Pass
 * `name: null` to see the prompt as a first-time visitor would.
 */
export async function newUser(
  browser: Browser,
  baseUrl: string,
  options: { name: string | null; clientId?: string; colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } },
): Promise<User> {
  const clientId = options.clientId ?? `e2e_${Math.random().toString(36).slice(2, 12)}`;
  const context = await browser.newContext({
    baseURL: baseUrl,
    colorScheme: options.colorScheme ?? 'light',
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
  if (options.name !== null) {
    await context.addInitScript(
      ([id, name]) => {
        if (!localStorage.getItem('tandem.identity')) {
          localStorage.setItem('tandem.identity', JSON.stringify({ clientId: id, displayName: name }));
        }
      },
      [clientId, options.name] as const,
    );
  }
  const page = await context.newPage();
  return { context, page, name: options.name ?? '', clientId };
}

/** Open a workspace and wait until the editor holds the open file's text. */
export async function openWorkspace(page: Page, workspaceId: string, fileId?: string): Promise<void> {
  await page.goto(`/w/${workspaceId}${fileId ? `?file=${fileId}` : ''}`);
  await waitForEditor(page);
}

export async function waitForEditor(page: Page): Promise<void> {
  await page.locator('[data-testid="editor"][data-state="ready"]').waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => window.__tandem?.getText() != null);
}

/** The open file's text, read from Monaco's model (its DOM only renders visible lines). */
export function editorText(page: Page, fileName?: string): Promise<string | null> {
  return page.evaluate((name) => window.__tandem?.getText(name) ?? null, fileName);
}

export async function connectionState(page: Page): Promise<{ status: string; unsent: number }> {
  const el = page.getByTestId('connection-status');
  return {
    status: (await el.getAttribute('data-status')) ?? '',
    unsent: Number(await el.getAttribute('data-unsent')),
  };
}

/** Put the caret at the very end (or start) of the document and focus the editor. */
export async function placeCaret(page: Page, where: 'start' | 'end'): Promise<void> {
  await page.locator('[data-testid="editor"] .view-lines').click();
  await page.keyboard.press(where === 'end' ? 'Control+End' : 'Control+Home');
}

/**
 * Names on the peer carets the editor currently renders. The binding draws a label as the
 * `::after` of a `.tandem-label` decoration, so the name lives in computed CSS, not in DOM text.
 */
export function cursorLabels(page: Page): Promise<string[]> {
  return page.locator('[data-testid="editor"] .tandem-label').evaluateAll((elements) =>
    elements
      .filter((el) => el.getBoundingClientRect().height > 0)
      .map((el) => getComputedStyle(el, '::after').content)
      .filter((content) => content && content !== 'none')
      .map((content) => JSON.parse(content) as string),
  );
}

/** Poll `read` until `accept` holds; on timeout fail with the last value, which says why. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

declare global {
  interface Window {
    __tandem?: {
      client: unknown;
      getText(fileName?: string): string | null;
      openFileName(): string | null;
      peers(): Array<{ name: string; color: string; fileName: string | null }>;
    };
  }
}
