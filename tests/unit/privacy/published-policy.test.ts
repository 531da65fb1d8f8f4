// The published policy (issue 15 item 3): its text states the configured retention, its hash is
// the hash of that exact text, and BIOMETRIC_RETENTION_DAYS is validated like every setting.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { publishedPolicy } from '../../../src/privacy/policy/index.js';

describe('published policy', () => {
  it('states the retention period and hashes the exact text', () => {
    const p = publishedPolicy(1_095);
    expect(p.text).toContain('kept for 1095 days from your last interaction');
    expect(p.text).not.toContain('{{');
    expect(p.textSha256).toBe(createHash('sha256').update(p.text, 'utf8').digest('hex'));
    expect(p.retention).toEqual({ biometricDays: 1_095 });
    // Another period is another text: the hash a consent records tells them apart.
    expect(publishedPolicy(30).textSha256).not.toBe(p.textSha256);
    expect(publishedPolicy(30).version).toBe(p.version);
  });

  it('BIOMETRIC_RETENTION_DAYS: default 1095 (BIPA), 0..36500, anything else refused by name', () => {
    expect(loadConfig({}).privacy.biometricRetentionDays).toBe(1_095);
    expect(loadConfig({ BIOMETRIC_RETENTION_DAYS: '0' }).privacy.biometricRetentionDays).toBe(0);
    expect(loadConfig({ BIOMETRIC_RETENTION_DAYS: '36500' }).privacy.biometricRetentionDays).toBe(36_500);
    for (const bad of ['-1', '36501', '1.5', 'three years']) {
      let caught: unknown;
      try {
        loadConfig({ BIOMETRIC_RETENTION_DAYS: bad });
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).problems.join('\n')).toContain('BIOMETRIC_RETENTION_DAYS');
    }
  });
});
