// Chat rooms (`chat:<name>`): live messages and who is present. Messages
// are live only (no replay); presence is per user.

import * as live from "../live.js";
import { form, h, mount } from "../ui.js";

/** `#/chat?room=<name>`. */
export function render(root, context) {
  const name = new URLSearchParams(location.hash.split("?")[1] ?? "").get("room") || "lobby";
  const room = `chat:${name}`;
  const members = new Map(); // user id → display name
  const messages = h("ol", { className: "messages", id: "messages", "aria-live": "polite", tabIndex: 0 });
  const present = h("ul", { id: "present" });
  const error = h("p", { className: "error", role: "alert", hidden: true });

  const label = (id) => {
    const shown = members.get(id);
    return shown || (id === context.user.id ? context.user.display_name || context.user.email : id.slice(0, 8));
  };
  const redrawMembers = () =>
    present.replaceChildren(
      ...[...members].map(([id, shown]) => h("li", { dataset: { user: id } }, shown || id.slice(0, 8))),
    );

  function onFrame(frame) {
    if (frame.type === "joined") {
      members.clear(); // the presence frame that follows lists everyone
      redrawMembers();
    } else if (frame.type === "presence") {
      for (const m of frame.joins) members.set(m.user_id, m.display_name);
      for (const m of frame.leaves) members.delete(m.user_id);
      redrawMembers();
    } else if (frame.type === "message") {
      const text = typeof frame.data?.text === "string" ? frame.data.text : JSON.stringify(frame.data);
      messages.append(h("li", {}, h("strong", {}, `${label(frame.from)}: `), text));
      messages.scrollTop = messages.scrollHeight;
    } else if (frame.type === "error") {
      error.textContent = `${frame.code}: ${frame.message}`;
      error.hidden = false;
    }
  }

  const switcher = form(
    { className: "row", "aria-label": "Switch room" },
    [h("input", { name: "room", "aria-label": "Room name", value: name }), h("button", { type: "submit", className: "secondary" }, "Join")],
    async ({ room: next }) => {
      location.hash = `#/chat?room=${encodeURIComponent(next.trim() || "lobby")}`;
    },
  );
  const say = form(
    { id: "say", className: "row" },
    [h("input", { name: "text", "aria-label": "Message", required: true, autocomplete: "off" }), h("button", { type: "submit" }, "Send")],
    async ({ text }, el) => {
      live.publish(room, { text });
      el.reset();
      el.querySelector("input").focus();
    },
  );
  mount(
    root,
    h("h1", {}, `Chat: ${name}`),
    switcher,
    h(
      "div",
      { className: "chat" },
      h("section", { "aria-label": "Messages" }, messages, say, error),
      h("section", { "aria-label": "Present" }, h("h2", {}, "Present"), present),
    ),
  );
  live.join(room, onFrame);
  return () => live.leave(room);
}
