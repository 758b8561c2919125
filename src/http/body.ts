/**
 * Reading a request body under a size limit, refusing as early as possible.
 *
 * express.raw (body-parser) refuses an oversized body with 413 only after reading the rest of it to
 * keep the connection usable: a client announcing 50 MB, or streaming a chunked body without end,
 * holds the connection and costs bandwidth until the request timeout. Here the refusal comes at once:
 * from Content-Length before any byte is read, or as soon as a chunked body crosses the limit; the
 * answer then closes the connection (src/http/problem.ts) instead of draining the rest.
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../domain/errors.js';

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('payload_too_large', `The request body exceeds ${maxBytes} bytes. Large attachments are not part of the exchange.`);
}

/**
 * @throws GatewayError 'unsupported_media_type' for any Content-Encoding (a compressed body would slip
 *   a larger payload under the limit; OpenPGP compresses by itself), 'payload_too_large' over maxBytes,
 *   'malformed_message' when the client ends or aborts the body early.
 */
export function readBoundedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return Promise.reject(new GatewayError('unsupported_media_type', 'Content-Encoding is not accepted: send the body uncompressed (an OpenPGP message is compressed by OpenPGP itself).'));
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge(maxBytes));

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (error: GatewayError | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onAborted);
      req.off('close', onClose);
      if (error) {
        // Stop reading: the rest of the body is not wanted.
        req.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, received));
      }
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return finish(tooLarge(maxBytes));
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onAborted = () => finish(new GatewayError('malformed_message', 'The request body was incomplete. Send it again.'));
    const onClose = () => {
      if (!req.complete) onAborted();
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('aborted', onAborted);
    req.once('error', onAborted);
    req.once('close', onClose);
  });
}
