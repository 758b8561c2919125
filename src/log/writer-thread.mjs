// The thread that writes the log's lines to a file descriptor for buffered-sink.ts, so that the main
// thread never waits on a write (a slow pipe reader, a busy disk). Plain JavaScript, without tsx: it is
// started as it is, under tsx and compiled alike, and imports nothing of the project.
//
// It never throws: the main thread waits on `state[IN_FLIGHT]` reaching zero (at exit, past its
// bound), so every batch is counted out whatever becomes of it; a batch the descriptor refused is
// counted in `state[LOST]` with the error number in `state[ERRNO]`, for the main thread to say so.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const IN_FLIGHT = 0;
const LOST = 1;
const ERRNO = 2;
const READY = 3;
const { fd, state: shared } = workerData;
const state = new Int32Array(shared);
Atomics.store(state, READY, 1);
const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(bytes) {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset);
    } catch (err) {
      // A descriptor in non-blocking mode (a pipe another part of the process opened so) is full: wait, it drains.
      if (err.code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

parentPort.on('message', (text) => {
  try {
    writeAll(Buffer.from(text, 'utf8'));
  } catch (err) {
    Atomics.add(state, LOST, text.length);
    Atomics.store(state, ERRNO, typeof err?.errno === 'number' ? err.errno : 0);
  } finally {
    Atomics.sub(state, IN_FLIGHT, text.length);
    Atomics.notify(state, IN_FLIGHT);
  }
});
