// The privacy policy, version 2026-12-01: the text users consent to (ConsentGiven records its
// version and the sha256 of the exact text served). A change of wording is a NEW file with a new
// version (never an edit of this one): consents given under this text keep naming it.
// `{{BIOMETRIC_RETENTION_DAYS}}` is replaced by the configured retention period when served.

export const version = '2026-12-01';

export const template = `# facetrail privacy policy

Version: 2026-12-01

## What we collect

- Your account: e-mail address, display name and a hash of your password.
- Your photos: the bytes you upload and their file names.
- Biometric data: for each face found in your photos, its position (box), 68 facial landmarks and
  a 128-number face descriptor ("face geometry"). This is biometric information under the EU GDPR
  (Art. 9) and the Illinois Biometric Information Privacy Act (BIPA).

## Purposes you consent to

- face_analysis: detecting faces in the photos you upload and computing their geometry (boxes,
  landmarks, descriptors). Required before you can upload a photo.
- face_recognition: comparing face descriptors to group faces of the same person. Not done
  without this separate consent.

You give or withdraw each consent yourself (POST /v1/me/consents, DELETE /v1/me/consents/{purpose}).
Withdrawing is as easy as giving: it stops the analysis for that purpose and erases the
biometric data collected under it.

## Retention and destruction schedule (public, BIPA 740 ILCS 14/15(a))

- Biometric data is kept for {{BIOMETRIC_RETENTION_DAYS}} days from your last interaction with the
  service, then permanently destroyed.
- It is destroyed earlier when the purpose for collecting it ends: when you withdraw the consent
  for that purpose, delete the photo, or erase your account (POST /v1/me/erasure).
- Destruction is cryptographic: the data is stored encrypted under a key kept for you, and the key
  is deleted. The record that the data existed and was destroyed (times, counts, content hashes)
  is kept; the data itself can no longer be read by anyone.

## Disclosure

We do not sell, lease, trade or otherwise profit from biometric data, and do not disclose it to
anyone except as required by law.

## Your rights

You can obtain everything we hold about you (GET /v1/me/export) and erase your account at any time.
`;
