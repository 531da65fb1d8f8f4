// Draws an analysis onto its image: boxes with scores and the 68 landmarks, as a PNG. The image
// is EXIF-rotated exactly as for analysis, so result coordinates line up.
import sharp from 'sharp';
import type { AnalysisResult, Face } from './types.js';

export type AnnotateOptions = { boxColor?: string; pointColor?: string };

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

/** The SVG overlay (pure; exported for tests). */
export function annotationSvg(result: Pick<AnalysisResult, 'width' | 'height' | 'faces'>, opts: AnnotateOptions = {}): string {
  const { width, height } = result;
  const unit = Math.max(1, Math.max(width, height) / 800);
  const boxColor = opts.boxColor ?? '#00e5ff';
  const pointColor = opts.pointColor ?? '#ff2d55';
  const face = (f: Face) => {
    const { x, y, width: w, height: h } = f.box;
    const rect = `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(w)}" height="${fmt(h)}" fill="none" stroke="${boxColor}" stroke-width="${fmt(2 * unit)}"/>`;
    const label = `<text x="${fmt(x)}" y="${fmt(Math.max(12 * unit, y - 4 * unit))}" font-family="sans-serif" font-size="${fmt(12 * unit)}" fill="${boxColor}">${f.score.toFixed(2)}</text>`;
    const points = f.landmarks.map(([px, py]) => `<circle cx="${fmt(px)}" cy="${fmt(py)}" r="${fmt(1.5 * unit)}" fill="${pointColor}"/>`).join('');
    return rect + label + points;
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${result.faces.map(face).join('')}</svg>`;
}

/** Returns `imageBytes` (EXIF-rotated) with the result drawn on it, encoded as PNG. */
export async function annotate(imageBytes: Uint8Array, result: Pick<AnalysisResult, 'width' | 'height' | 'faces'>, opts: AnnotateOptions = {}): Promise<Buffer> {
  const base = await sharp(imageBytes, { failOn: 'none' }).rotate().toColourspace('srgb').png().toBuffer();
  const svg = Buffer.from(annotationSvg(result, opts));
  return sharp(base).composite([{ input: svg, top: 0, left: 0 }]).png().toBuffer();
}
