// The service's HTTP side, on Node's http module: routes, bounds (body size, the bytes of all
// bodies in flight, the queue of requests waiting for the model, header and request timeouts),
// JSON errors, metrics, and a drain for shutdown. Request bodies go to the model worker as bytes:
// this thread parses no request JSON and runs no model, so /health answers while the model works.
import http from 'node:http';
import type { Socket } from 'node:net';
import { MODEL_ROUTES, errorReply, type ModelRoute, type Reply } from './engine.js';
import type { Metrics } from './metrics.js';
import type { ModelWorker } from './model-worker.js';

/** Bounds of the HTTP side. */
export interface HttpLimits {
  /** Bytes of one request body (larger: 413, chunked bodies too). */
  maxBodyBytes: number;
  /** Bytes of all request bodies being received or waiting for the model (beyond: 503). */
  bodyBudgetBytes: number;
  /** Requests waiting for the model (beyond: 503 with Retry-After). */
  maxQueue: number;
  /** A client must send its headers within this, ms (else the connection is dropped). */
  headersTimeoutMs: number;
  /** A client must send its whole request within this, ms (else 408 and the connection is dropped). */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: number;
}

export interface Log {
  (level: 'info' | 'error', event: string, fields?: Record<string, unknown>): void;
}

/** How long a rejected upload may go on being read (and thrown away) so that its reply reaches the client, ms. */
const LINGER_MS = 2000;

const GET_ROUTES = ['health', 'info', 'metrics'] as const;

export interface HttpService {
  server: http.Server;
  /** Stops taking requests, answers those in flight, closes idle connections; resolves when all are answered (or after timeoutMs). */
  drain(timeoutMs: number): Promise<{ answered: boolean }>;
  readonly draining: boolean;
}

export function createHttpService(worker: ModelWorker, limits: HttpLimits, metrics: Metrics, log: Log, version: string): HttpService {
  let bodyBytes = 0;
  let draining = false;
  let active = 0; // requests received and not yet answered
  let onIdle: (() => void) | null = null;
  const sockets = new Set<Socket>();
  metrics.gauges.bodyBytes = () => bodyBytes;
  metrics.gauges.connections = () => sockets.size;
  metrics.gauges.queueDepth = () => worker.depth;

  const server = http.createServer({
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    maxHeaderSize: 16 * 1024,
  }, (req, res) => {
    active++;
    const t0 = performance.now();
    const path = (req.url ?? '/').split('?', 1)[0];
    const name = path.startsWith('/') ? path.slice(1) : path;
    const known = (MODEL_ROUTES as readonly string[]).includes(name) || (GET_ROUTES as readonly string[]).includes(name);
    const route = known ? name : 'other';
    let bodyDone = false;
    let answered = false;
    req.on('end', () => {
      bodyDone = true;
    });

    const send = (reply: Reply, headers: Record<string, string> = {}): void => {
      if (answered) return;
      answered = true;
      active--;
      if (!res.destroyed && !res.headersSent) {
        res.writeHead(reply.status, {
          'content-type': reply.status === 200 && route === 'metrics' ? 'text/plain; version=0.0.4' : 'application/json',
          'content-length': Buffer.byteLength(reply.body),
          ...(draining ? { connection: 'close' } : {}),
          ...headers,
        });
        res.end(reply.body);
      }
      metrics.request(route, reply.status, (performance.now() - t0) / 1000);
      metrics.rows += reply.status === 200 ? reply.rows : 0;
      if (reply.status >= 500 && reply.status !== 503) log('error', 'request failed', { route, status: reply.status, body: reply.body.slice(0, 300) });
      if (!bodyDone) {
        // the rest of the body is read and thrown away (Node does this for a kept-alive
        // connection), so that the reply reaches the client; a client that goes on sending is cut off
        req.resume();
        const socket = req.socket;
        const timer = setTimeout(() => socket.destroy(), LINGER_MS);
        timer.unref();
        const clear = (): void => {
          clearTimeout(timer);
          socket.off('close', clear);
        };
        req.once('end', clear);
        socket.once('close', clear);
      }
      if (active === 0 && onIdle) onIdle();
    };
    let held = 0; // bytes of this body counted in bodyBytes
    const release = (): void => {
      bodyBytes -= held;
      held = 0;
    };
    // a connection that closes before the answer (a client gone, a timeout) ends the request too
    res.on('close', () => {
      release();
      if (answered) return;
      answered = true;
      active--;
      metrics.reject('closed');
      if (active === 0 && onIdle) onIdle();
    });
    const refuse = (status: number, code: string, message: string, reason: string, headers: Record<string, string> = {}): void => {
      metrics.reject(reason);
      send(errorReply(status, code, message), headers);
    };

    if (!known) return refuse(404, 'NOT_FOUND', `no route ${JSON.stringify(path.slice(0, 100))}; routes: ${[...MODEL_ROUTES.map((r) => `POST /${r}`), ...GET_ROUTES.map((r) => `GET /${r}`)].join(', ')}`, 'bad_request');
    const isGet = (GET_ROUTES as readonly string[]).includes(name);
    const method = isGet ? 'GET' : 'POST';
    if (req.method !== method && !(isGet && req.method === 'HEAD')) {
      return refuse(405, 'METHOD_NOT_ALLOWED', `${req.method} /${name}: use ${method}`, 'bad_request', { allow: isGet ? 'GET, HEAD' : 'POST' });
    }
    if (isGet) {
      if (name === 'health') {
        const ok = worker.ready && !draining;
        return send({ status: ok ? 200 : 503, body: JSON.stringify({ status: ok ? 'ok' : draining ? 'draining' : 'starting' }), rows: 0 });
      }
      if (name === 'info') return send({ status: 200, body: JSON.stringify({ ...worker.info, version }), rows: 0 });
      return send({ status: 200, body: metrics.text(), rows: 0 });
    }
    if (draining) return refuse(503, 'DRAINING', 'the service is shutting down', 'draining', { 'retry-after': '1' });
    const declared = Number(req.headers['content-length']);
    if (declared > limits.maxBodyBytes) {
      return refuse(413, 'OUT_OF_MEMORY', `the body is ${declared} bytes, more than the ${limits.maxBodyBytes} of one request (--max-body)`, 'body_too_large');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (answered) return; // being thrown away
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        chunks.length = 0;
        release();
        return refuse(413, 'OUT_OF_MEMORY', `the body is more than the ${limits.maxBodyBytes} bytes of one request (--max-body)`, 'body_too_large');
      }
      if (bodyBytes + chunk.length > limits.bodyBudgetBytes) {
        chunks.length = 0;
        release();
        return refuse(503, 'BUSY', `the service holds ${limits.bodyBudgetBytes} bytes of request bodies at most (--body-budget), and is full; try again`, 'body_budget', { 'retry-after': '1' });
      }
      bodyBytes += chunk.length;
      held += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (answered) return;
      if (worker.depth >= limits.maxQueue) {
        release();
        return refuse(503, 'BUSY', `${worker.depth} requests are waiting for the model (--max-queue ${limits.maxQueue}); try again`, 'queue_full', { 'retry-after': '1' });
      }
      const body = new Uint8Array(Buffer.concat(chunks, size));
      chunks.length = 0;
      worker.submit(name as ModelRoute, body).then((reply) => {
        release();
        send(reply);
      }, (err: Error) => {
        release();
        send(errorReply(500, 'INTERNAL', err.message));
      });
    });
    req.on('error', () => release());
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // a request Node's parser refuses (a bad request line, headers too large, a timeout) gets its answer here
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const [status, reason, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'timeout', 'the request was not received in time (--request-timeout)']
      : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'bad_request', 'the headers are larger than 16 KiB']
        : [400, 'bad_request', `a malformed request (${err.code ?? err.message})`];
    metrics.reject(reason);
    if (socket.writable && !(socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      const body = JSON.stringify({ error: { code: status === 408 ? 'TIMEOUT' : 'BAD_REQUEST', message } });
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
    socket.destroySoon?.();
  });

  return {
    server,
    get draining() {
      return draining;
    },
    drain(timeoutMs: number): Promise<{ answered: boolean }> {
      draining = true;
      server.close();
      server.closeIdleConnections();
      return new Promise((resolve) => {
        const finish = (answered: boolean): void => {
          clearTimeout(timer);
          onIdle = null;
          server.closeAllConnections();
          resolve({ answered });
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        onIdle = () => finish(true);
        if (active === 0) finish(true);
      });
    },
  };
}
