/**
 * A person who types http:// for the gateway's HTTPS port would get an empty reply (the TLS layer
 * drops bytes that are not a handshake). The listener looks at the first byte of each connection: a
 * TLS record starts with 22 (handshake, RFC 8446 section 5.1); anything else gets a short plain-text
 * HTTP/1.1 400 naming the fix, and is closed. A TLS connection is handed on unchanged: its first bytes
 * go back in front of the stream (the TLS layer reads what the socket has buffered first), at the cost
 * of one read.
 */
import type { Server } from 'node:net';
import type { Socket } from 'node:net';

const TLS_HANDSHAKE = 0x16;

const HINT = 'This is an HTTPS port: use https:// with your client certificate, for example\n' +
  '  curl --cert tls.crt --key tls.key --cacert ca.crt https://HOST:PORT/healthz\n';

const ANSWER = [
  'HTTP/1.1 400 Bad Request',
  'Content-Type: text/plain; charset=utf-8',
  `Content-Length: ${Buffer.byteLength(HINT)}`,
  'Connection: close',
  '',
  HINT,
].join('\r\n');

/**
 * Puts the first-byte check in front of the server's own connection listeners (the TLS layer's).
 * A connection that sends nothing within `firstByteTimeoutMs` is closed, as a silent TLS client is.
 */
export function answerPlainHttp(server: Server, firstByteTimeoutMs: number): void {
  const listeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), firstByteTimeoutMs);
    const fail = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.once('error', fail);
    socket.once('end', fail);
    socket.once('readable', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.off('end', fail);
      const first: Buffer | null = socket.read(1);
      if (first === null) return void socket.destroy();
      if (first[0] !== TLS_HANDSHAKE) {
        socket.on('error', () => socket.destroy());
        // Closed once the client has read the answer and closed its side: the rest of its request is
        // read and dropped (destroying with unread bytes would send a reset that can lose the answer).
        socket.setTimeout(firstByteTimeoutMs, () => socket.destroy());
        socket.end(ANSWER);
        socket.resume();
        return;
      }
      socket.unshift(first);
      for (const listener of listeners) listener.call(server, socket);
    });
  });
}
