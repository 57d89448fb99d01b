/** Whether a request method is POST (undefined is taken as POST: a caller that has no method). The one POST check. */
export function isPost(method: string | undefined): boolean {
  return method === undefined || method === "POST" || method.toUpperCase() === "POST";
}
