import type { DomainEvent } from '../decider.js';
import type { Role } from './roles.js';

export type UserRegistered = DomainEvent<'UserRegistered', { userId: string; email: string; displayName: string; passwordHash: string; role: Role }>;
export type UserRoleChanged = DomainEvent<'UserRoleChanged', { role: Role; previousRole: Role }>;
export type UserPasswordChanged = DomainEvent<'UserPasswordChanged', { passwordHash: string }>;
export type UserDeactivated = DomainEvent<'UserDeactivated', { reason: string }>;

export type UserEvent = UserRegistered | UserRoleChanged | UserPasswordChanged | UserDeactivated;

export const userStream = (userId: string) => `user-${userId}`;
