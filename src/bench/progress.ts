// A progress bar on stderr: redrawn in place on a terminal, a line every
// tenth of the run otherwise (logs and CI stay readable).

export class Progress {
  private lastDecile = -1;
  private readonly tty: boolean;

  constructor(private readonly label: string, private readonly totalMs: number, private readonly out: NodeJS.WriteStream = process.stderr, quiet = false) {
    this.tty = !quiet && out.isTTY === true;
    this.quiet = quiet;
  }

  private readonly quiet: boolean;

  update(elapsedMs: number, detail: string): void {
    if (this.quiet) return;
    const frac = Math.max(0, Math.min(1, elapsedMs / this.totalMs));
    if (this.tty) {
      const width = 28;
      const full = Math.round(frac * width);
      const line = `${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ${Math.round(elapsedMs / 1000)}/${Math.round(this.totalMs / 1000)} s ${detail}`;
      const cols = this.out.columns ?? 120;
      this.out.write('\r' + line.slice(0, cols - 1).padEnd(cols - 1));
      return;
    }
    const decile = Math.floor(frac * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.out.write(`${this.label} ${decile * 10}% ${Math.round(elapsedMs / 1000)}/${Math.round(this.totalMs / 1000)} s ${detail}\n`);
    }
  }

  done(): void {
    if (this.tty) this.out.write('\n');
  }
}
