// CSV output of the raw measurements (RFC 4180 quoting).
import { createWriteStream, type WriteStream } from 'node:fs';

export type Cell = string | number | boolean | null | undefined;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly Cell[]): string {
  return cells.map(csvCell).join(',') + '\n';
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}

/** Streams rows to a file as they are measured, so a long run keeps nothing in memory for them. */
export class CsvFile {
  private readonly out: WriteStream;

  constructor(path: string, header: readonly string[]) {
    this.out = createWriteStream(path);
    this.out.write(csvLine(header));
  }

  row(cells: readonly Cell[]): void {
    this.out.write(csvLine(cells));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
