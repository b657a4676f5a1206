import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvFile, csvCell, toCsv } from '../../src/bench/csv.ts';

t.test('cells are quoted only when needed (RFC 4180)', async (t) => {
  t.equal(csvCell('plain'), 'plain');
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('two\nlines'), '"two\nlines"');
  t.equal(csvCell(1.5), '1.5');
  t.equal(csvCell(NaN), '');
  t.equal(csvCell(null), '');
  t.equal(csvCell(undefined), '');
  t.equal(csvCell(true), 'true');
  t.equal(toCsv(['a', 'b'], [[1, 'x,y'], [2, null]]), 'a,b\n1,"x,y"\n2,\n');
});

t.test('CsvFile streams rows to disk', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'x.csv');
  const f = new CsvFile(path, ['t', 'v']);
  f.row([0, 'a']);
  f.row([1, 'b,c']);
  await f.close();
  t.equal(readFileSync(path, 'utf8'), 't,v\n0,a\n1,"b,c"\n');
});
