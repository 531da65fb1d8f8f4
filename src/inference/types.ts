// Public types of the face-analysis pipeline.

/** A decoded 8-bit RGB image, rows top to bottom, pixels interleaved (HWC). */
export type RgbImage = { data: Uint8Array; width: number; height: number };

/** An axis-aligned rectangle in pixels. */
export type Box = { x: number; y: number; width: number; height: number };

export type Detection = { box: Box; score: number };

export type Point = [number, number];

export type Face = { box: Box; score: number; landmarks: Point[]; descriptor: number[] };

export type ModelIdentity = { name: string; version: string; sha256: string };

export type AnalysisResult = { width: number; height: number; model: ModelIdentity; faces: Face[] };

export type DetectorName = 'ssd' | 'tiny';

export type AnalyzeOptions = {
  /** Face detector: SSD MobileNet v1 (default) or the tiny YOLO detector. */
  detector?: DetectorName;
  /** Minimum detection score, exclusive (default 0.5). */
  minScore?: number;
  /** Maximum number of faces returned, highest scores first (default 100). */
  maxFaces?: number;
};

/** What analyses one photo (FaceAnalyzer, or a pool of them on threads). */
export interface PhotoAnalyzer {
  analyze(bytes: Uint8Array, options?: AnalyzeOptions): Promise<AnalysisResult>;
}
