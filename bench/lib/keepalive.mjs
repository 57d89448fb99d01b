// A client of the least work: signed 0.6 KB deliveries on one keep-alive connection, one at a time, each
// written whole and answered (200) before the next is sent (bench/cachegrind.mjs with CG_TRANSPORT=http,
// bench/survivors.mjs). No client library, so nothing in the client decides how the server's requests arrive.
import net from "node:net";
import { signStatic } from "@gemini-webhooks/testing";
import { eventBody } from "./common.mjs";

// the end of a chunked answer
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

/**
 * Opens a connection to 127.0.0.1:`port`; `send(count)` sends that many deliveries, numbered on from the
 * last (`msg_<prefix><number>` ids, so one connection never repeats an id), and resolves when the last is
 * answered; `close()` ends the connection.
 */
export async function keepAliveClient(port, { secret, prefix = "0123456789ab" }) {
  const body = Buffer.from(eventBody(600));
  let sent = 0;
  const request = (i) => {
    // signed as it is sent (no timestamp given: now): under valgrind a run can outlast the 5-minute replay window
    const { headers } = signStatic({ secret, body, id: `msg_${prefix}${i.toString(16).padStart(10, "0")}` });
    const head =
      `POST /hook HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\ncontent-length: ${body.length}\r\n` +
      Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("") +
      "\r\n";
    return Buffer.concat([Buffer.from(head), body]);
  };
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });

  function send(count) {
    const last = sent + count;
    return new Promise((resolve, reject) => {
      let got = Buffer.alloc(0);
      const done = (e) => {
        socket.off("data", onData);
        socket.off("error", done);
        e ? reject(e) : resolve();
      };
      const next = () => (sent === last ? done() : socket.write(request(sent++)));
      const onData = (d) => {
        got = got.length ? Buffer.concat([got, d]) : d;
        const end = got.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = got.subarray(0, end).toString("latin1");
        if (!head.startsWith("HTTP/1.1 200 ")) return done(new Error(`request ${sent}: ${head.split("\r\n")[0]}`));
        // the bare and inline apps' answers are chunked (writeHead, then end), ours carry a content-length
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (length ? got.length < end + 4 + Number(length[1]) : !got.subarray(got.length - 5).equals(LAST_CHUNK)) return;
        if (length && got.length > end + 4 + Number(length[1])) return done(new Error(`request ${sent}: more bytes than one answer`));
        got = Buffer.alloc(0);
        next();
      };
      socket.on("data", onData);
      socket.on("error", done);
      next();
    });
  }

  function close() {
    return new Promise((resolve) => socket.end(resolve));
  }
  return { send, close };
}
