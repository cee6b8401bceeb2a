import { describe, expect, it } from 'vitest';
import { generateAdmissionKey, parseAdmissionKeys } from '../../admission-keys.ts';
import { generateKeysValue } from './keys.ts';

describe('firstcome keys generate', () => {
  it('prints an ADMISSION_KEYS value with one new key, a new one each time', () => {
    const first = parseAdmissionKeys(generateKeysValue({ ADMISSION_KEYS: undefined }, ['generate']));
    const second = parseAdmissionKeys(generateKeysValue({ ADMISSION_KEYS: undefined }, ['generate']));
    expect(first).toHaveLength(1);
    expect(second[0]!.kid).not.toBe(first[0]!.kid);
  });

  it('with --rotate, puts the new key before the configured ones, which keep verifying', () => {
    const configured = [generateAdmissionKey(), generateAdmissionKey()];
    const rotated = parseAdmissionKeys(generateKeysValue({ ADMISSION_KEYS: configured }, ['generate', '--rotate']));
    expect(rotated).toHaveLength(3);
    expect(rotated.slice(1)).toEqual(configured);
  });

  it('is a usage error without the action, with another, or with --rotate and nothing to rotate', () => {
    const messageOf = (args: string[]) => {
      try {
        generateKeysValue({ ADMISSION_KEYS: undefined }, args);
      } catch (error) {
        return (error as Error).message;
      }
      return 'none';
    };
    expect(messageOf([])).toBe('firstcome keys: which action?');
    expect(messageOf(['delete'])).toBe('firstcome keys: unknown action "delete"');
    expect(messageOf(['generate', '--rotate'])).toBe(
      'firstcome keys: --rotate: no ADMISSION_KEYS or ADMISSION_KEYS_FILE is set to rotate',
    );
  });
});
