// `raftlight start`: run one board until SIGTERM/SIGINT.
import { loadStartConfig } from './start-config.ts';
import { createLogger } from '../board/log.ts';
import { startBoard } from '../board/board.ts';
import { verifyVarByteIntEncoder } from '../transport/mqtt-packet-numbers.ts';

export async function runStart(argv: readonly string[]): Promise<number> {
  const config = loadStartConfig(argv, process.env);
  const log = createLogger(config.id, config.logLevel);
  verifyVarByteIntEncoder(); // the board's memory depends on main.ts's import order
  const board = await startBoard(config, log);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { signal });
      board.stop().then(resolve, (err: unknown) => {
        log.error('error while stopping', { err });
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // A supervisor that dies without a word (the bench, a test) must not leave the board
    // running: with this set, the board stops when its stdin (the supervisor's pipe) closes.
    if (process.env['RAFTLIGHT_STOP_ON_STDIN_CLOSE'] === '1') {
      process.stdin.on('data', () => undefined);
      process.stdin.once('close', () => stop('stdin closed'));
      process.stdin.resume();
    }
  });
  return 0;
}
