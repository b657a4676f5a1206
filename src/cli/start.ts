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
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string, code: number): void => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { signal });
      board.stop().then(() => resolve(code), (err: unknown) => {
        log.error('error while stopping', { err });
        resolve(code === 0 ? 1 : code);
      });
    };
    // A fatal error (already logged with its code) stops the board; the exit status tells the supervisor.
    void board.failed.then(() => stop('fatal error', 1));
    process.once('SIGTERM', () => stop('SIGTERM', 0));
    process.once('SIGINT', () => stop('SIGINT', 0));
    // A supervisor that dies without a word (the bench, a test) must not leave the board
    // running: with this set, the board stops when its stdin (the supervisor's pipe) closes.
    if (process.env['RAFTLIGHT_STOP_ON_STDIN_CLOSE'] === '1') {
      process.stdin.on('data', () => undefined);
      process.stdin.once('close', () => stop('stdin closed', 0));
      process.stdin.resume();
    }
  });
}
