import { describe, expect, it } from 'vitest';
import { isStaff, maySeeUser, STAFF_ROLES } from '../../../src/domain/identity/policies.js';
import type { Viewer } from '../../../src/domain/identity/viewer.js';
import { maySeeImage, maySeeImagesOf, seesEveryImage } from '../../../src/domain/images/visibility.js';

const OWNER = 'owner-1';
const owner: Viewer = { userId: OWNER, role: 'user' };
const otherUser: Viewer = { userId: 'other-1', role: 'user' };
const auditor: Viewer = { userId: 'auditor-1', role: 'auditor' };
const admin: Viewer = { userId: 'admin-1', role: 'admin' };

describe('staff policy', () => {
  it('the staff are the auditors and the admins', () => {
    expect(STAFF_ROLES).toEqual(['auditor', 'admin']);
    expect([isStaff('user'), isStaff('auditor'), isStaff('admin')]).toEqual([false, true, true]);
  });
  it('a user is seen by themself and the staff', () => {
    expect(maySeeUser(owner, OWNER)).toBe(true);
    expect(maySeeUser(otherUser, OWNER)).toBe(false);
    expect(maySeeUser(auditor, OWNER)).toBe(true);
    expect(maySeeUser(admin, OWNER)).toBe(true);
  });
});

describe('image visibility', () => {
  const live = { ownerId: OWNER };
  const gone = { ownerId: OWNER, deleted: true };

  it('the owner sees their image while it is not deleted', () => {
    expect(maySeeImage(owner, live)).toBe(true);
    expect(maySeeImage(owner, { ...live, deleted: false })).toBe(true);
    expect(maySeeImage(owner, gone)).toBe(false);
  });
  it('another user never sees it', () => {
    expect(maySeeImage(otherUser, live)).toBe(false);
    expect(maySeeImage(otherUser, gone)).toBe(false);
  });
  it('auditors and admins always see it, deleted too', () => {
    for (const staff of [auditor, admin]) {
      expect(maySeeImage(staff, live)).toBe(true);
      expect(maySeeImage(staff, gone)).toBe(true);
    }
  });
  it('in a list: auditors and admins see every image, a user only their own', () => {
    expect([owner, otherUser, auditor, admin].map(seesEveryImage)).toEqual([false, false, true, true]);
    expect([owner, otherUser, auditor, admin].map((v) => maySeeImagesOf(v, OWNER))).toEqual([true, false, true, true]);
  });
});
