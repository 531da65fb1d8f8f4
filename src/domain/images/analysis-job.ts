// An analysis request as a job: what the job bridge (src/projections/images/analysis-requests.ts)
// asks for and the analysis worker (src/workers/images/analysis-worker.ts) takes.

export interface AnalysisJobData {
  imageId: string;
  /** The id of the ImageUploaded / ImageAnalysisRequested event this job answers (also the job id). */
  requestId: string;
  sha256: string;
  correlationId: string;
}
