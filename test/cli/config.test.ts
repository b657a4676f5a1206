import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStartConfig } from '../../src/cli/start-config.ts';
import { ConfigError } from '../../src/cli/config.ts';

t.test('defaults give a one-voter board on the standard ports', async (t) => {
  const c = loadStartConfig([], {});
  t.equal(c.mqttPort, 1883);
  t.equal(c.httpPort, 8080);
  t.equal(c.role, 'voter');
  t.same(c.peers, []);
  t.equal(c.anonymousRead, true);
});

t.test('flags override environment, which overrides the config file', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'board.json');
  writeFileSync(file, JSON.stringify({ id: 'from-file', mqttPort: 1000, httpPort: 2000, cluster: 'file' }));
  const c = loadStartConfig(['--config', file, '--http-port', '3000'], { RAFTLIGHT_MQTT_PORT: '1500', RAFTLIGHT_HTTP_PORT: '2500' });
  t.equal(c.id, 'from-file');
  t.equal(c.cluster, 'file');
  t.equal(c.mqttPort, 1500, 'environment beats file');
  t.equal(c.httpPort, 3000, 'flag beats environment');
});

t.test('peers and booleans parse', async (t) => {
  const c = loadStartConfig(['--id', 'a', '--peers', 'a=127.0.0.1:1883, b=10.0.0.2:1884', '--no-anonymous-read', '--read-token', 'Xq7-read-token-9fK2'], {});
  t.same(c.peers, [{ id: 'a', host: '127.0.0.1', port: 1883 }, { id: 'b', host: '10.0.0.2', port: 1884 }]);
  t.equal(c.anonymousRead, false);
});

const bad: Array<[string, string[], Record<string, string>, string, RegExp]> = [
  ['unknown flag', ['--colour', 'red'], {}, 'UNKNOWN_OPTION', /--colour/],
  ['port out of range', ['--mqtt-port', '70000'], {}, 'BAD_VALUE', /mqtt-port.*0 to 65535/],
  ['port not a number', [], { RAFTLIGHT_HTTP_PORT: 'eighty' }, 'BAD_VALUE', /environment RAFTLIGHT_HTTP_PORT/],
  ['missing value', ['--id'], {}, 'MISSING_VALUE', /--id needs a value/],
  ['bad id', ['--id', 'a/b'], {}, 'BAD_VALUE', /--id/],
  ['bad role', ['--role', 'boss'], {}, 'BAD_VALUE', /voter or external/],
  ['peer without port', ['--peers', 'a=host'], {}, 'BAD_VALUE', /id=host:port/],
  ['peers without self', ['--id', 'z', '--peers', 'a=h:1'], {}, 'BAD_VALUE', /must include this board/],
  ['tls half configured', ['--tls-cert', 'c.pem'], {}, 'BAD_VALUE', /go together/],
  ['positional argument', ['now'], {}, 'UNEXPECTED_ARGUMENT', /unexpected argument/],
  ['closed reads without a token', ['--no-anonymous-read'], {}, 'BAD_VALUE', /--no-anonymous-read needs a token/],
  ['a short write token', ['--write-token', 'w-token'], {}, 'WEAK_CREDENTIAL', /at least 16/],
  ['a patterned write token', ['--write-token', 'aaaaaaaaaaaaaaaaaaaaaaaa'], {}, 'WEAK_CREDENTIAL', /different characters/],
  ['the old default secret', ['--bootstrap-secret', 'raftlight-dev-secret'], {}, 'WEAK_CREDENTIAL', /well-known/],
  ['a short bootstrap secret', ['--bootstrap-secret', 'abcdefghijklmnopqrstu'], {}, 'WEAK_CREDENTIAL', /at least 32/],
  ['a read token equal to the write token', ['--write-token', 'Same-token-1234567', '--read-token', 'Same-token-1234567'], {}, 'BAD_VALUE', /must differ/],
  ['a certificate without a CA', ['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {}, 'BAD_VALUE', /--tls-cert needs --tls-ca/],
  ['open writes with a write token', ['--open-writes', '--write-token', 'Xq7-write-token-9fK2'], {}, 'BAD_VALUE', /contradict/],
  ['a join token without --join', ['--join-token', 'abc'], {}, 'BAD_VALUE', /goes with --join/],
];
for (const [name, argv, env, code, msg] of bad) {
  t.test(`rejects ${name}`, async (t) => {
    let caught: unknown;
    try {
      loadStartConfig(argv, env);
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof ConfigError, 'a ConfigError');
    t.equal((caught as ConfigError).code, code);
    t.match((caught as ConfigError).message, msg);
  });
}

t.test('config file errors are clear', async (t) => {
  const dir = t.testdir({ 'bad.json': '{ not json', 'extra.json': '{"colour": "red"}' });
  t.throws(() => loadStartConfig(['--config', join(dir, 'bad.json')], {}), { code: 'CONFIG_INVALID' });
  t.throws(() => loadStartConfig(['--config', join(dir, 'extra.json')], {}), { code: 'UNKNOWN_OPTION', message: /colour/ });
  t.throws(() => loadStartConfig(['--config', join(dir, 'missing.json')], {}), { code: 'CONFIG_UNREADABLE' });
});
