/**
 * Progress bars (cli-progress) for long work: a bulk send, an audit export, the verification of a
 * large log, a retention sweep. Drawn on stderr only when stderr is a terminal and the output is not
 * --json, so a script or a pipe never receives one.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Starts (or restarts) the bar for a new stage of `total` steps. */
  stage(label: string, total: number): void;
  update(done: number): void;
  increment(by?: number): void;
  stop(): void;
}

const SILENT: Progress = { stage: () => undefined, update: () => undefined, increment: () => undefined, stop: () => undefined };

export function progressBar(opts: { json: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.json || !stream.isTTY) return SILENT;
  let bar: cliProgress.SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    stage(label, total) {
      stop();
      bar = new cliProgress.SingleBar(
        { stream, format: `${label.padEnd(24)} [{bar}] {value}/{total} {percentage}% {eta_formatted}`, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 10 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    update: (done) => bar?.update(done),
    increment: (by = 1) => bar?.increment(by),
    stop,
  };
}
