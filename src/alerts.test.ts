import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const docs = join(import.meta.dirname, '../docs');

const hasPromtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: docs, encoding: 'utf8' });

describe.skipIf(!hasPromtool)('the alert rules (docs/alerts.yaml), with promtool', () => {
  it('are valid rules', () => {
    const check = promtool('check', 'rules', 'alerts.yaml');
    expect(check.stdout + check.stderr).toContain('SUCCESS: 6 rules found');
    expect(check.status).toBe(0);
  });

  it('fire, and stay quiet, as docs/alerts.test.yaml says', () => {
    const test = promtool('test', 'rules', 'alerts.test.yaml');
    expect(test.stdout + test.stderr).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });
});

if (!hasPromtool) {
  it.skip("the alert rules' tests need promtool: `npm test` installs it (apt-get install prometheus)", () => undefined);
}
