/**
 * Answers written on node's own response, byte for byte as express's res.send writes a string (the
 * Content-Type with its charset, then the Content-Length), for the route served without express
 * (src/http/message-route.ts): a client cannot tell which of the two answered.
 */
import type { ServerResponse } from 'node:http';

export function writeText(res: ServerResponse, status: number, mediaType: string, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', `${mediaType}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** As express's res.status(status).json(value) with the default JSON settings. */
export function writeJson(res: ServerResponse, status: number, value: unknown): void {
  writeText(res, status, 'application/json', JSON.stringify(value));
}
