// Which WebGPU adapter headless Chromium gives a page, with its Vulkan loader pointed at each CPU
// driver this machine has (VK_ICD_FILENAMES) and the Vulkan flags that might make it use one:
//   npx tsx scripts/chromium-webgpu-adapter.ts
// It prints one line per try: the driver asked for, the flags, and the adapter the page saw.
// (Debian's chromium 156 gave SwiftShader every time, lavapipe asked for or not: README, Tests.)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { lavapipeIcd, SWIFTSHADER_ICD } from '../src/gpu/nodeDevice.ts';
import { CHROMIUM } from '../tests/e2e/browser.ts';

const BASE_FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-unsafe-webgpu'];
const FLAG_SETS = [
  ['--enable-features=Vulkan', '--use-angle=swiftshader'],
  ['--enable-features=Vulkan', '--use-vulkan=native', '--ignore-gpu-blocklist'],
  ['--enable-features=Vulkan,DefaultANGLEVulkan,VulkanFromANGLE', '--use-angle=vulkan', '--ignore-gpu-blocklist'],
  ['--enable-features=Vulkan', '--use-webgpu-adapter=default', '--ignore-gpu-blocklist'],
];

const server = createServer((_, response) => response.end('<!doctype html><title>adapter</title>')).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://localhost:${(server.address() as AddressInfo).port}/`;

for (const icd of [lavapipeIcd(), SWIFTSHADER_ICD]) {
  if (icd === null) continue;
  for (const flags of FLAG_SETS) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, env: { ...process.env, VK_ICD_FILENAMES: icd }, args: [...BASE_FLAGS, ...flags] });
    const page = await browser.newPage();
    await page.goto(url);
    const seen = await page.evaluate(async () => {
      const adapter = await navigator.gpu?.requestAdapter();
      return adapter ? `${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`.trim() : 'no adapter';
    });
    console.log(`VK_ICD_FILENAMES=${icd} ${flags.join(' ')}\n  -> ${seen}`);
    await browser.close();
  }
}
server.close();
