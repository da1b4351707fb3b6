// Model files fetched over HTTP from a base URL: the demo model the page serves itself
// (/models/demo/), or a Hugging Face repo the user typed (hubSource). One module for both, so
// every fetch the lab makes goes through here; messages name the label, not the URL.
import { ModelAccessError, ModelFetchError, ModelFileError, type ModelFileSource } from './files.ts';

export interface UrlSourceOptions {
  /** The way out of a 401/403 answer (a gated or private hub model), which may depend on the answer's headers. */
  forbiddenHint?: (response: Response) => string;
  /** The way out of a 404 answer (which names the file already). */
  notFoundHint?: string;
  /** Sent with every request: a hub access token's Authorization header. */
  headers?: Record<string, string>;
  /**
   * Bytes received so far of the file being read, for a progress bar: called with 0 when the
   * answer's headers arrive, after every chunk, and once more when the file is complete (then
   * with total = received, whatever the Content-Length said). total is null when unknown.
   */
  onBytes?: (name: string, received: number, total: number | null) => void;
  fetchFn?: typeof fetch;
}

/**
 * A static server that falls back to the app's index.html (vite preview, most SPA hosts) answers
 * 200 for a file it does not have: a web page where a model file was asked for means "missing".
 */
function isFallbackPage(response: Response, name: string): boolean {
  return (response.headers.get('content-type') ?? '').includes('text/html') && !name.endsWith('.html');
}

/** A source reading `${baseUrl}${name}`; baseUrl ends with "/" or is given one. */
export function urlSource(baseUrl: string, label: string, options: UrlSourceOptions = {}): ModelFileSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const fetchFn = options.fetchFn ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const init: RequestInit = options.headers ? { headers: options.headers } : {};
  const url = (name: string) => `${base}${name.split('/').map(encodeURIComponent).join('/')}`;
  return {
    label,
    async has(name) {
      try {
        const response = await fetchFn(url(name), { method: 'HEAD', ...init });
        // Chromium cancels a request whose response body is never read when the Response is
        // dropped, even a HEAD's empty one: reading it ends the request instead of aborting it.
        await response.arrayBuffer();
        return response.ok && !isFallbackPage(response, name);
      } catch {
        return false;
      }
    },
    async read(name) {
      let response: Response;
      try {
        response = await fetchFn(url(name), init);
      } catch (error) {
        throw new ModelFetchError(`${label}/${name} could not be fetched (${String(error)}): check the connection, or download the folder and drop it in`);
      }
      if (response.ok && isFallbackPage(response, name)) throw new ModelFileError(`${label}/${name} is missing: the server has no such file`);
      if (response.status === 401 || response.status === 403) {
        throw new ModelAccessError(`${label}/${name}: the server answered ${response.status}, access refused${options.forbiddenHint ? `: ${options.forbiddenHint(response)}` : ''}`);
      }
      if (response.status === 404) {
        throw new ModelFileError(`${label}/${name} is not there (the server answered 404)${options.notFoundHint ? `: ${options.notFoundHint}` : ''}`);
      }
      if (!response.ok) throw new ModelFileError(`${label}/${name}: the server answered ${response.status}`);
      const header = response.headers.get('content-length');
      const total = header === null || !Number.isFinite(Number(header)) ? null : Number(header);
      if (!options.onBytes || !response.body) return new Uint8Array(await response.arrayBuffer());
      options.onBytes(name, 0, total);
      const reader = response.body.getReader();
      // Written in place into one buffer of the Content-Length, so a 1 GB shard takes 1 GB while
      // it arrives, not its chunks and then their copy; grown if the answer is longer (a length
      // that counted compressed bytes) or the server gave none.
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(total ?? 2 ** 20);
      } catch {
        throw new ModelFileError(`${label}/${name} is ${total} bytes, more than this tab can hold: a smaller model, or the lab's command line, can take it`);
      }
      let received = 0;
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new ModelFetchError(`${label}/${name} broke off after ${received} of ${total ?? 'an unknown number of'} bytes (${String(error)}): check the connection and try again`);
        }
        if (chunk.done) break;
        if (received + chunk.value.byteLength > bytes.byteLength) {
          const grown = new Uint8Array(Math.max(2 * bytes.byteLength, received + chunk.value.byteLength));
          grown.set(bytes.subarray(0, received));
          bytes = grown;
        }
        bytes.set(chunk.value, received);
        received += chunk.value.byteLength;
        options.onBytes(name, received, total);
      }
      options.onBytes(name, received, received);
      return received === bytes.byteLength ? bytes : bytes.slice(0, received);
    },
  };
}
