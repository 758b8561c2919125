/**
 * Answers for requests that Node's HTTP parser refuses before express sees them: headers over the
 * size limit, headers or a body that arrive too slowly (slow-loris), bytes that are not HTTP/1.1.
 * Node would answer these with a bare status line; docs/interface.md (section 4) wants every error as
 * application/problem+json (RFC 9457), so the server's 'clientError' event writes one here.
 */
import type { Duplex } from 'node:stream';
import { GatewayError, type ProblemCode } from '../domain/errors.js';
import { problemBody } from './problem.js';

/** Node's error codes (llhttp HPE_*, ERR_HTTP_*) mapped to the contract's codes and a sentence for people. */
function problemFor(code: string | undefined, maxHeaderBytes: number): { problem: ProblemCode; detail: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { problem: 'request_header_fields_too_large', detail: `The request headers exceed ${maxHeaderBytes} bytes. Send fewer or shorter headers.` };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { problem: 'request_timeout', detail: 'The request headers or body did not arrive in time; nothing was accepted. Send the whole request at once.' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { problem: 'payload_too_large', detail: 'The chunk extensions of the request body are too large. Send the body without chunk extensions.' };
    default:
      return { problem: 'bad_request', detail: 'The request is not well-formed HTTP/1.1. Check the request line, the headers and the body framing.' };
  }
}

/**
 * Listener for the server's 'clientError' event. Like Node's own default, it writes an answer only
 * when no response of this connection has started (a response already under way must not be
 * corrupted), then closes the connection: after a parse error or a timeout its framing is unknown.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, maxHeaderBytes: number): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || (inFlight && inFlight.headersSent)) {
    socket.destroy();
    return;
  }
  const { problem, detail } = problemFor(err.code, maxHeaderBytes);
  const error = new GatewayError(problem, detail);
  const body = JSON.stringify(problemBody(error, undefined));
  const head = [
    `HTTP/1.1 ${error.status} ${error.title}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  // end() lets the answer reach the client before the close; a client that never reads it must not
  // keep the socket open.
  setTimeout(() => socket.destroy(), 2_000).unref();
}
