/** A terminal progress bar that degrades to periodic lines when stderr is not a TTY. */
export class ProgressBar {
  private readonly start = performance.now();
  private lastPrinted = -1;
  private readonly total: number;
  private readonly label: string;
  constructor(total: number, label: string) {
    this.total = Math.max(1, total);
    this.label = label;
  }

  tick(done: number, detail = ""): void {
    const frac = Math.min(1, done / this.total);
    const elapsed = (performance.now() - this.start) / 1000;
    const eta = frac > 0 ? elapsed / frac - elapsed : 0;
    const bar = "#".repeat(Math.round(frac * 24)).padEnd(24);
    const line = `${this.label} [${bar}] ${done}/${this.total} ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s ${detail}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}\x1b[K${done >= this.total ? "\n" : ""}`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastPrinted || done >= this.total) {
        this.lastPrinted = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  }
}
