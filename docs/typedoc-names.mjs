// A TypeDoc plugin for the site's API reference: names each module after the import a user writes
// ("@gemini-webhooks/core/adapter"), not after its source path ("core/src/adapter"), and escapes "<" in TSDoc
// prose ("http://127.0.0.1:<port>/") so that VitePress, which compiles Markdown as a Vue template, reads it as
// text, not as an unclosed element.
import { Converter, ReflectionKind } from "typedoc";

/** @param {import("typedoc").CommentDisplayPart[] | undefined} parts */
const escapeText = (parts) => {
  for (const part of parts ?? []) if (part.kind === "text") part.text = part.text.replace(/</g, "\\<");
};
import { publicEntryPoints } from "./typedoc.config.mjs";

/** @param {import("typedoc").Application} app */
export function load(app) {
  const bySource = new Map(publicEntryPoints().map((e) => [e.source, `${e.package}${e.subpath === "." ? "" : e.subpath.slice(1)}`]));
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const file = mod.sources?.[0]?.fullFileName;
      const name = file && bySource.get(file);
      if (name) mod.name = name;
    }
  });
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const reflection of Object.values(context.project.reflections)) {
      const comments = [reflection.comment, ...(reflection.signatures ?? []).map((s) => s.comment)];
      for (const comment of comments) {
        if (!comment) continue;
        escapeText(comment.summary);
        for (const tag of comment.blockTags) escapeText(tag.content);
      }
    }
  });
}
