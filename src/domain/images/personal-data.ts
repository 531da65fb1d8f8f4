// The images module's personal data (DESIGN.md §9): an image's filename (its content key) and the
// faces of an analysis — boxes, landmarks, descriptors: biometric data, sealed under the image's
// face_analysis key, which exists only while that consent stands. Counts, model hashes, sizes and
// the sha256 of the bytes stay in clear.

import type { PersonalDataDeclaration } from '../../privacy/declarations.js';

const imageIdOfStream = (stream: string) => stream.slice('image-'.length);

export const imagesPersonalData: PersonalDataDeclaration = {
  ImageUploaded: { fields: ['filename'], key: (stream) => ({ purpose: 'content', imageId: imageIdOfStream(stream) }) },
  ImageAnalyzed: { fields: ['faces'], key: (stream) => ({ purpose: 'face_analysis', imageId: imageIdOfStream(stream) }) },
};
