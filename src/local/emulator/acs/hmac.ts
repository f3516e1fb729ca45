import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestContext } from '../http.js';

/**
 * Checks an ACS HMAC-SHA256 request signature: `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=…`
 * over `VERB\npath?query\ndate;host;contentHash`, keyed with the base64-decoded access key.
 * Returns the reason it fails, or undefined when the signature is good.
 */
export function hmacProblem(ctx: RequestContext, accessKey: string): string | undefined {
  const auth = ctx.header('authorization') ?? '';
  const match = /^HMAC-SHA256\s+SignedHeaders=([^&]+)&Signature=(.+)$/i.exec(auth.trim());
  if (!match) return 'the Authorization header is not an HMAC-SHA256 signature';
  const signedHeaders = match[1]!.toLowerCase().split(';');
  const contentHash = createHash('sha256').update(ctx.rawBody).digest('base64');
  if ((ctx.header('x-ms-content-sha256') ?? '') !== contentHash) return 'x-ms-content-sha256 does not match the body';
  const values = signedHeaders.map((name) => (name === 'host' ? (ctx.header('host') ?? '') : (ctx.header(name) ?? '')));
  const url = new URL(`${ctx.baseUrl}${ctx.rawUrl}`);
  const query = url.searchParams.toString();
  const pathAndQuery = query ? `${url.pathname}?${query}` : url.pathname;
  const stringToSign = `${ctx.method}\n${pathAndQuery}\n${values.join(';')}`;
  const expected = createHmac('sha256', Buffer.from(accessKey, 'base64')).update(stringToSign).digest();
  const given = Buffer.from(match[2]!, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? undefined
    : 'the signature does not match the access key';
}
