import type { DomainEvent } from '../decider.js';
import type { ConsentPurpose } from './consent.js';
import type { Role } from './roles.js';

export type UserRegistered = DomainEvent<'UserRegistered', { userId: string; email: string; displayName: string; passwordHash: string; role: Role }>;
export type UserRoleChanged = DomainEvent<'UserRoleChanged', { role: Role; previousRole: Role }>;
export type UserPasswordChanged = DomainEvent<'UserPasswordChanged', { passwordHash: string }>;
export type UserDeactivated = DomainEvent<'UserDeactivated', { reason: string }>;
/** Consent for one purpose under the published policy (its version and the sha256 of the exact text served). */
export type ConsentGiven = DomainEvent<'ConsentGiven', { purpose: ConsentPurpose; policyVersion: string; textSha256: string }>;
export type ConsentWithdrawn = DomainEvent<'ConsentWithdrawn', { purpose: ConsentPurpose }>;
/** The account is erased (its keys shredded by the erasure `erasureId`); nothing is decided on the user after it. */
export type UserErased = DomainEvent<'UserErased', { erasureId: string }>;

export type UserEvent = UserRegistered | UserRoleChanged | UserPasswordChanged | UserDeactivated | ConsentGiven | ConsentWithdrawn | UserErased;

export const userStream = (userId: string) => `user-${userId}`;
