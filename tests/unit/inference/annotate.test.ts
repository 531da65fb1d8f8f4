import { describe, expect, it } from 'vitest';
import { annotationSvg } from '../../../src/inference/annotate.js';

describe('annotationSvg', () => {
  it('draws one rect and 68 points per face at the result coordinates', () => {
    const landmarks = Array.from({ length: 68 }, (_, i): [number, number] => [i, 2 * i]);
    const svg = annotationSvg({ width: 800, height: 600, faces: [{ box: { x: 10.123, y: 20, width: 30, height: 40 }, score: 0.987, landmarks, descriptor: [] }] });
    expect(svg).toContain('width="800" height="600"');
    expect(svg.match(/<rect /g)).toHaveLength(1);
    expect(svg.match(/<circle /g)).toHaveLength(68);
    expect(svg).toContain('x="10.12" y="20" width="30" height="40"');
    expect(svg).toContain('cx="67" cy="134"');
    expect(svg).toContain('>0.99<');
  });
  it('draws nothing for zero faces', () => {
    expect(annotationSvg({ width: 10, height: 10, faces: [] })).not.toContain('<rect');
  });
});
