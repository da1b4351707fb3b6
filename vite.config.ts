import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Origins the server lets the page fetch from besides itself and the Hub: LAB_HUB_ORIGINS, a
 * space-separated list (a Hub mirror a deployment chooses; the e2e tests' local server laid out
 * like the Hub). Read when the server starts, so the page's Hub-address setting can never widen
 * the policy itself; unset, nothing is added.
 */
function extraHubOrigins(): string[] {
  const listed = (process.env.LAB_HUB_ORIGINS ?? '').split(/\s+/).filter(Boolean);
  for (const entry of listed) {
    let origin = '';
    try {
      origin = new URL(entry).origin;
    } catch {
      // not a URL: refused below
    }
    if (origin !== entry) throw new Error(`LAB_HUB_ORIGINS: "${entry}" is not an origin (scheme://host[:port], no path), e.g. http://127.0.0.1:8080`);
  }
  return listed;
}

// The page talks to nothing but itself, except a Hugging Face model fetch the user asks for.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  ["connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co", ...extraHubOrigins()].join(' '),
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export default defineConfig({
  plugins: [react()],
  build: { target: 'es2022', outDir: 'dist' },
  worker: { format: 'es' },
  preview: {
    host: '127.0.0.1',
    port: Number(process.env.PORT ?? 4173),
    strictPort: true,
    headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY },
  },
});
