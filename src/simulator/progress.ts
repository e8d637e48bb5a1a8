/**
 * A one-line progress bar for a terminal: `[##########..........]  50 %`, redrawn in place, at most once a percent.
 */
const BAR_WIDTH = 30;

export class ProgressBar {
  private shownPercent = -1;

  constructor(private readonly write: (text: string) => void, private readonly label: string) {}

  update(fraction: number): void {
    const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (percent === this.shownPercent) {
      return;
    }
    this.shownPercent = percent;
    const filled = Math.round((percent / 100) * BAR_WIDTH);
    this.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)} %`);
  }

  /** Clears the line, so what follows starts on a clean one. */
  done(): void {
    if (this.shownPercent >= 0) {
      this.write(`\r${' '.repeat(this.label.length + BAR_WIDTH + 9)}\r`);
    }
  }
}
