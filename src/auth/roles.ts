// Roles are part of the domain (UserRegistered/UserRoleChanged carry them); auth re-exports them.
export { ROLES, isRole, type Role } from '../domain/identity/roles.js';
