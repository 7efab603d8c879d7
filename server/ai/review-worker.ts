import { runReviewPipeline, type ReviewJob, type ReviewJobResult } from './review-pipeline';

/**
 * Piscina worker entry (compiled to dist/server/ai/review-worker.js). Analysers parse and
 * type-check whole files and the model reply is parsed here too: all CPU that must stay off the
 * editing event loop (issue 5 §1).
 */
export default function review(job: ReviewJob): Promise<ReviewJobResult> {
  return runReviewPipeline(job);
}
