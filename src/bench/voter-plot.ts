// The voters over a run with faults: a CSV, a plot of voters and healthy voters over time (the
// leader's view, fault events as rules) and the figures the summary gives.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv } from './csv.ts';
import { VOTER_SAMPLE_MS, type FaultEvent, type VoterSample } from './faults.ts';
import { renderSvg, voterSpec, type Row } from './plots.ts';

export interface VoterFigures {
  sampleMs: number;
  /** Voter counts seen (sorted). */
  voters: number[];
  /** Healthy voters at the first sample with a leader. */
  startHealthy: number;
  minHealthy: number;
  /** Seconds with fewer healthy voters than at the start (a sample counts for its interval). */
  belowTargetS: number;
  leaderlessS: number;
  /** Configuration changes after the replace-voters fault restored the voters (churn); 0 without it. */
  configChanges: number;
}

export function voterFigures(samples: readonly VoterSample[], faults: readonly FaultEvent[]): VoterFigures {
  const step = VOTER_SAMPLE_MS / 1000;
  const led = samples.filter((s) => s.voters !== null);
  const startHealthy = led[0]?.healthy ?? 0;
  const restoredAt = faults.find((f) => f.fault === 'replace-voters' && f.ms !== undefined)?.t;
  let configChanges = 0;
  let last: string | null = null;
  for (const s of led) {
    if (restoredAt === undefined || s.t < restoredAt) continue;
    if (last !== null && s.ids !== last) configChanges++;
    last = s.ids;
  }
  return {
    sampleMs: VOTER_SAMPLE_MS,
    voters: [...new Set(led.map((s) => s.voters!))].sort((a, b) => a - b),
    startHealthy,
    minHealthy: Math.min(...samples.map((s) => s.healthy)),
    belowTargetS: Math.round(samples.filter((s) => s.healthy < startHealthy).length * step * 10) / 10,
    leaderlessS: Math.round(samples.filter((s) => s.voters === null).length * step * 10) / 10,
    configChanges,
  };
}

/** Writes <system>-voters.csv and <system>-voters.svg. */
export async function writeVoterPlot(out: string, system: string, samples: readonly VoterSample[], faults: readonly FaultEvent[]): Promise<void> {
  writeFileSync(join(out, `${system}-voters.csv`), toCsv(['t', 'voters', 'healthy', 'leader', 'ids'], samples.map((s) => [s.t, s.voters, s.healthy, s.leader, s.ids])));
  const rows: Row[] = [];
  for (const s of samples) {
    // While no board leads there is no configuration to count: the voters line breaks, healthy is 0.
    rows.push({ t: s.t, series: 'voters', n: s.voters });
    rows.push({ t: s.t, series: 'healthy voters', n: s.healthy });
  }
  const events: Row[] = faults.map((f) => ({ t: f.t, label: `${f.action.split(' (')[0]}${f.boards.length ? ` ${f.boards.join(' ')}` : ''}` }));
  try {
    writeFileSync(join(out, `${system}-voters.svg`), await renderSvg(voterSpec(rows, events, `${system}: voters and healthy voters over time (the leader's view; 0 healthy while no board leads)`, Math.max(0, ...samples.map((s) => s.voters ?? 0)) + 1)));
  } catch (err) {
    process.stderr.write(`bench: plot ${system}-voters.svg not written: ${(err as Error).message}\n`);
  }
}
