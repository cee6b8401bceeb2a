import { generateAdmissionKey } from '../../admission-keys.ts';
import type { Config } from '../../config.ts';
import type { Command } from '../command.ts';
import { parseCommand, usageError } from './parse.ts';

const usage = `Usage: firstcome keys generate [--rotate]

Prints a fresh ADMISSION_KEYS value on stdout: a JSON array holding one new EC P-256 private key, which
signs the admission tokens of events with a queue (ES256). Every API process needs the same value, in
ADMISSION_KEYS or in the file ADMISSION_KEYS_FILE names; keep it secret (its public half is served at
/.well-known/jwks.json). Touches nothing else.

  --rotate   the new key first, then the keys configured now: deploy that (the new key signs, the old
             ones still verify), then drop the old key once its last tokens have expired (the events'
             tokenTtlSeconds after the deploy)
`;

/** The ADMISSION_KEYS value `keys generate` prints: a new key, before the configured ones with --rotate. */
export function generateKeysValue(config: Pick<Config, 'ADMISSION_KEYS'>, args: string[]): string {
  const { values, positionals } = parseCommand('keys', args, { rotate: { type: 'boolean', default: false } });
  const [action, ...extra] = positionals;
  if (action !== 'generate') throw usageError('keys', action ? `unknown action "${action}"` : 'which action?');
  if (extra.length > 0) throw usageError('keys', `unexpected arguments: ${extra.join(' ')}`);
  if (values.rotate && !config.ADMISSION_KEYS) {
    throw usageError('keys', '--rotate: no ADMISSION_KEYS or ADMISSION_KEYS_FILE is set to rotate');
  }
  return JSON.stringify([generateAdmissionKey(), ...(values.rotate ? (config.ADMISSION_KEYS ?? []) : [])]);
}

/** `firstcome keys generate`: the operators' way to make (and rotate) the admission token keys. */
export const keys: Command = {
  usage,
  actions: ['generate'],
  async run(config, args) {
    process.stdout.write(`${generateKeysValue(config, args)}\n`);
  },
};
