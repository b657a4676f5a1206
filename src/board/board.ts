// A running board: owns the broker, the REST listener and (as they land) the Raft node.
import { startBroker, type RunningBroker } from '../transport/broker.ts';
import { listenHttp, sendJson, type RunningHttp } from '../api/http-server.ts';
import { ensureWritableDataDir } from './data-dir.ts';
import type { StartConfig } from '../cli/start-config.ts';
import type { Logger } from './log.ts';
import { version } from '../cli/version.ts';
import { getHeapStatistics } from 'node:v8';

export interface RunningBoard {
  readonly mqttPort: number;
  readonly httpPort: number;
  stop(): Promise<void>;
}

export async function startBoard(config: StartConfig, log: Logger): Promise<RunningBoard> {
  ensureWritableDataDir(config.dataDir);
  const startedAt = process.hrtime.bigint();
  const broker: RunningBroker = await startBroker({ host: config.mqttHost, port: config.mqttPort });
  let http: RunningHttp;
  try {
    http = await listenHttp({ host: config.httpHost, port: config.httpPort }, (req, res) => {
      const url = new URL(req.url ?? '/', 'http://board');
      if (req.method === 'GET' && url.pathname === '/health') {
        const uptime = Number(process.hrtime.bigint() - startedAt) / 1e9;
        sendJson(res, 200, {
          status: 'ok', id: config.id, cluster: config.cluster, version,
          uptimeSeconds: Math.round(uptime), rssBytes: process.memoryUsage.rss(),
          heapLimitBytes: getHeapStatistics().heap_size_limit, execArgv: process.execArgv,
        });
        return;
      }
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${url.pathname}` } });
    });
  } catch (err) {
    await broker.close();
    throw err;
  }
  log.info('board started', {
    id: config.id, cluster: config.cluster, dataDir: config.dataDir,
    mqtt: `${config.mqttHost}:${broker.port}`, http: `${config.httpHost}:${http.port}`,
  });
  return {
    mqttPort: broker.port,
    httpPort: http.port,
    async stop() {
      await http.close();
      await broker.close();
      log.info('board stopped');
    },
  };
}
