import { describe, expect, it } from 'vitest';
import { emailClaimDecider, emailClaimStream, normaliseEmail } from '../../../src/domain/identity/email-claim.js';
import { given } from '../../support/given-when-then.js';

describe('email claim decider', () => {
  it('claims a free address', () => given(emailClaimDecider).when({ type: 'ClaimEmail', userId: 'u1' }).then([{ type: 'EmailClaimed', data: { userId: 'u1' } }]));
  it('refuses a taken address', () =>
    given(emailClaimDecider, [{ type: 'EmailClaimed', data: { userId: 'u1' } }]).when({ type: 'ClaimEmail', userId: 'u2' }).thenFails('email_taken'));
  it('a released address can be claimed again', () =>
    given(emailClaimDecider, [
      { type: 'EmailClaimed', data: { userId: 'u1' } },
      { type: 'EmailReleased', data: { userId: 'u1', reason: 'registration_failed' } },
    ])
      .when({ type: 'ClaimEmail', userId: 'u2' })
      .then([{ type: 'EmailClaimed', data: { userId: 'u2' } }]));
  it('only the holder releases', () => {
    given(emailClaimDecider, [{ type: 'EmailClaimed', data: { userId: 'u1' } }]).when({ type: 'ReleaseEmail', userId: 'u2', reason: 'x' }).then([]);
    given(emailClaimDecider, [{ type: 'EmailClaimed', data: { userId: 'u1' } }])
      .when({ type: 'ReleaseEmail', userId: 'u1', reason: 'x' })
      .then([{ type: 'EmailReleased', data: { userId: 'u1', reason: 'x' } }]);
  });
  it('normalises case, surrounding space and Unicode composition', () => {
    expect(normaliseEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    // "é" precomposed vs "e" + combining acute accent
    expect(normaliseEmail('J\u00e9r\u00f4me@EXAMPLE.fr')).toBe(normaliseEmail('Je\u0301ro\u0302me@example.FR'));
    expect(emailClaimStream(normaliseEmail('A@B.c'))).toBe(emailClaimStream('a@b.c'));
    expect(emailClaimStream('a@b.c')).toMatch(/^email-[0-9a-f]{64}$/);
  });
});
