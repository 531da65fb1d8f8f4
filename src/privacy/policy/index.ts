// The published privacy policy: the current version's text, rendered with the configured
// retention period, and its sha256 (what a consent records). GET /v1/privacy/policy serves it
// (with the consent purposes of src/domain/identity/consent.ts).

import { createHash } from 'node:crypto';
import * as current from './v2026-12-01.js';

export interface PublishedPolicy {
  version: string;
  /** The exact text served (markdown). */
  text: string;
  /** sha256 (hex) of `text` as UTF-8. */
  textSha256: string;
  retention: { biometricDays: number };
}

export const CURRENT_POLICY_VERSION = current.version;

export function publishedPolicy(biometricRetentionDays: number): PublishedPolicy {
  const text = current.template.replaceAll('{{BIOMETRIC_RETENTION_DAYS}}', String(biometricRetentionDays));
  return {
    version: current.version,
    text,
    textSha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    retention: { biometricDays: biometricRetentionDays },
  };
}
