// A local HTTP server laid out like the Hugging Face Hub (`/{owner}/{name}/resolve/{revision}/{file}`),
// on an origin of its own as huggingface.co is: the page reaches it cross-origin (CORS, a preflight
// for a token's Authorization header), through its Hub-address setting. A repo can be gated (401
// without the token, 403 with another), a repo it does not have is answered 401 as the Hub answers
// it (X-Error-Code: RepoNotFound), and a file can be held half sent until the test lets it go, so
// that what the page shows mid-download can be looked at.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface HubRepo {
  files: Record<string, Uint8Array>;
  /** The token a gated repo wants (as `Authorization: Bearer …`); none: open to all. */
  token?: string;
}

export interface HubServer {
  /** Its origin, e.g. http://127.0.0.1:40123: the page's Hub address. */
  origin: string;
  /** Every request as `METHOD /path` (preflights included), in order. */
  requests: string[];
  /** The Authorization headers received, in order. */
  authorizations: string[];
  /** Sends half of this repo file's body on its next GET and the rest when release() is called. */
  hold(repo: string, file: string): { halfSent: Promise<void>; release(): void };
  close(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization',
  'access-control-allow-methods': 'GET, HEAD',
  'access-control-expose-headers': 'x-error-code',
};

export async function startHubServer(repos: Record<string, HubRepo>): Promise<HubServer> {
  const requests: string[] = [];
  const authorizations: string[] = [];
  const holds = new Map<string, { sent: () => void; released: Promise<void> }>();

  const answer = (request: IncomingMessage, response: ServerResponse) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://hub').pathname);
    requests.push(`${request.method} ${path}`);
    if (request.method === 'OPTIONS') return response.writeHead(204, CORS).end();
    if (request.headers.authorization) authorizations.push(request.headers.authorization);
    const match = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    const repo = match ? repos[match[1]!] : undefined;
    if (!repo) return response.writeHead(401, { ...CORS, 'x-error-code': 'RepoNotFound' }).end('Repository not found');
    // The Hub's own answers: 401 for a gated repo without a token, 403 for a token without access.
    if (repo.token !== undefined && request.headers.authorization !== `Bearer ${repo.token}`) {
      return response.writeHead(request.headers.authorization ? 403 : 401, CORS).end('Access to model is restricted.');
    }
    const body = repo.files[match![2]!];
    if (!body) return response.writeHead(404, { ...CORS, 'x-error-code': 'EntryNotFound' }).end('Entry not found');
    response.writeHead(200, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) });
    if (request.method === 'HEAD') return response.end();
    const held = holds.get(path);
    if (!held) return response.end(body);
    holds.delete(path);
    const half = Math.floor(body.byteLength / 2);
    response.write(body.subarray(0, half), () => held.sent());
    void held.released.then(() => response.end(body.subarray(half)));
  };

  const server: Server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the hub server did not report a port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    authorizations,
    hold(repo, file) {
      let sent!: () => void;
      let release!: () => void;
      const halfSent = new Promise<void>((resolve) => (sent = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.set(`/${repo}/resolve/main/${file}`, { sent, released });
      return { halfSent, release };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
