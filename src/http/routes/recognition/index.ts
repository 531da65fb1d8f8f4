// Recognition's REST routes: face search and verification (issue 17).

import sharp from 'sharp';
import { readImageHeader, sniffFormat } from '../../../inference/decode-image.js';
import { HttpProblem } from '../../problem.js';
import type { RouteGroup } from '../../route-group.js';
import { asProblem, readUploadBody } from '../images/upload.js';
import { faceRoutes } from './faces.js';

export const recognitionRouteGroup: RouteGroup = {
  name: 'recognition',
  register(app, s) {
    const { config } = s.rt;
    faceRoutes(app, {
      search: s.faceSearch,
      requireRecognitionConsent: s.requireRecognitionConsent,
      access: s.accessLog,
      authenticate: s.guards.authenticate,
      ensureConsistent: s.ensureConsistent,
      defaultThreshold: s.rt.config.recognition.matchThreshold,
      personFaces: async (userId, personId) => {
        const person = await s.peopleQuery.get(userId, personId);
        return person?.status === 'active' ? person.faces.map((f) => f.faceId) : undefined;
      },
      readPhoto: async (request) => (await readUploadBody(request, { maxBytes: config.images.maxUploadBytes })).data,
      analyzePhoto: async (bytes) => {
        if (!sniffFormat(bytes)) throw new HttpProblem(415, 'unsupported_format', 'Unsupported media type', 'only JPEG, PNG and WebP images are accepted (checked by content)');
        try {
          // The header first: a decompression bomb is refused before any decoding.
          await readImageHeader(bytes, config.images.maxPixels);
          const options = { detector: config.workers.detector };
          const analysis = await s.rt.searchAnalyzer.analyze(bytes, options);
          if (analysis.faces.length === 0) return { analysis, mirrored: analysis };
          // Oriented as the analyzer orients it (EXIF), then mirrored.
          const flopped = await sharp(bytes, { limitInputPixels: config.images.maxPixels }).rotate().flop().jpeg({ quality: 95 }).toBuffer();
          return { analysis, mirrored: await s.rt.searchAnalyzer.analyze(flopped, options) };
        } catch (err) {
          throw asProblem(err);
        }
      },
    });
  },
};
