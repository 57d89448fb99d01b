import { geminiFileName, type GenAIClient } from "./client.js";
import { GenaiError } from "./errors.js";
import { withRetry, type RetryOptions } from "./retry.js";

/** Where a generated video is: its URI and, when it is a Gemini file, its name (`files/…`). */
export interface VideoFile {
  /** `video_uri`, else `output_file_uri`, as sent. */
  uri?: string;
  /** `files/<id>`: from `file_id` / `file_name`, else parsed from a Gemini files URI. */
  fileName?: string;
}

/** What videoFile reads: a `video.generated` event (or anything with its data). */
export interface VideoEventLike {
  type?: "video.generated";
  data: { file_id?: string; video_uri?: string; output_file_uri?: string; file_name?: string; [field: string]: unknown };
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * Resolves the video of a `video.generated` event across the payload variants Gemini sends: live traffic
 * carries `file_id` + `video_uri`, the English docs name `output_file_uri` + `file_name`. Throws
 * `GenaiError` `unsupported` when the event names none of them.
 */
export function videoFile(event: VideoEventLike): VideoFile {
  const data = event?.data;
  if (data === null || typeof data !== "object") throw new GenaiError("unsupported", "videoFile(event) needs a video.generated event (with data).");
  const type = (event as { type?: string }).type;
  if (type !== undefined && type !== "video.generated") throw new GenaiError("unsupported", `videoFile reads a video.generated event, not ${type}.`);
  const uri = str(data.video_uri) ?? str(data.output_file_uri);
  const id = str(data.file_name) ?? str(data.file_id);
  const fileName = geminiFileName(id) ?? geminiFileName(uri);
  if (uri === undefined && fileName === undefined) {
    throw new GenaiError("unsupported", "The video.generated event names no video: none of video_uri, file_id, output_file_uri, file_name.");
  }
  return { ...(uri !== undefined ? { uri } : {}), ...(fileName !== undefined ? { fileName } : {}) };
}

/**
 * Downloads the video of a `video.generated` event to `path` with `ai.files.download` (Node), retrying
 * "not there yet" (404) and transient failures like batchResults. A video that is not a Gemini file (e.g. a
 * `gs://` URI) is `unsupported`: fetch `videoFile(event).uri` with your storage client.
 */
export async function downloadVideo(ai: GenAIClient, event: VideoEventLike, path: string, options: RetryOptions = {}): Promise<VideoFile> {
  const video = videoFile(event);
  const file = video.fileName;
  if (file === undefined) {
    throw new GenaiError("unsupported", `The video is at ${video.uri?.split("?")[0]}, not a Gemini file: fetch it with your storage client.`);
  }
  await withRetry(`Video ${file}`, () => ai.files.download({ file, downloadPath: path }), options);
  return video;
}
