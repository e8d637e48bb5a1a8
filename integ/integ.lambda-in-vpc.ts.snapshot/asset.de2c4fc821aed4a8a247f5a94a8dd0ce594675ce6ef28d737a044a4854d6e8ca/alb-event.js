'use strict';

/**
 * Maps ALB Lambda-target events to the request serverless-express hands to Express, and Express's
 * response back to the ALB's response format, so that the app sees on Lambda exactly what it sees
 * on Fargate.
 *
 * Event and response format:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
 */

const { STATUS_CODES } = require('node:http');

/**
 * Node's HTTP server keeps only the first value of these headers when a request repeats them
 * (see `message.headers` in the Node.js http documentation); others are joined with ", ", and
 * cookie with "; ".
 */
const FIRST_VALUE_ONLY = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards',
  'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);

/**
 * Folds the values of a repeated header the way Node's HTTP server does for a Fargate task.
 * serverless-express would join them with "," (no space, and for cookie too), which gives the app
 * a different header and breaks cookie parsing.
 */
function foldHeaderValues(name, values) {
  if (FIRST_VALUE_ONLY.has(name)) return values[0];
  return values.join(name === 'cookie' ? '; ' : ', ');
}

function requestHeaders(event) {
  const headers = Object.create(null);
  if (event.multiValueHeaders) {
    const grouped = new Map();
    for (const [name, values] of Object.entries(event.multiValueHeaders)) {
      const key = name.toLowerCase();
      grouped.set(key, [...(grouped.get(key) ?? []), ...values]);
    }
    for (const [name, values] of grouped) {
      if (values.length > 0) headers[name] = foldHeaderValues(name, values);
    }
  } else {
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * The query string as the client sent it. The ALB passes query keys and values on still
 * percent-encoded, so joining them again gives Express the same raw query a Fargate task receives
 * and its query parser decodes both alike. serverless-express's own ALB mapping decodes and
 * re-encodes them instead, and answers a malformed escape such as `%zz` with a 500 where the
 * Fargate side answers 200.
 */
function rawQueryString(event) {
  const pairs = event.multiValueQueryStringParameters
    ? Object.entries(event.multiValueQueryStringParameters).flatMap(([key, values]) => values.map((value) => [key, value]))
    : Object.entries(event.queryStringParameters ?? {});
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

/** serverless-express `eventSource.getRequest`: the request Express will see. */
function albRequest({ event }) {
  const headers = requestHeaders(event);
  const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  if (body) {
    // The event carries the whole body, so describe it by its length rather than as chunked.
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
  }
  const query = rawQueryString(event);
  return {
    method: event.httpMethod,
    path: query ? `${event.path}?${query}` : event.path,
    headers,
    body,
  };
}

/** True when the target group has multi-value headers on; the response must then use them too. */
function usesMultiValueHeaders(event) {
  return Boolean(event.multiValueHeaders || event.multiValueQueryStringParameters);
}

function mapHeaderValues(headers, mapValue) {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, mapValue(value)]));
}

/**
 * serverless-express `eventSource.getResponse`: the ALB response. In single-value mode a header can
 * carry only one value, so the first is kept (as serverless-express does); enable multi-value
 * headers on the target group to return several (for example several Set-Cookie headers).
 */
function albResponse({ event, statusCode, body, headers, isBase64Encoded }) {
  const response = {
    statusCode,
    statusDescription: `${statusCode} ${STATUS_CODES[statusCode] ?? ''}`.trimEnd(),
    isBase64Encoded,
    body,
  };
  if (usesMultiValueHeaders(event)) {
    response.multiValueHeaders = mapHeaderValues(headers, (value) => [].concat(value).map(String));
  } else {
    response.headers = mapHeaderValues(headers, (value) => String(Array.isArray(value) ? value[0] : value));
  }
  return response;
}

module.exports = { albRequest, albResponse };
