// The one WebSocket of the console (`/ws`, token in the `bearer, <token>`
// subprotocol pair). Pages join rooms through it; it remembers each room's
// last seq, and after a dropped connection or a server restart reconnects
// by itself with exponential backoff and joins again with `since`, so the
// missed events are replayed — once each: an event at or below the room's
// last seq is dropped. A 1008 `unauthorized` close, or a reconnect that a
// `/users/me` probe shows is no longer signed in, ends the session.

import { accessToken, api, ApiError, signedOut } from "./api.js";

const rooms = new Map(); // room → { handler, seq }
const statusListeners = new Set();
let socket = null;
let attempt = 0;
let retry = null;
let stopped = true;

/** Calls `fn(state)` on "connecting", "live", "reconnecting" or "off". */
export function onStatus(fn) {
  statusListeners.add(fn);
}

function status(state) {
  for (const fn of statusListeners) fn(state);
}

function send(frame) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

function joinFrame(room, entry) {
  return entry.seq === null ? { type: "join", room } : { type: "join", room, since: entry.seq };
}

/** Joins `room`; `handler(frame)` gets its `event`, `message`,
 * `presence`, `joined` and `error` frames. `since` resumes after a seq the
 * page already has; a room without seqs (chat) ignores it. */
export function join(room, handler, since = null) {
  const entry = { handler, seq: since };
  rooms.set(room, entry);
  send(joinFrame(room, entry));
}

/** Leaves `room`. */
export function leave(room) {
  if (rooms.delete(room)) send({ type: "leave", room });
}

/** Publishes to a chat room one has joined. */
export function publish(room, data) {
  send({ type: "publish", room, data });
}

function dispatch(frame) {
  const entry = rooms.get(frame.room ?? frame.ref);
  if (!entry) return;
  if (frame.type === "event" && typeof frame.seq === "number") {
    if (entry.seq !== null && frame.seq <= entry.seq) return; // already applied
    entry.seq = frame.seq;
  }
  if (frame.type === "joined" && typeof frame.seq === "number") {
    entry.seq = Math.max(entry.seq ?? 0, frame.seq);
  }
  entry.handler(frame);
}

/** Opens the socket (once signed in). */
export async function start() {
  stopped = false;
  clearTimeout(retry);
  status(attempt === 0 ? "connecting" : "reconnecting");
  let token;
  try {
    token = await accessToken();
  } catch (err) {
    return err instanceof ApiError && err.status === 401 ? signedOut("Your session ended.") : later();
  }
  if (stopped) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws`, ["bearer", token]);
  socket = ws;
  ws.onopen = () => {
    attempt = 0;
    status("live");
    for (const [room, entry] of rooms) send(joinFrame(room, entry));
  };
  ws.onmessage = (message) => {
    try {
      dispatch(JSON.parse(message.data));
    } catch (err) {
      console.error("bad frame", err);
    }
  };
  ws.onclose = (event) => {
    if (socket !== ws) return;
    socket = null;
    if (stopped) return;
    if (event.code === 1008 && event.reason === "unauthorized") {
      stop();
      signedOut("You were signed out: the session was revoked or the account disabled.");
      return;
    }
    status("reconnecting");
    probe();
  };
}

// A refused upgrade (401) and a network failure look alike to a page:
// ask the API whether the session still holds before trying again.
async function probe() {
  try {
    await api("GET", "/users/me");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      stop();
      return; // api() has announced the sign-out
    }
  }
  later();
}

function later() {
  if (stopped) return;
  status("reconnecting");
  const delay = Math.min(10_000, 250 * 2 ** attempt) * (0.5 + Math.random());
  attempt += 1;
  retry = setTimeout(start, delay);
}

/** Closes the socket and forgets every room (sign-out). */
export function stop() {
  stopped = true;
  clearTimeout(retry);
  rooms.clear();
  attempt = 0;
  const ws = socket;
  socket = null;
  ws?.close(1000);
  status("off");
}
