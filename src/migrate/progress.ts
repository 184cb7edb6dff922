/** A one-line progress bar on a terminal (stderr); nothing at all when stderr is not a TTY. */

/** Progress callback for `importFromNeutron`, and `finish` to end the line. */
export interface ProgressBar {
  update(done: number, total: number): void;
  finish(): void;
}

/** A bar drawn at most every 100 ms, or a silent one when `stream` is not a terminal. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  let drawn = false;
  const width = 30;
  return {
    update(done, total) {
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      const share = total === 0 ? 1 : done / total;
      const filled = Math.round(share * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% ${done}/${total}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
