// @gemini-webhooks/core/node: the Node half of the adapter seam (read an IncomingMessage, write a ServerResponse).
export {
  readNodeBody,
  receiveNode,
  sendNode,
  setResultHeaders,
  streamConsumed,
  type NodeBodyStream,
  type NodeReadOptions,
  type NodeResponse,
} from "./adapter/node.js";
