// The decider of a day's expiry (`access-expiry-<day>`): retention records AccessRecordsExpired
// once per day, after the day's key is shredded; a repeat changes nothing.

import type { Decider } from '../decider.js';
import type { AccessRecordsExpired } from './access-events.js';

export type ExpireAccessDay = { type: 'ExpireAccessDay'; day: string; retentionDays: number; shreddedKeys: string[] };
export interface AccessExpiryState {
  expired: boolean;
}

export const accessExpiryDecider: Decider<ExpireAccessDay, AccessRecordsExpired, AccessExpiryState> = {
  initialState: { expired: false },
  decide: (command, state) => (state.expired ? [] : [{ type: 'AccessRecordsExpired', data: { day: command.day, retentionDays: command.retentionDays, shreddedKeys: command.shreddedKeys } }]),
  evolve: (state, event) => (event.type === 'AccessRecordsExpired' ? { expired: true } : state),
};
