/**
 * The benchmark's retry of a sample on a transient socket error, against a
 * real loopback server that resets or never answers its first connections.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { isTransientSocketError, retryTransient, SAMPLE_ATTEMPTS } from '../../bench/transient';

/** A server that treats its first `bad` connections with `misbehave`, then answers 200 `{}`. */
interface FlakyServer { readonly url: string; connections(): number; close(): Promise<void> }

async function flakyServer(bad: number, misbehave: (socket: net.Socket) => void): Promise<FlakyServer> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (connections <= bad) {
      misbehave(socket);
      return;
    }
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    connections: () => connections,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** One sample: a GET that fails on anything but 200; a socket idle for `timeoutMs` fails as the SDK's request timeout does. */
function get(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`Connection timed out after ${timeoutMs} ms`), { name: 'TimeoutError' })));
    req.on('error', reject);
  });
}

const reset = (s: net.Socket) => s.once('data', () => s.resetAndDestroy());
const hangUp = (s: net.Socket) => s.once('data', () => s.destroy());

describe('retryTransient', () => {
  test.each([
    ['a connection reset (ECONNRESET)', reset],
    ['a socket hang up', hangUp],
  ])('measures the sample again after %s, and gets it', async (_what, misbehave) => {
    const server = await flakyServer(2, misbehave);
    try {
      const errors: unknown[] = [];
      const body = await retryTransient(() => get(server.url), { onRetry: (_attempt, e) => errors.push(e) });
      expect(body).toBe('{}');
      expect(server.connections()).toBe(3);
      expect(errors).toHaveLength(2);
      expect(errors.every(isTransientSocketError)).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('a server that never answers: the sample times out (TimeoutError, as the SDK names it) and is tried again', async () => {
    const server = await flakyServer(1, () => undefined);
    try {
      const names: string[] = [];
      const body = await retryTransient(() => get(server.url, 300), { onRetry: (_a, e) => names.push((e as Error).name) });
      expect(body).toBe('{}');
      expect(names).toEqual(['TimeoutError']);
      expect(server.connections()).toBe(2);
    } finally {
      await server.close();
    }
  });

  test('gives up after a bounded number of attempts, with the socket error', async () => {
    const server = await flakyServer(Number.MAX_SAFE_INTEGER, reset);
    try {
      const failed = await retryTransient(() => get(server.url)).then(() => undefined, (e: unknown) => e);
      expect(isTransientSocketError(failed)).toBe(true);
      expect((failed as { code?: string }).code).toBe('ECONNRESET');
      expect(server.connections()).toBe(SAMPLE_ATTEMPTS);
    } finally {
      await server.close();
    }
  });

  test('any other error is a measurement error: not retried', async () => {
    let calls = 0;
    const server = http.createServer((_req, res) => { calls += 1; res.writeHead(500).end(); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      await expect(retryTransient(() => get(url))).rejects.toThrow('status 500');
      expect(calls).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('recognises the socket error in a wrapped cause (as the SDK reports some)', () => {
    const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isTransientSocketError(new Error('the request failed', { cause }))).toBe(true);
    expect(isTransientSocketError(new Error('NotFoundException'))).toBe(false);
    expect(isTransientSocketError(undefined)).toBe(false);
  });
});
