import { describe, expect, it } from 'vitest';
import { loadFailureRecovery, ModelAccessError, ModelFetchError, ModelFileError } from '../../src/model/files.ts';
import { urlSource } from '../../src/model/urlSource.ts';

/** A fake server: known files by URL, and the SPA fallback page for anything else. */
function server(files: Record<string, string>, fallbackPage = true): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const body = files[String(input)];
    if (body !== undefined) return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    return fallbackPage ? new Response('<!doctype html><html></html>', { status: 200, headers: { 'content-type': 'text/html' } }) : new Response('no', { status: 404 });
  }) as typeof fetch;
}

describe('urlSource', () => {
  it('reads files under its base URL', async () => {
    const source = urlSource('/models/demo', 'demo model', { fetchFn: server({ '/models/demo/config.json': '{"a":1}' }) });
    expect(new TextDecoder().decode(await source.read('config.json'))).toBe('{"a":1}');
    expect(await source.has('config.json')).toBe(true);
  });

  it('treats an HTML fallback page as a missing file, and names a server error', async () => {
    const spa = urlSource('/models/demo/', 'demo model', { fetchFn: server({}) });
    expect(await spa.has('config.json')).toBe(false);
    await expect(spa.read('config.json')).rejects.toThrow('demo model/config.json is missing: the server has no such file');
    const strict = urlSource('https://example.org/x/', 'x', { fetchFn: server({}, false) });
    await expect(strict.read('model.safetensors')).rejects.toThrow('x/model.safetensors is not there (the server answered 404)');
  });

  it('tells a network failure from a file problem, and a failed load says which way out to take', async () => {
    const offline = urlSource('https://huggingface.co/org/model/resolve/main/', 'org/model', {
      fetchFn: (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch,
    });
    const error = await offline.read('config.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFetchError);
    expect(loadFailureRecovery(error, 'demo model')).toBe(
      'Still loaded: demo model. Check the network connection and try again, or download the model and drop its folder in.',
    );
    expect(loadFailureRecovery(new ModelFileError('x has no config.json'), 'demo model')).toMatch(/^Still loaded: demo model\. Check the files/);
    expect(loadFailureRecovery(new ModelAccessError('x/config.json: the server answered 401'), 'demo model')).toMatch(/^Still loaded: demo model\. Check the repo id; for a gated model accept the licence on its Hub page, paste an access token/);
    expect(loadFailureRecovery(new Error('device lost'), 'demo model')).toBe('Still loaded: demo model. Try again.');
    expect(loadFailureRecovery(error, null)).toBe('Drop a Hugging Face model folder, type a repo id, or import a checkpoint zip.');
  });

  it("reports each file's bytes against its Content-Length: 0 at the headers, every chunk, and the whole at the end", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(3));
        controller.enqueue(new Uint8Array(5));
        controller.close();
      },
    });
    const fetchFn = (async () => new Response(body, { status: 200, headers: { 'content-length': '8' } })) as typeof fetch;
    const seen: [string, number, number | null][] = [];
    const source = urlSource('https://example.org/m/', 'm', { fetchFn, onBytes: (name, received, total) => seen.push([name, received, total]) });
    expect((await source.read('model.safetensors')).byteLength).toBe(8);
    expect(seen).toEqual([
      ['model.safetensors', 0, 8],
      ['model.safetensors', 3, 8],
      ['model.safetensors', 8, 8],
      ['model.safetensors', 8, 8],
    ]);
  });

  it('blames the network for a download that breaks off, saying how far it got', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new Uint8Array(4));
        else controller.error(new TypeError('network error'));
      },
    });
    const fetchFn = (async () => new Response(body, { status: 200, headers: { 'content-length': '10' } })) as typeof fetch;
    const error = await urlSource('https://example.org/m/', 'm', { fetchFn, onBytes: () => {} })
      .read('model.safetensors')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFetchError);
    expect(String(error)).toContain('m/model.safetensors broke off after 4 of 10 bytes');
  });

  it('returns every byte in order whatever the Content-Length says: exact, too short (a compressed length), or none', async () => {
    const body = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 251);
    const answer = (length: string | null) =>
      (async () => {
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let at = 0; at < body.length; at += 700) controller.enqueue(body.slice(at, at + 700));
            controller.close();
          },
        });
        return new Response(stream, { status: 200, headers: length === null ? {} : { 'content-length': length } });
      }) as typeof fetch;
    for (const length of ['3000', '1000', null]) {
      const totals: (number | null)[] = [];
      const source = urlSource('https://example.org/m/', 'm', { fetchFn: answer(length), onBytes: (_name, _received, total) => totals.push(total) });
      expect(await source.read('model.safetensors')).toEqual(body);
      expect(totals.at(0)).toBe(length === null ? null : Number(length));
      expect(totals.at(-1)).toBe(3000);
    }
  });
});
