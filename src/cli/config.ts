// Resolves a command's options from defaults < config file < environment < flags.
import { readFileSync } from 'node:fs';
import { envName, type OptionSpec } from './options.ts';

export class ConfigError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type OptionValue = string | number | boolean | string[] | undefined;
export type ResolvedOptions = Record<string, OptionValue>;

/** Splits `--flag value`, `--flag=value` and `--no-flag` into a map; rejects unknown flags. */
export function parseFlags(argv: readonly string[], specs: readonly OptionSpec[]): Map<string, string> {
  const byFlag = new Map(specs.map((s) => [s.flag, s]));
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError('UNEXPECTED_ARGUMENT', `unexpected argument "${arg}" (options start with --)`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name.startsWith('no-') && !byFlag.has(name) && byFlag.get(name.slice(3))?.kind === 'bool' && value === undefined) {
      name = name.slice(3);
      value = 'false';
    }
    const spec = byFlag.get(name);
    if (!spec) throw new ConfigError('UNKNOWN_OPTION', `unknown option --${name} (see --help)`);
    if (value === undefined) {
      if (spec.kind === 'bool') value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new ConfigError('MISSING_VALUE', `option --${name} needs a value`);
        value = next;
        i++;
      }
    }
    out.set(spec.key, value);
  }
  return out;
}

function convert(spec: OptionSpec, raw: unknown, source: string): OptionValue {
  const where = `${spec.flag} (from ${source})`;
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw new ConfigError('BAD_VALUE', `${where} must be a non-empty string`);
      return raw;
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      throw new ConfigError('BAD_VALUE', `${where} must be true or false, got ${JSON.stringify(raw)}`);
    case 'port':
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      const max = spec.kind === 'port' ? 65535 : 2 ** 31 - 1;
      const min = spec.kind === 'port' ? 0 : 1;
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new ConfigError('BAD_VALUE', `${where} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      }
      return n;
    }
    case 'list':
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw as string[];
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
      throw new ConfigError('BAD_VALUE', `${where} must be a comma-separated list`);
  }
}

function readConfigFile(path: string, specs: readonly OptionSpec[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('CONFIG_INVALID', `config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('CONFIG_INVALID', `config file ${path} must hold a JSON object`);
  }
  const known = new Set(specs.map((s) => s.key));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key) || key === 'config') throw new ConfigError('UNKNOWN_OPTION', `config file ${path}: unknown key "${key}"`);
  }
  return parsed as Record<string, unknown>;
}

/** Defaults, then the config file, then RAFTLIGHT_* variables, then flags. */
export function resolveOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  specs: readonly OptionSpec[],
): ResolvedOptions {
  const flags = parseFlags(argv, specs);
  const result: ResolvedOptions = {};
  for (const spec of specs) {
    result[spec.key] = spec.default === undefined ? undefined : convert(spec, spec.default, 'default');
  }
  const configSpec = specs.find((s) => s.key === 'config');
  const configPath = flags.get('config') ?? (configSpec ? env[envName(configSpec)] : undefined);
  const file = configPath ? readConfigFile(configPath, specs) : {};
  for (const spec of specs) {
    if (spec.key in file) result[spec.key] = convert(spec, file[spec.key], `config file ${configPath}`);
    const fromEnv = env[envName(spec)];
    if (fromEnv !== undefined && fromEnv !== '') result[spec.key] = convert(spec, fromEnv, `environment ${envName(spec)}`);
    const fromFlag = flags.get(spec.key);
    if (fromFlag !== undefined) result[spec.key] = convert(spec, fromFlag, `--${spec.flag}`);
  }
  return result;
}
