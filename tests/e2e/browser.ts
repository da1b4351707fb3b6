// Headless Debian Chromium, driven by Playwright, against the production build served by
// `vite preview` on localhost (a secure context, so navigator.gpu exists on SwiftShader).
// Playwright gives every launch a fresh, empty profile of its own.
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Rows of the demo data the page loads on first open: its train and held-out files together. */
export const DEMO_ROWS = ['public/datasets/demo-train.jsonl', 'public/datasets/demo-eval.jsonl']
  .map((file) => readFileSync(file, 'utf8').trim().split('\n').length)
  .reduce((a, b) => a + b, 0);

export interface Lab {
  browser: Browser;
  page: Page;
  url: string;
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * webgpu: false launches Chromium without WebGPU, as a browser that lacks it would open the lab.
 * hubOrigins: origins the page's Content-Security-Policy lets it fetch from besides the Hub (a
 * test's local server laid out like the Hub), through vite.config.ts's LAB_HUB_ORIGINS.
 */
export async function openLab({ webgpu = true, hubOrigins = [] }: { webgpu?: boolean; hubOrigins?: string[] } = {}): Promise<Lab> {
  const before = process.env.LAB_HUB_ORIGINS;
  if (hubOrigins.length > 0) process.env.LAB_HUB_ORIGINS = hubOrigins.join(' ');
  let server: PreviewServer;
  try {
    // LAB_DIST: another build's folder, so a test can run against its own build while the shared dist/ is rebuilt.
    server = await preview({
      build: { outDir: process.env.LAB_DIST ?? 'dist' },
      preview: { port: 0, strictPort: false, host: '127.0.0.1' },
      logLevel: 'silent',
    });
  } finally {
    if (before === undefined) delete process.env.LAB_HUB_ORIGINS;
    else process.env.LAB_HUB_ORIGINS = before;
  }
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview did not report a port');
  const url = `http://localhost:${address.port}/`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader'] : ['--disable-gpu', '--disable-features=WebGPU']),
    ],
  });
  // A context of its own (rather than browser.newPage's), so that a test can close the tab and open
  // another on the same profile: its IndexedDB survives, the page and its worker do not.
  const page = await (await browser.newContext()).newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return {
    browser,
    page,
    url,
    consoleErrors,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
