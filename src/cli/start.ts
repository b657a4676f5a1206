// `raftlight start`: run one board until SIGTERM/SIGINT.
import { loadStartConfig } from './start-config.ts';
import { createLogger } from '../board/log.ts';
import { startBoard } from '../board/board.ts';

export async function runStart(argv: readonly string[]): Promise<number> {
  const config = loadStartConfig(argv, process.env);
  const log = createLogger(config.id, config.logLevel);
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
  });
  return 0;
}
