'use strict';

const express = require('express');

/**
 * Request headers that describe the connection rather than the request. A Fargate task gets a TCP
 * connection from the load balancer while Lambda gets an event, so these differ by side and /echo
 * leaves them out: hop-by-hop headers (RFC 9110 section 7.6.1), the framing headers, and the ones
 * the load balancer adds.
 */
const TRANSPORT_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'x-amzn-trace-id',
]);
const TRANSPORT_HEADER_PREFIXES = ['x-forwarded-'];

/** The ALB allows at most 1 MB of request body for a Lambda target; accept the same on both sides. */
const MAX_BODY = '1mb';

function isTransportHeader(name) {
  return TRANSPORT_HEADERS.has(name) || TRANSPORT_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix));
}

function requestHeaders(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isTransportHeader(name)));
}

/**
 * Parses a Cookie header. Of several cookies with one name the first wins: browsers send the one with
 * the most specific path first (RFC 6265 section 5.4).
 */
function parseCookies(header) {
  const cookies = new Map();
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    cookies.set(name, decodeCookieValue(pair.slice(eq + 1).trim()));
  }
  return Object.fromEntries(cookies);
}

function decodeCookieValue(raw) {
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text when it is valid UTF-8, otherwise as base64 with a flag saying so. */
function describeBody(body) {
  if (!Buffer.isBuffer(body) || body.length === 0) return { body: '', isBase64Encoded: false };
  try {
    return { body: utf8.decode(body), isBase64Encoded: false };
  } catch {
    return { body: body.toString('base64'), isBase64Encoded: true };
  }
}

function describeRequest(req, side) {
  return {
    side,
    method: req.method,
    path: req.path,
    query: req.query,
    headers: requestHeaders(req.headers),
    cookies: parseCookies(req.headers.cookie),
    ...describeBody(req.body),
  };
}

/**
 * The sample app. The same instance serves HTTP on Fargate (server.js) and ALB events on Lambda
 * (lambda.js).
 *
 * @param {{ side?: string }} [options] side defaults to the HYBRID_SIDE environment variable, which
 *   the construct sets to `lambda` or `fargate`.
 */
function createApp({ side = process.env.HYBRID_SIDE || 'unknown' } = {}) {
  const app = express();
  app.disable('x-powered-by');

  app.use((_req, res, next) => {
    res.set('x-served-by', side);
    next();
  });

  app.get('/', (_req, res) => {
    res.json({ message: 'Hello from cdk-hybrid-alb-service', side });
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', side });
  });

  app.all(['/echo', '/echo/*rest'], express.raw({ type: () => true, limit: MAX_BODY }), (req, res) => {
    res.json(describeRequest(req, side));
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'not found', path: req.path, side });
  });

  // Four parameters mark this as Express's error handler. Client errors (such as a body over the
  // limit) keep their status and message; anything else is a 500 without details.
  app.use((err, _req, res, _next) => {
    const status = Number.isInteger(err.status) && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json({ error: status < 500 ? err.message : 'internal error', side });
  });

  return app;
}

module.exports = { createApp };
